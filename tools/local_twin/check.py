"""local-check: the smoke Job's client and the benchmark Job's aiperf, as the Jobs ship them, against the twin.

The figures are the mocker's simulated timings on this CPU: they say the client, the frontend and the routing
work end to end, nothing about GPU performance.
"""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.local_twin.plan import TwinPlan
from tools.local_twin.supervisor import Supervisor

SMOKE_TIMEOUT_S = 300.0
BENCH_TIMEOUT_S = 600.0
SUMMARY_FILE = "profile_export_aiperf.json"
"""aiperf's summary export (aiperf 0.10.0 config/artifacts.py)."""
FIGURES = (
    ("time_to_first_token", "TTFT"),
    ("inter_token_latency", "ITL"),
    ("request_latency", "request latency"),
    ("output_token_throughput", "output tokens/s"),
    ("request_throughput", "requests/s"),
)


@dataclass(frozen=True)
class Figure:
    label: str
    value: float
    unit: str


def figures(summary: dict[str, Any]) -> list[Figure]:
    """TTFT, ITL, latency (averages) and throughput from aiperf's summary JSON; missing metrics are skipped."""
    out = []
    for key, label in FIGURES:
        metric = summary.get(key)
        if isinstance(metric, dict) and isinstance(metric.get("avg"), (int, float)):
            out.append(Figure(label, float(metric["avg"]), str(metric.get("unit", ""))))
    return out


def _wait(sup: Supervisor, name: str, argv: list[str], env: dict[str, str], timeout: float, cwd: Path) -> int:
    proc = sup.start(name, argv, env, cwd=cwd)
    try:
        return proc.popen.wait(timeout)
    except subprocess.TimeoutExpired:
        print(f"{name}: no result after {timeout:.0f}s; stopped", file=sys.stderr)
        return 124
    finally:
        sup.stop(proc)
        sup.running.remove(proc)


def smoke(p: TwinPlan, sup: Supervisor, smoke_dir: Path, env: dict[str, str]) -> bool:
    """The client from the smoke Job's ConfigMap, with the Job's arguments (its URL pointed at the twin)."""
    client = smoke_dir / "smoke_client.py"
    client.write_text(p.smoke_source)
    rc = _wait(sup, "smoke", [sys.executable, str(client), *p.smoke_args], env, SMOKE_TIMEOUT_S, smoke_dir)
    log = (sup.log_dir / "smoke.log").read_text(errors="replace").strip()
    print(f"smoke client (as the smoke Job runs it): {'PASS' if rc == 0 else 'FAIL'}\n  {log}")
    return rc == 0


def benchmark(p: TwinPlan, sup: Supervisor, venv: Path, bench_dir: Path, env: dict[str, str]) -> bool:
    """The benchmark Job's aiperf command from the twin's venv; prints the summary as mocker figures."""
    if p.benchmark_args is None:
        print("benchmark: the render has no benchmark Job; FAIL")
        return False
    argv = [str(venv / "bin" / "aiperf"), *p.benchmark_args]
    print("benchmark:", " ".join(argv))
    rc = _wait(sup, "aiperf", argv, env, BENCH_TIMEOUT_S, bench_dir)
    summary = bench_dir / SUMMARY_FILE
    if rc != 0 or not summary.exists():
        log = sup.log_dir / "aiperf.log"
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        print(f"benchmark: FAIL (exit {rc}); {log}:\n{tail}")
        return False
    data = json.loads(summary.read_text())
    failed = int((data.get("error_request_count") or {}).get("avg", 0) or 0)
    print("benchmark: MOCKER figures (simulated timings on this CPU, NOT GPU performance):")
    for f in figures(data):
        print(f"  {f.label:18s} {f.value:12.2f} {f.unit}")
    print(f"  artifacts: {bench_dir}")
    if failed:
        print(f"benchmark: FAIL ({failed} requests failed)")
        return False
    print("benchmark: PASS")
    return True
