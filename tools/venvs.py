"""Is a virtualenv that `make` builds from a lock ready to use? Only its stamp says so.

The Makefile makes each one anew and writes `.installed` last, after `pip check`: a `bin/python` alone may be what
an install that failed half-way left behind, and a tool run on it fails far from the cause.
"""

from pathlib import Path

STAMP = ".installed"


def problem(venv: Path, make_target: str) -> str | None:
    """None when `venv` is complete; otherwise one line saying what is wrong and the make target that fixes it."""
    if (venv / STAMP).exists():
        return None
    if venv.exists():
        return f"{venv.name} is incomplete (its install did not finish): `make {make_target}` builds it anew"
    return f"{venv.name} is not installed: `make {make_target}` builds it"
