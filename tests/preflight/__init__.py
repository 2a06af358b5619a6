"""Tests of `preflight/`."""
