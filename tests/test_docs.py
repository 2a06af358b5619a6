"""The README stays true to the code it describes."""

import ast
import re
import subprocess

from config.deviations import DEVIATIONS
from tests.support import ROOT, stacks

README = (ROOT / "README.md").read_text()
DOCS = README + "".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))
"""The README and its docs/ pages (the README is the front door; details live in docs/)."""


def test_readme_lists_every_deviation() -> None:
    for d in DEVIATIONS:
        assert f"`{d.id}`" in DOCS, d.id


def test_readme_names_every_stack() -> None:
    for stack in stacks():
        assert f"`{stack}`" in README, stack


def _section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_quick_start_is_the_two_make_targets_ci_runs() -> None:
    """Two commands on a fresh machine: one renders, one tests (each installs what it needs)."""
    block = _section("Quick start").split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make render", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_components_table_lists_every_component() -> None:
    found = [
        (node.name, path.name)
        for path in sorted((ROOT / "components").glob("*.py"))
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.ClassDef) and any("ComponentResource" in ast.unparse(b) for b in node.bases)
    ]
    assert len(found) >= 10  # the nine of the table and EksCluster
    docs = README + "".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))  # or its docs/ page
    for name, file in found:
        assert f"`{name}` (`{file}`)" in docs or f"| `{name}` | `{file}` |" in docs, name


def test_readme_layout_names_every_top_level_folder() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    folders = {line.split("/")[0] for line in tracked.splitlines() if "/" in line}
    layout = _section("Layout").split("```", 2)[1]
    assert not {f for f in folders if not re.search(rf"(^|[ ,]){re.escape(f)}/", layout, re.M)}


def test_readme_names_only_test_files_that_exist() -> None:
    named = re.findall(r"`(tests/[^`\s]+\.py)`", README)
    assert len(named) >= 10  # the README's testing section names its test files in backticks
    for path in named:
        assert (ROOT / path).is_file(), path


def test_readme_states_the_committed_predictions() -> None:
    """The 'Predicted performance' table quotes config/predictions.json: a new `make predict` updates both."""
    from config import predictions

    known = predictions.load()
    assert known.tool in README
    assert len(known.stacks) >= 4  # every recipe stack has a prediction
    for stack, pred in known.stacks.items():
        assert pred.points, stack
        (row,) = [line for line in README.splitlines() if line.startswith(f"| `{stack}` |") and " ms, " in line]
        for point in pred.points:
            assert f"{round(point.output_tokens_per_s):,}" in row, (stack, point.concurrency)
