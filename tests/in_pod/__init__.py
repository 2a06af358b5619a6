"""Tests of `in_pod/`."""
