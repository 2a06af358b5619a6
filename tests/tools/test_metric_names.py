"""Every metric name the dashboards and alerts read exists: in the local twin's real exposition (the released
ai-dynamo frontend and mockers of .venv-local, scraped during a run, plus the engine gauges of the same package), or,
for the exporters not run here, in their pinned lists (specs/observability/upstream_files/, generated from the
releases by tools/pinned_sources.py). A misspelt name fails.

The twin part is skipped only outside CI when .venv-local is absent; under CI it must run.
"""

import json
import os
import shutil
import socket
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from specs.observability import dashboards, metric_names, rules, upstream
from specs.observability.dashboards import DashboardParams
from specs.observability.rules import RuleParams
from tests.support import stack_values, stacks
from tools import venvs
from tools.local_twin import metrics
from tools.local_twin.plan import TwinPlan
from tools.local_twin.supervisor import Supervisor
from tools.local_twin.twin import Layout, prepare, start, wait_ready

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-local"
EXPORTERS = {"DCGM_": "dcgm-exporter", "kube_": "kube-state-metrics", "kubelet_": "kubelet"}
"""Name prefix -> the pinned list of the exporter that owns it; every other name must be in the twin's exposition."""


def used(backend: str) -> set[str]:
    """Every metric name of the stack's alert rules and of every dashboard it provisions."""
    p = RuleParams("ns", "g", backend, 2, "c", 1.0, 0.1, 0.05, 0.9, 0.9, None)
    exprs = [a["expr"] for a in rules.alerts(p)]
    boards = {**dashboards.ours(DashboardParams("ns", "g", backend, "c", "j", 1)), **upstream.dashboards()}
    for board in boards.values():
        exprs += metric_names.dashboard_exprs(board)
    return metric_names.in_exprs(exprs)


def missing(names: set[str], exposed: set[str]) -> set[str]:
    out = set()
    for name in names:
        owner = next((e for prefix, e in EXPORTERS.items() if name.startswith(prefix)), None)
        known = upstream.metric_names(owner) if owner else exposed
        if name not in known:
            out.add(name)
    return out


def test_exporter_names_are_in_their_pinned_lists() -> None:
    for backend in rules.KV_USAGE:
        exporter_names = {n for n in used(backend) if n.startswith(tuple(EXPORTERS))}
        assert exporter_names and missing(exporter_names, set()) == set(), backend


def test_a_misspelt_exporter_name_is_caught() -> None:
    assert missing({"DCGM_FI_DEV_GPU_UTILIZATION", "kube_pod_status_readiness"}, set()) == {
        "DCGM_FI_DEV_GPU_UTILIZATION",
        "kube_pod_status_readiness",
    }
    assert missing({"DCGM_FI_DEV_GPU_UTIL"}, set()) == set()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_stack_per_backend() -> list[str]:
    found: dict[str, str] = {}
    for stack in stacks():
        found.setdefault(stack_values(stack)["serving"]["backend"], stack)
    return [found[b] for b in sorted(found)]


@pytest.fixture(scope="module")
def twin_venv() -> Path:
    missing = venvs.problem(VENV, ".venv-local/.installed")
    if missing is None:
        return VENV
    if os.environ.get("CI"):
        pytest.fail(f"{missing}; under CI the Makefile's pytest target must install it")
    pytest.skip(f"{missing}; CI installs it and runs this")


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def local_prometheus(p: TwinPlan, sup: Supervisor, port: int, layout: Layout) -> None:
    """`make local METRICS=1`'s Prometheus: on loopback, every twin process a healthy target, the stack's rules
    loaded and evaluating, the frontend's series labelled with the graph's namespace as the PodMonitors' are."""
    namespace, rules_ = metrics.stack_rules(layout.render / "manifests.yaml")
    url = metrics.start_prometheus(p, sup, port, layout.root / "prometheus", namespace, rules_)
    assert url.startswith("http://127.0.0.1:")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            targets = _get(f"{url}/api/v1/targets")["data"]["activeTargets"]
            loaded = [r for g in _get(f"{url}/api/v1/rules")["data"]["groups"] for r in g["rules"]]
            query = urllib.parse.quote(f'dynamo_frontend_requests_total{{namespace="{namespace}"}}')
            series = _get(f"{url}/api/v1/query?query={query}")["data"]["result"]
        except OSError:
            time.sleep(1)
            continue
        if len(targets) == 1 + len(p.mockers) and all(t["health"] == "up" for t in targets) and series:
            assert loaded and all(r["health"] == "ok" for r in loaded), loaded
            return
        time.sleep(1)
    raise AssertionError(f"the local Prometheus did not scrape the twin: {url}")


def exposition(stack: str, venv: Path, root: Path, with_prometheus: bool = False) -> set[str]:
    """Run the stack's twin, send requests (one failing), scrape every process; stopped also on failure."""
    layout, port = Layout(root), _port()
    sup = Supervisor(layout.logs)
    try:
        p = prepare(stack, layout, port, None)
        start(p, sup, venv, port)
        wait_ready(p, sup, port)
        for _ in range(3):
            metrics.chat(port, p.served_model_name)
        with pytest.raises(OSError):
            metrics.chat(port, "no-such-model", stream=False)
        time.sleep(2)  # the workers' gauges settle
        found = metrics.targets(p, sup, port)
        assert len(found) == 1 + len(p.mockers)
        names = set().union(*(metrics.names(metrics.scrape(a)) for a in found.values()))
        if with_prometheus:
            local_prometheus(p, sup, port, layout)
        return names | metrics.names(metrics.engine_gauges(venv))
    finally:
        sup.stop_all()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("stack", one_stack_per_backend())
def test_every_dynamo_name_is_in_the_twins_exposition(stack: str, twin_venv: Path, tmp_path: Path) -> None:
    backend = stack_values(stack)["serving"]["backend"]
    prometheus = stack == one_stack_per_backend()[0]
    if prometheus and not shutil.which("prometheus"):
        if os.environ.get("CI"):
            pytest.fail("prometheus is missing under CI: the Makefile's promtool target installs Debian's package")
        prometheus = False
    exposed = exposition(stack, twin_venv, tmp_path / "twin", with_prometheus=prometheus)
    assert "dynamo_frontend_requests_total" in exposed  # the scrape saw the frontend
    assert missing(used(backend), exposed) == set(), stack
    # A misspelt name is not in the exposition: the check is not vacuous.
    assert missing({"dynamo_frontend_time_to_first_token_second_bucket"}, exposed)
