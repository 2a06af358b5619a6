"""The bench compares like with like: the floor imports what a render imports, minus the project, under the
render's own interpreter settings; it reports as it goes."""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tools import bench


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return bench.record("dev", str(tmp_path_factory.mktemp("bench") / "out"))


def test_the_floor_is_the_renders_third_party_imports(recorded: dict[str, Any]) -> None:
    modules = set(recorded["modules"])
    # The virtualenv lives inside the checkout (.venv): its packages still count as third-party.
    assert {"pulumi", "pulumi_kubernetes", "pydantic", "yaml"} <= modules
    assert not modules & {"config.schema", "program.stack", "components.model_cache", "offline.run"}


def test_the_floor_runs_under_the_renders_interpreter_settings(recorded: dict[str, Any], tmp_path: Path) -> None:
    settings = recorded["settings"]
    # render.py turns the cyclic collector off and ignores DeprecationWarnings: the recording sees both.
    assert settings == {"gc_enabled": False, "gc_threshold": settings["gc_threshold"], "ignore_deprecation": True}
    listing = tmp_path / "floor.json"
    listing.write_text(json.dumps({"modules": ["yaml"], "settings": settings}))
    done = subprocess.run(bench.floor_command(listing), check=True, capture_output=True, text=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == settings
    # With the collector on in the recording, the floor leaves it on: it follows the render, not a constant.
    listing.write_text(json.dumps({"modules": [], "settings": {**settings, "gc_enabled": True}}))
    done = subprocess.run(bench.floor_command(listing), check=True, capture_output=True, text=True)
    assert json.loads(done.stdout.strip().splitlines()[-1])["gc_enabled"] is True


def test_the_bench_reports_cpu_time_and_ratio_per_stack_and_progress(capsys: pytest.CaptureFixture[str]) -> None:
    bench.main(["--repeats", "1", "--stack", "dev"])
    out, err = capsys.readouterr()
    assert "render s" in out and "floor s" in out and "ratio" in out
    (row,) = [line for line in out.splitlines() if line.startswith("dev ")]
    render_s, floor_s, ratio = (float(x) for x in row.split()[1:4])
    assert render_s > 0 and floor_s > 0 and ratio == pytest.approx(render_s / floor_s, abs=0.02)
    assert "[1/1] dev: recording" in err and "dev run 1/1: floor" in err
