"""Tests of `specs/`."""
