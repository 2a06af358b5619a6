"""The twin's CLI errors are like every other CLI's here: exit 2, one line naming the problem, no traceback, and
before anything about the twin's own virtualenv (no .venv-local needed)."""

import subprocess
import sys
from pathlib import Path

import pytest

from tools.local_twin import __main__ as cli
from tools.local_twin import twin

ROOT = Path(__file__).resolve().parents[2]


def test_an_unknown_stack_is_one_line_and_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tools.local_twin", "--stack", "nosuch", "--venv", "/nonexistent"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "local twin: nosuch: no stack file Pulumi.nosuch.yaml; stacks: "
        + ", ".join(sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml")))
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("config:\n  dsr1:model: [\n", "Pulumi.broken.yaml line 3: not valid YAML"),
        ("- a list\n", "Pulumi.broken.yaml: expected a map with a `config:` map"),
    ],
)
def test_a_malformed_stack_file_is_one_line_and_exit_2(
    text: str, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.broken.yaml").write_text(text)
    monkeypatch.setattr(twin, "ROOT", tmp_path)
    assert cli.main(["--stack", "broken", "--venv", str(tmp_path / "no-venv"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith(f"local twin: broken: {says}"), err
    assert not (tmp_path / "o").exists()  # nothing written


def test_make_local_checks_the_stack_before_building_the_twins_virtualenv() -> None:
    """`make local STACK=nosuch` stops at its first prerequisite, which needs nothing installed."""
    makefile = (ROOT / "Makefile").read_text()
    for target in ("local", "local-check"):
        (line,) = [x for x in makefile.splitlines() if x.startswith(f"{target}:")]
        assert line.split(":", 1)[1].split()[0] == "local-stack", line
    done = subprocess.run(
        ["make", "-s", "local-stack", "STACK=nosuch"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2 and done.stderr.startswith("no stack file Pulumi.nosuch.yaml; stacks: ")
