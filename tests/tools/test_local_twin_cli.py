"""The twin's CLI errors are like every other CLI's here: exit 2, one line naming the problem, no traceback, and
before anything about the twin's own virtualenv; and its processes' wiring to the loopback event broker (no
.venv-local needed: a stand-in python)."""

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from offline import report
from offline.run import Run
from tools.local_twin import __main__ as cli
from tools.local_twin import twin
from tools.local_twin.plan import plan
from tools.local_twin.supervisor import Supervisor

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


FAKE_PYTHON = """#!/bin/sh
# Stands in for .venv-local's python: says what the twin waits for, records its environment, then waits.
echo "event broker ready"
echo "System status server started successfully on 127.0.0.1:$DYN_SYSTEM_PORT"
exec sleep 60
"""


def test_every_twin_process_gets_the_loopback_event_broker(
    tmp_path: Path, rendered: Callable[[str], Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broker starts first, on loopback; the frontend and every mocker get DYN_ZMQ_BROKER_URL naming it, so
    no event publisher binds a socket of its own (Dynamo's direct ZMQ mode binds 0.0.0.0)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text(FAKE_PYTHON)
    (venv / "bin" / "python").chmod(0o755)
    run = rendered("h200-sglang-8")
    p = plan(
        [d for d in report.manifests(run) if d], run.outputs, port=8124, model_dir="/m", twin_env={}, artifacts_dir="/a"
    )
    sup = Supervisor(tmp_path / "logs")
    try:
        twin.start(p, sup, venv, 8124)
        names = [r.name for r in sup.running]
        assert names[0] == "event-broker" and names[1] == p.frontend.name and len(names) == 2 + len(p.mockers)
        broker_args = [str(a) for a in sup.running[0].popen.args]  # type: ignore[union-attr]
        assert [a.startswith("tcp://127.0.0.1:") for a in broker_args[-2:]] == [True, True]
        url = f"xsub={broker_args[-2]} , xpub={broker_args[-1]}"
        for r in sup.running[1:]:
            env = dict(
                kv.split("=", 1) for kv in Path(f"/proc/{r.popen.pid}/environ").read_text().split("\0") if "=" in kv
            )
            assert env.get("DYN_ZMQ_BROKER_URL") == url, r.name
    finally:
        sup.stop_all()
