"""Just-in-time GPUs: the on-demand node group waits for a gate that ends as the download nears its end."""

import json
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from config.errors import ConfigError
from in_pod.weights import ledger
from offline.report import inputs
from offline.run import Run
from program.config_source import load_stack_config
from specs import gate_spec
from tests.support import BLOCK, closure, render, stack_values


def by_name(run: Run, name: str) -> Any:
    return next(r for r in run.registrations if r.name == name)


def test_the_on_demand_node_group_waits_for_the_gate_which_waits_for_the_cache_only(
    rendered: Callable[[str], Run],
) -> None:
    run = rendered("h200-sglang-8")
    gate, nodes = by_name(run, "gpu-gate-job"), by_name(run, "gpu-nodes")
    assert gate.urn in nodes.dependencies
    waits = {r.name for r in run.registrations if r.urn in closure(run, gate)}
    assert "model-cache-claim" in waits and "model-download-job" not in waits
    env = {e["name"]: e["value"] for e in inputs(gate)["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["DSR1_LEAD_SECONDS"] == str(int(gate_spec.lead_minutes() * 60)) == "900"
    assert env["DSR1_TARGET"] == "/cache/models/deepseek-ai--DeepSeek-R1/56d4cbbb4d29f4355bab4b9a39ccb717a14ad5ad"
    assert run.outputs["justInTimeGpus"].startswith("on")
    assert run.outputs["timeToEndpoint"]["gpuIdleMinutesCold"] < 10


def test_capacity_blocks_and_an_explicit_off_start_the_gpus_at_once(rendered: Callable[[str], Run]) -> None:
    pool = {**stack_values("h200-sglang-8")["gpuPool"], "justInTime": False}
    for run in (rendered("gb200"), render("h200-sglang-8", f"gpuPool={json.dumps(pool)}")):
        assert not [r for r in run.registrations if r.type == "dsr1:index:GpuGate"]
        assert run.outputs["justInTimeGpus"] == "off"


@pytest.mark.parametrize(
    ("stack", "pool", "message"),
    [
        (
            "h200-sglang-8",
            {"capacity": {**BLOCK, "availabilityZone": "us-east-1a"}, "justInTime": True},
            "saves nothing on a capacity-block",
        ),
        ("dev", {"justInTime": True}, "on an existing cluster it creates none"),
    ],
)
def test_just_in_time_is_refused_where_it_saves_nothing(stack: str, pool: dict[str, Any], message: str) -> None:
    values = stack_values(stack)
    values["gpuPool"] = {**values["gpuPool"], **pool}
    with pytest.raises(ConfigError) as e:
        load_stack_config(values, "us-east-1")
    assert any(p.key == "dsr1:gpuPool.justInTime" and message in p.message for p in e.value.problems)


def test_the_marker_is_the_downloaders() -> None:
    assert gate_spec.COMPLETION_MARKER == ledger.MARKER


def gate(target: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"DSR1_TARGET": str(target), "DSR1_TOTAL_BYTES": "1000000", "DSR1_LEAD_SECONDS": "60"}
    base |= {"DSR1_MARKER": gate_spec.COMPLETION_MARKER, "DSR1_INTERVAL": "1", "DSR1_STALL_SECONDS": "1"}
    return subprocess.run(
        ["sh", "-c", gate_spec.SCRIPT], env={**base, **env}, capture_output=True, text=True, timeout=30
    )


def test_a_complete_revision_opens_the_gate_at_once(tmp_path: Path) -> None:
    (tmp_path / gate_spec.COMPLETION_MARKER).write_text("{}")
    result = gate(tmp_path)
    assert result.returncode == 0 and "revision complete" in result.stdout


def test_a_stalled_download_opens_the_gate(tmp_path: Path) -> None:
    (tmp_path / "part").write_bytes(b"x" * 1000)
    result = gate(tmp_path)
    assert result.returncode == 0 and "no progress" in result.stdout


def test_a_download_within_the_lead_opens_the_gate_by_its_rate(tmp_path: Path) -> None:
    """A writer appends while the gate watches: the bytes left at the measured rate fit the lead, so it opens."""
    stop = threading.Event()

    def write() -> None:
        with (tmp_path / "shard.incomplete").open("ab") as f:
            while not stop.is_set():
                f.write(b"x" * 20_000)
                f.flush()
                stop.wait(0.05)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        result = gate(tmp_path, DSR1_STALL_SECONDS="30")
    finally:
        stop.set()
        writer.join()
    assert result.returncode == 0 and "the GPUs start at 60s left" in result.stdout
