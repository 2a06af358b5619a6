"""Pure builders: manifests and AWS arguments from plain values, and the engine backends; no resource is created."""
