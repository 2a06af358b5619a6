"""render.py as a user runs it: files written, exit 2 on a bad stack, the token never shown."""

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import render
from config.errors import ConfigError
from offline.run import run_program
from offline.stack_files import read_stack
from tests.support import ROOT

CANARY = "hf_RENDERCANARY0000000000000000000000"


def render_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "render.py"), *args], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("render") / "build"
    result = render_cli("--stack", "h200-sglang-8", "--out", str(out), "--config", f"hfToken={CANARY}")
    assert result.returncode == 0, result.stderr
    return out, result


def test_render_writes_manifests_resources_and_a_summary(
    rendered: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, result = rendered
    docs = list(yaml.safe_load_all((out / "manifests.yaml").read_text()))
    kinds = [d["kind"] for d in docs]
    # dependency order: the graph comes after the download, and the smoke test after the graph
    assert kinds[-2:] == ["DynamoGraphDeployment", "Job"] and docs[-1]["metadata"]["name"].startswith(
        "sgl-dsr1-8gpu-smoke"
    )
    assert docs[0]["kind"] == "Namespace"
    resources = json.loads((out / "resources.json").read_text())
    keys = ("dependsOn", "inputDependencies", "inputs", "lifecycle", "name", "parent", "provider", "type", "urn")
    # ignoreChanges only where set: the download node group's desired size (scaled to 0 by hand after the download).
    assert {tuple(sorted(set(r) - {"ignoreChanges"})) for r in resources} == {keys}
    assert [r["name"] for r in resources if "ignoreChanges" in r] == ["cluster-download-nodes"]
    urns = {r["urn"] for r in resources}
    assert all(
        r["parent"] is None or r["parent"] in urns or r["parent"].endswith("pulumi:pulumi:Stack::dsr1-h200-sglang-8")
        for r in resources
    )
    assert "GPUs: 16 on 2 nodes" in result.stdout and "126.59/h" in result.stdout and "total" in result.stdout


def test_the_token_appears_nowhere(rendered: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, result = rendered
    assert CANARY not in result.stdout + result.stderr
    for path in out.iterdir():
        assert CANARY not in path.read_text(), path.name
    secret = next(d for d in yaml.safe_load_all((out / "manifests.yaml").read_text()) if d["kind"] == "Secret")
    assert secret["stringData"] == {"token": "[secret]"}


def test_a_warning_is_printed_once_as_a_summary_line(tmp_path: Path) -> None:
    """The program logs its warnings for `pulumi preview`; offline the summary's `warning:` lines carry them."""
    result = render_cli("--stack", "h200-sglang-8", "--out", str(tmp_path), "--config", "gpuPool.nodeCount=3")
    assert result.returncode == 0, result.stderr
    idle = "3 GPU nodes, but the workers use 2"
    assert (result.stdout + result.stderr).count(idle) == 1
    assert any(line.startswith("warning: ") and idle in line for line in result.stdout.splitlines())


def test_invalid_stack_exits_2_with_one_message_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "build"
    result = render_cli("--stack", "h200-sglang-8", "--out", str(out), "--config", "aws:region=eu-west-1")
    assert result.returncode == 2
    assert "dsr1:target.availabilityZones" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_unknown_stack_exits_2(tmp_path: Path) -> None:
    result = render_cli("--stack", "nope", "--out", str(tmp_path / "b"))
    assert result.returncode == 2 and "h200-sglang-8" in result.stderr


def test_plain_text_token_is_refused() -> None:
    settings = read_stack(ROOT, "h200-sglang-8", [f"hfToken={CANARY}"])
    settings.secret_keys.discard("dsr1:hfToken")
    with pytest.raises(ConfigError, match="dsr1:hfToken: is stored in plain text"):
        run_program(ROOT, settings)


def test_missing_token_is_refused_outside_render() -> None:
    settings = read_stack(ROOT, "h200-sglang-8", [])
    del settings.config["dsr1:hfToken"]
    with pytest.raises(ConfigError, match="dsr1:hfToken: is not set"):
        run_program(ROOT, settings)


def test_the_command_without_its_garbage_collector_writes_the_same_bytes(
    rendered: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    """render.py disables the cyclic GC; an in-process render (GC on, as pytest runs) writes identical files."""
    out, _ = rendered
    assert gc.isenabled()
    assert render.main(["--stack", "h200-sglang-8", "--out", str(tmp_path), "--config", f"hfToken={CANARY}"]) == 0
    for name in ("manifests.yaml", "resources.json", "outputs.json"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
