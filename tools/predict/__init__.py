"""Predicted serving performance with NVIDIA AIConfigurator, run from its own virtualenv (make predict)."""
