"""What Jobs pip-install in their pods is hash-locked: every package pinned with its files' hashes, installed with
--require-hashes from the lock shipped beside the Job."""

import re
import shlex
from pathlib import Path

import pytest

from config import versions
from specs import download_spec, smoke_spec
from specs.in_pod_files import in_pod_file

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[a-z0-9,_-]+\])?==([^\s\\]+)")


def locked(path: Path) -> dict[str, list[str]]:
    """Package -> hashes, from a pip-compile lock (continuation lines joined)."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = PIN.match(line)
        assert m, f"{path.name}: not an exact pin: {line[:80]}"
        out[m.group(1).lower().replace("_", "-")] = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
    return out


@pytest.mark.parametrize(
    ("name", "package", "version"),
    [
        ("download.txt", "huggingface-hub", versions.HUGGINGFACE_HUB_VERSION),
        ("benchmark.txt", "aiperf", versions.AIPERF_VERSION),
    ],
)
def test_every_dependency_is_pinned_with_hashes(name: str, package: str, version: str) -> None:
    path = in_pod_file(f"requirements/{name}")
    pins = locked(path)
    assert len(pins) > 5  # the package and all it pulls in, not just the top level
    assert all(hashes for hashes in pins.values()), [p for p, h in pins.items() if not h]
    assert re.search(rf"(?m)^{package}=={re.escape(version)} ", re.sub(r"\\\n\s*", " ", path.read_text()))


def test_the_download_job_installs_only_the_lock_it_ships() -> None:
    cm = download_spec.script_config_map("x", "ns")
    assert cm["data"][download_spec.REQUIREMENTS_KEY] == download_spec.REQUIREMENTS.read_text()
    job = download_spec.download_job(
        name="x",
        namespace="ns",
        model=__import__("config.catalog", fromlist=["MODELS"]).MODELS["deepseek-r1"],
        revision="main",
        pvc_name="c",
        token_secret="t",
        script_config_map="x",
        node_selector={},
    )
    (install,) = [c for c in job["spec"]["template"]["spec"]["initContainers"] if c["name"] == "install-client"]
    assert install["command"][:2] == ["sh", "-c"]
    pip_install, pip_check = install["command"][2].split(" && ")
    cmd = shlex.split(pip_install)
    assert {"--require-hashes", "--no-deps", "--only-binary=:all:"} <= set(cmd)
    assert cmd[cmd.index("-r") + 1] == f"{download_spec.SCRIPT_DIR}/{download_spec.REQUIREMENTS_KEY}"
    assert not any("==" in a for a in cmd)  # nothing installed beside the lock
    assert pip_check == f"PYTHONPATH={download_spec.DEPS_DIR} python -m pip check"  # and the lock proven complete
    assert {"name": "script", "mountPath": download_spec.SCRIPT_DIR, "readOnly": True} in install["volumeMounts"]


def test_the_benchmark_installs_only_the_lock_it_ships() -> None:
    script = smoke_spec.benchmark_script(
        bench=__import__("config.schema", fromlist=["Benchmark"]).Benchmark(),
        url="http://f:8000",
        served_model_name="m",
        tokenizer_dir="/cache/m",
        results_dir="/cache/r",
    )
    lines = script.splitlines()
    (install,) = [line for line in lines if "pip install" in line]
    assert "--require-hashes" in install and "--no-deps" in install and "--only-binary=:all:" in install
    assert lines[lines.index(install) + 1] == "python -m pip check" and lines[0] == "set -eu"
    assert f"-r {smoke_spec.REQUIREMENTS_PATH}" in install
    assert "==" not in install
    cm = smoke_spec.benchmark_config_map(name="b", namespace="ns", graph_name="g")
    assert cm["data"][smoke_spec.REQUIREMENTS_KEY] == smoke_spec.BENCHMARK_REQUIREMENTS.read_text()
