"""The composition root: read the config at the edge, validate it, and build the stack from the components."""
