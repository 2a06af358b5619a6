"""`--config` as `pulumi config set [--path]`: nested keys, YAML values; CLI errors are exit 2 with one message."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import render
from offline.stack_files import StackFileError, parse_path, parse_value, read_stack
from tests.support import ROOT
from tests.support import render as render_stack


@pytest.mark.parametrize("key", ["gpuPool.nodeCount", "dsr1:gpuPool.nodeCount"])
def test_a_path_override_sets_one_nested_key_and_keeps_the_others(key: str) -> None:
    run = render_stack("h200-sglang-8", f"{key}=3")
    assert run.outputs["gpuNodes"] == 3
    (pool,) = [r for r in run.registrations if r.type == "aws:eks/nodeGroup:NodeGroup" and r.name == "gpu-nodes"]
    assert pool.wire_inputs["scalingConfig"]["desiredSize"] == 3
    assert pool.wire_inputs["instanceTypes"] == ["p5en.48xlarge"]  # the rest of gpuPool is the stack file's


def test_paths_read_like_pulumi_config_set_path() -> None:
    assert parse_path("serving.decode.extraArgs[0]") == ["serving", "decode", "extraArgs", 0]
    assert parse_path('gpuPool.nodeLabels["dsr1.io/pool"]') == ["gpuPool", "nodeLabels", "dsr1.io/pool"]
    with pytest.raises(StackFileError, match="cannot read the key path"):
        parse_path("gpuPool..nodeCount")


def test_values_are_yaml_scalars_and_timestamps_stay_strings() -> None:
    assert parse_value("3") == 3 and parse_value("true") is True and parse_value("0.8") == 0.8
    assert parse_value('"3"') == "3" and parse_value("us-east-1a") == "us-east-1a"
    assert parse_value("2026-07-01T11:30:00Z") == "2026-07-01T11:30:00Z"
    assert parse_value("[--a, b]") == ["--a", "b"]


def test_list_elements_and_new_keys_are_set_in_place() -> None:
    settings = read_stack(
        ROOT, "h200-sglang-8", ["serving.prefill.extraArgs[2]=--x", "gpuPool.capacity.type=on-demand"]
    )
    assert '"extraArgs": ["--load-balance-method", "round_robin", "--x"]' in settings.config["dsr1:serving"]
    assert '"capacity": {"type": "on-demand"}' in settings.config["dsr1:gpuPool"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("gpuPool.nodeCount.x=1", "not a map"),
        ("gpuPool.taints[2]=x", "no list element 2"),
        ("nodeCount", "KEY=VALUE"),
    ],
)
def test_a_bad_override_is_one_message(override: str, message: str) -> None:
    with pytest.raises(StackFileError, match=message):
        read_stack(ROOT, "h200-sglang-8", [override])


def test_a_malformed_stack_file_exits_2_naming_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.broken.yaml").write_text("config:\n  dsr1:gpuPool: {nodeCount: 2\n")
    monkeypatch.setattr(render, "ROOT", tmp_path)
    assert render.main(["--stack", "broken", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Pulumi.broken.yaml line" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_an_out_that_cannot_be_created_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = subprocess.run(
        [sys.executable, str(ROOT / "render.py"), "--stack", "dev", "--out", str(blocker / "build")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "cannot write the render to --out" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_problems_point_at_the_config_reference() -> None:
    from config.errors import ConfigError

    with pytest.raises(ConfigError, match=r"docs/CONFIG\.md"):
        render_stack("h200-sglang-8", "gpuPool.nodeCoutn=3")
