"""`make help` lists every target a user runs, one line each, straight from the Makefile's `## ` comments."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_make_help_lists_every_phony_target_with_its_line() -> None:
    makefile = (ROOT / "Makefile").read_text()
    phony = set(re.search(r"^\.PHONY: (.*)$", makefile, re.MULTILINE).group(1).split())  # type: ignore[union-attr]
    internal = {"lint", "typecheck", "pytest"}  # the parts of `make test`
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    listed = dict(re.findall(r"^  make (\S+)\s+(.+)$", out, re.MULTILINE))
    assert set(listed) == phony - internal, out
    assert all(listed.values())
    assert re.search(r"^help:", makefile, re.MULTILINE) and ".DEFAULT_GOAL := help" in makefile
