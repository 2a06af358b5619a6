"""The downloader as the pod runs it: the ConfigMap's keys laid out as the kubelet mounts them (its `items`), run as
`python -m weights` in a separate interpreter with only that directory on the path, against the fake Hub."""

import os
import subprocess
import sys
from pathlib import Path

from specs import download_spec
from tests.in_pod.fault_hub import CONTENT, REPO, REV, FaultHub, serve


def mount(into: Path) -> Path:
    cm = download_spec.script_config_map("x", "ns")
    for item in download_spec.script_items():
        path = into / item["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(cm["data"][item["key"]])
    return into


def test_the_shipped_package_runs_as_a_module_and_completes(tmp_path: Path) -> None:
    scripts = mount(tmp_path / "opt")
    target = tmp_path / "cache" / "rev"
    with serve(FaultHub()) as url:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(scripts),  # the pod's /opt/dsr1 (its /deps: this interpreter's own site-packages)
            "PYTHONDONTWRITEBYTECODE": "1",
            "HF_ENDPOINT": url,
            "HF_TOKEN": "hf_test",
            "HF_HOME": str(tmp_path / "hf"),
            "DSR1_REPO": REPO,
            "DSR1_REVISION": REV,
            "DSR1_TARGET": str(target),
            "DSR1_PART_BYTES": "4096",
        }
        done = subprocess.run(
            [sys.executable, "-m", "weights"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "marker written" in done.stdout and "Traceback" not in done.stderr
    assert all((target / p).read_bytes() == d for p, d in CONTENT.items())
    assert not list(scripts.rglob("__pycache__"))
