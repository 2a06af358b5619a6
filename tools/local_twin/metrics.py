"""The twin's metrics: where its processes serve /metrics, what they expose, and a local Prometheus scraping them.

The frontend serves /metrics on its HTTP port and each mocker on its system port (DYN_SYSTEM_PORT), as the
operator's PodMonitors scrape them in a cluster (`http` and `system` ports). The engine gauges real SGLang and
TRT-LLM workers publish and the mocker does not (KV cache use) come from the released package's own class,
LLMBackendMetrics, run in the twin's venv.
"""

import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from tools.local_twin.plan import LOOPBACK, TwinPlan
from tools.local_twin.supervisor import Running, Supervisor, free_port

ENGINE_GAUGES = """
from prometheus_client import CollectorRegistry, generate_latest
from dynamo.common.utils.prometheus import LLMBackendMetrics
registry = CollectorRegistry()
m = LLMBackendMetrics(registry, model_name="m", component_name="backend")
m.set_total_blocks("0", 1)
m.set_gpu_cache_usage("0", 0.5)
m.set_kv_cache_hit_rate("0", 0.5)
print(generate_latest(registry).decode())
"""
_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{|\s)")


def system_port(proc: Running) -> int:
    """A mocker's DYN_SYSTEM_PORT, from its environment as the kernel holds it (Linux)."""
    env = Path(f"/proc/{proc.popen.pid}/environ").read_bytes().split(b"\0")
    for item in env:
        k, _, v = item.decode(errors="replace").partition("=")
        if k == "DYN_SYSTEM_PORT":
            return int(v)
    raise LookupError(f"{proc.name}: no DYN_SYSTEM_PORT")


def targets(p: TwinPlan, sup: Supervisor, port: int) -> dict[str, str]:
    """host:port of each process's /metrics, by process name."""
    out = {p.frontend.name: f"{LOOPBACK}:{port}"}
    for proc in sup.running:
        if proc.name in {m.name for m in p.mockers}:
            out[proc.name] = f"{LOOPBACK}:{system_port(proc)}"
    return out


def scrape(address: str) -> str:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as r:
        text: str = r.read().decode()
        return text


def names(exposition: str) -> set[str]:
    """Metric names of the samples in a Prometheus text exposition."""
    return {m.group(1) for line in exposition.splitlines() if (m := _SAMPLE.match(line))}


def engine_gauges(venv: Path) -> str:
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", ENGINE_GAUGES], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout


def chat(port: int, model: str, stream: bool = True) -> None:
    """One small request; a model the twin does not serve makes an error the frontend counts."""
    body = {"model": model, "messages": [{"role": "user", "content": "Hello?"}], "max_tokens": 8, "stream": stream}
    request = urllib.request.Request(
        f"http://{LOOPBACK}:{port}/v1/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as r:
        r.read()


def prometheus_config(p: TwinPlan, found: dict[str, str], namespace: str, rule_file: Path) -> dict[str, Any]:
    """A scrape configuration like the PodMonitors': each target labelled with the graph's namespace and its pod."""
    return {
        "global": {"scrape_interval": "5s", "evaluation_interval": "5s"},
        "rule_files": [str(rule_file)],
        "scrape_configs": [
            {
                "job_name": "twin",
                "static_configs": [
                    {"targets": [address], "labels": {"namespace": namespace, "pod": name}}
                    for name, address in sorted(found.items())
                ],
            }
        ],
    }


def start_prometheus(p: TwinPlan, sup: Supervisor, port: int, root: Path, namespace: str, rules: dict[str, Any]) -> str:
    """Debian's prometheus on loopback, scraping the twin with the stack's own alert rules; its URL."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise FileNotFoundError("prometheus is not installed: `make promtool` installs Debian's prometheus package")
    root.mkdir(parents=True, exist_ok=True)
    rule_file = root / "rules.yaml"
    rule_file.write_text(yaml.safe_dump(rules))
    config = root / "prometheus.yml"
    config.write_text(yaml.safe_dump(prometheus_config(p, targets(p, sup, port), namespace, rule_file)))
    listen = f"{LOOPBACK}:{free_port(set())}"
    sup.start(
        "prometheus",
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={root / 'data'}",
            f"--web.listen-address={listen}",
        ],
        {"PATH": "/usr/bin:/bin"},
    )
    return f"http://{listen}"


def stack_rules(manifests: Path) -> tuple[str, dict[str, Any]]:
    """The serving namespace and the alert rule groups of a rendered stack (its PrometheusRule)."""
    docs = [d for d in yaml.safe_load_all(manifests.read_text()) if d]
    (graph,) = [d for d in docs if d.get("kind") == "DynamoGraphDeployment"]
    groups = [g for d in docs if d.get("kind") == "PrometheusRule" for g in d["spec"]["groups"]]
    return str(graph["metadata"]["namespace"]), {"groups": groups}
