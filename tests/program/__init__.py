"""Tests of `program/`."""
