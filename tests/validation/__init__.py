"""Tests of `validation/`."""
