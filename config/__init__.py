"""The stack's typed configuration, the catalog of hardware and models, pinned versions and the deviation list."""
