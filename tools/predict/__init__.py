"""Predicted performance of each recipe stack from NVIDIA's AIConfigurator, offline, and its cost per token."""
