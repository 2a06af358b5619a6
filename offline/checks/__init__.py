"""Offline checks over a render: what the program sends, examined as the cluster would see it."""
