"""Render a stack, lay out the twin's directory, start the frontend and the mockers, wait until the model serves.

Layout under the twin's directory (build/local/<stack>/ by default): render/ (the stack's manifests), model/ (the
generated model files), kv/ (file-based discovery), logs/<process>.log, smoke/ (the smoke Job's client, from its
ConfigMap), bench/ (aiperf artifacts).
"""

import json
import os
import shutil
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from config import versions
from config.errors import ConfigError
from config.schema import Benchmark
from offline import report
from offline.run import run_program
from offline.stack_files import read_stack
from tools.local_twin import model_dir
from tools.local_twin.plan import LOOPBACK, Process, TwinPlan, plan
from tools.local_twin.supervisor import Supervisor, free_port, port_free

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 180.0
SERVING_KEY = "serving"


class TwinError(Exception):
    """The twin could not start or serve; the message says which process and shows its log's end."""


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def render(self) -> Path:
        return self.root / "render"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def kv(self) -> Path:
        return self.root / "kv"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def smoke(self) -> Path:
        return self.root / "smoke"

    @property
    def bench(self) -> Path:
        return self.root / "bench"


def render(stack: str, out: Path, benchmark: Benchmark | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The stack rendered offline into `out` (as render.py does); with `benchmark`, its benchmark Job enabled with
    those sizes, so the Job's own aiperf command can be run against the twin."""
    settings = read_stack(ROOT, stack, [])
    if benchmark is not None:
        full = f"{settings.project}:{SERVING_KEY}"
        serving = json.loads(settings.config[full])
        serving["benchmark"] = {**serving.get("benchmark", {}), **benchmark.model_dump(by_alias=True)}
        settings.config[full] = json.dumps(serving)
    settings.notices.append("Hugging Face Hub preflight skipped (offline render)")
    try:
        run = run_program(ROOT, settings)
    except ConfigError as e:
        raise TwinError(f"{stack}: {e}") from e
    report.write(run, out)
    docs = [d for d in yaml.safe_load_all((out / "manifests.yaml").read_text()) if d]
    return docs, json.loads((out / "outputs.json").read_text())


def twin_env(layout: Layout) -> dict[str, str]:
    """What every twin process shares: file discovery, the TCP request plane, and loopback for every listener
    the runtime lets us place (`strings` of ai-dynamo-runtime 1.3.0.post1's _core.abi3.so; tried here: the TCP
    response stream takes an interface name, so `lo`). The ZMQ event plane still binds 0.0.0.0 on ephemeral
    ports; 1.6.1's DYN_EVENT_PLANE_HOST (`strings` of its _core.abi3.so) makes it advertise loopback, so every peer
    connects there (seen here), but no bind setting was found (check)."""
    return {
        "DYN_DISCOVERY_BACKEND": "file",
        "DYN_FILE_KV": str(layout.kv),
        "DYN_REQUEST_PLANE": "tcp",
        "DYN_TCP_RPC_HOST": LOOPBACK,
        "DYN_TCP_RESPONSE_STREAM_HOST": "lo",
        "DYN_SYSTEM_HOST": LOOPBACK,
        "DYN_EVENT_PLANE_HOST": LOOPBACK,
        # The frontend caches the model files it fetches under $HOME/.cache/dynamo/mdc/<served name>/: one per twin,
        # or two twins of the same model race on one directory.
        "HOME": str(layout.root / "home"),
        "HF_HOME": str(layout.root / "hf-home"),  # the pod's HF_HOME is the cache mount, absent here
        "HF_HUB_OFFLINE": "1",
        "XDG_CACHE_HOME": str(layout.root / "cache"),
        "NO_COLOR": "1",
    }


def base_env(venv: Path) -> dict[str, str]:
    """A minimal environment: the twin's venv first on PATH, nothing else of the caller's leaks in."""
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "TERM")}
    return {**keep, "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "PYTHONUNBUFFERED": "1"}


def same_release(p: TwinPlan, venv: Path) -> None:
    """The twin runs the stack's Dynamo release: its venv's ai-dynamo is that release's wheel (config/versions.py)."""
    if p.dynamo_release is None:
        return
    wanted = versions.DYNAMO_RELEASES[p.dynamo_release].pypi
    found = next(iter(sorted((venv / "lib").glob(f"python*/site-packages/ai_dynamo-{wanted}.dist-info"))), None)
    if found is None:
        raise TwinError(
            f"the stack runs Dynamo {p.dynamo_release} but {venv} has no ai-dynamo {wanted}: requirements-local.txt "
            "locks the default release (config/versions.py DYNAMO_RELEASE); build a venv of that release"
        )


def prepare(stack: str, layout: Layout, port: int, benchmark: Benchmark | None) -> TwinPlan:
    for d in (layout.kv, layout.logs, layout.bench, layout.render, layout.root / "home"):
        shutil.rmtree(d, ignore_errors=True)
    docs, outputs = render(stack, layout.render, benchmark)
    model_dir.write(layout.model)
    layout.kv.mkdir(parents=True)
    layout.smoke.mkdir(parents=True, exist_ok=True)
    layout.bench.mkdir(parents=True)
    return plan(
        docs,
        outputs,
        port=port,
        model_dir=str(layout.model),
        twin_env=twin_env(layout),
        artifacts_dir=str(layout.bench),
    )


SYSTEM_UP = (
    "System status server started successfully on {host}:{port}",  # ai-dynamo-runtime 1.3.0.post1
    "system status server bound to: {host}:{port}",  # ai-dynamo-runtime 1.6.1 (seen here)
)
SYSTEM_FAILED = "System status server startup failed"
"""What ai-dynamo-runtime logs when a mocker's system server binds, or does not (seen here with 1.3.0.post1: the
mocker then runs on without it, and without self-hosted metadata the frontend falls back to the Hub and never lists
the model)."""
SYSTEM_TRIES = 5
SYSTEM_WAIT_S = 60.0


def _start_mocker(sup: Supervisor, m: Process, argv: list[str], env: dict[str, str], taken: set[int]) -> None:
    """Start a mocker on a free system port; another process may take the port first, so watch its log and retry."""
    for _ in range(SYSTEM_TRIES):
        port = free_port(taken)
        proc = sup.start(m.name, argv, {**env, "DYN_SYSTEM_PORT": str(port)})
        up = [line.format(host=LOOPBACK, port=port) for line in SYSTEM_UP]
        deadline = time.monotonic() + SYSTEM_WAIT_S
        while time.monotonic() < deadline:
            text = proc.log.read_text(errors="replace")
            if any(u in text for u in up):
                return
            if SYSTEM_FAILED in text or proc.popen.poll() is not None:
                break
            time.sleep(0.1)
        log = proc.tail()
        sup.stop(proc)
        sup.running.remove(proc)
        if SYSTEM_FAILED not in log:
            raise TwinError(f"{m.name}: its system server did not start on {LOOPBACK}:{port}; {proc.log}:\n{log}")
    raise TwinError(f"{m.name}: no free system port after {SYSTEM_TRIES} tries")


def start(p: TwinPlan, sup: Supervisor, venv: Path, port: int) -> None:
    if not port_free(port):
        raise TwinError(f"port {port} is in use on {LOOPBACK}; choose another (make local PORT=...)")
    python = str(venv / "bin" / "python")
    env = base_env(venv)
    sup.start(p.frontend.name, [python, *p.frontend.args], {**env, **p.frontend.env})
    taken = {port}  # the frontend may not have bound its port yet
    for m in p.mockers:
        _start_mocker(sup, m, [python, *m.args], {**env, **m.env}, taken)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def wait_ready(p: TwinPlan, sup: Supervisor, port: int, timeout: float = READY_TIMEOUT_S) -> None:
    """Until /v1/models lists the served model and every mocker's endpoint is registered with the frontend."""
    deadline = time.monotonic() + timeout
    want = len(p.mockers)
    seen: Any = None
    while time.monotonic() < deadline:
        dead = sup.exited()
        if dead:
            d = dead[0]
            raise TwinError(f"{d.name} exited ({d.popen.returncode}); {d.log}:\n{d.tail()}")
        try:
            models = _get(f"http://{LOOPBACK}:{port}/v1/models")
            health = _get(f"http://{LOOPBACK}:{port}/health")
            seen = health
            listed = [m.get("id") for m in models.get("data", [])]
            instances = {
                i.get("instance_id") for i in health.get("instances", []) if "generate" in i.get("endpoint", "")
            }
            if p.served_model_name in listed and len(instances) >= want:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    frontend = next((r for r in sup.running if r.name == p.frontend.name), None)
    tail = f"\n{frontend.log}:\n{frontend.tail()}" if frontend else ""
    raise TwinError(f"not ready after {timeout:.0f}s (want {want} workers); last /health: {seen}{tail}")
