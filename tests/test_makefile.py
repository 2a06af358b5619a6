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


def test_the_quick_start_says_what_each_command_installs_its_size_and_time() -> None:
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    rows = {r.split("|")[1].strip(): r for r in quick.splitlines() if r.startswith("| `make ")}
    assert set(rows) == {"`make render`", "`make test`"}
    for row in rows.values():
        assert re.search(r"\d+ (MB|GB)", row) and re.search(r"\d+ min", row), row
    assert "`make help`" in quick and "`make locks`" in quick
