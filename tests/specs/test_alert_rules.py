"""The alert rules under promtool: `check rules` on every stack's rendered PrometheusRule, and `test rules` with a
firing and a quiet case per alert (Debian's prometheus package; the Makefile's `promtool` target installs it)."""

import datetime
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.report import manifests
from offline.run import Run
from specs.observability import rules
from specs.observability.rules import RuleParams
from tests.support import stacks

NS, GRAPH = "dynamo", "g"
END = datetime.datetime(1970, 1, 3, tzinfo=datetime.UTC)
"""A Capacity Block ending two days after promtool's clock starts (the Unix epoch)."""


def params(backend: str = "sglang", capacity_end: datetime.datetime | None = END) -> RuleParams:
    return RuleParams(NS, GRAPH, backend, 2, "model-cache-x", 3.0, 0.1, 0.05, 0.95, 0.9, capacity_end)


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("promtool is missing under CI: the Makefile's `promtool` target installs Debian's prometheus")
    pytest.skip("promtool not installed (make promtool: apt-get install prometheus)")


def _run(promtool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _write_rules(tmp: Path, alerts: list[dict[str, Any]]) -> None:
    (tmp / "rules.yaml").write_text(yaml.safe_dump({"groups": [{"name": "t", "rules": alerts}]}))


def _series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{name}{{{inner}}}", "values": values}


def _histogram(metric: str, buckets: dict[str, str]) -> list[dict[str, str]]:
    return [_series(f"{metric}_bucket", {"namespace": NS, "le": le}, v) for le, v in buckets.items()]


Case = tuple[list[dict[str, str]], list[dict[str, str]], str]
"""Input series when it must fire, when it must stay quiet, and the evaluation time."""
KV_LABELS = {"namespace": NS, "pod": "g-decode-0"}
VOLUME = {"namespace": NS, "persistentvolumeclaim": "model-cache-x"}


def cases(backend: str) -> dict[str, Case]:
    ttft, itl = "dynamo_frontend_time_to_first_token_seconds", "dynamo_frontend_inter_token_latency_seconds"
    req = "dynamo_frontend_requests_total"
    ready, pod_labels = "kube_pod_status_ready", "kube_pod_labels"
    worker = {
        "namespace": NS,
        "label_nvidia_com_dynamo_graph_deployment_name": GRAPH,
        "label_nvidia_com_dynamo_component_type": "worker",
    }
    return {
        # Every request in (1, 5] s: p95 ~4.8 s > 3 s; every request under 1 s: p95 0.95 s.
        "DynamoTimeToFirstTokenHigh": (
            _histogram(ttft, {"1": "0+0x40", "5": "0+10x40", "+Inf": "0+10x40"}),
            _histogram(ttft, {"1": "0+10x40", "5": "0+10x40", "+Inf": "0+10x40"}),
            "30m",
        ),
        "DynamoInterTokenLatencyHigh": (
            _histogram(itl, {"0.05": "0+0x40", "0.5": "0+10x40", "+Inf": "0+10x40"}),
            _histogram(itl, {"0.05": "0+10x40", "0.5": "0+10x40", "+Inf": "0+10x40"}),
            "30m",
        ),
        # 10% internal errors fire; 10% validation errors (the client's) do not.
        "DynamoErrorRateHigh": (
            [
                _series(req, {"namespace": NS, "status": "success", "error_type": ""}, "0+90x40"),
                _series(req, {"namespace": NS, "status": "error", "error_type": "internal"}, "0+10x40"),
            ],
            [
                _series(req, {"namespace": NS, "status": "success", "error_type": ""}, "0+90x40"),
                _series(req, {"namespace": NS, "status": "error", "error_type": "validation"}, "0+10x40"),
            ],
            "30m",
        ),
        # One of the two worker pods Ready for 30 min; then both.
        "DynamoWorkersNotReady": (
            [
                _series(ready, {"namespace": NS, "pod": "w0", "condition": "true"}, "1x40"),
                _series(ready, {"namespace": NS, "pod": "w1", "condition": "true"}, "0x40"),
                _series(pod_labels, {**worker, "pod": "w0"}, "1x40"),
                _series(pod_labels, {**worker, "pod": "w1"}, "1x40"),
            ],
            [
                _series(ready, {"namespace": NS, "pod": "w0", "condition": "true"}, "1x40"),
                _series(ready, {"namespace": NS, "pod": "w1", "condition": "true"}, "1x40"),
                _series(pod_labels, {**worker, "pod": "w0"}, "1x40"),
                _series(pod_labels, {**worker, "pod": "w1"}, "1x40"),
            ],
            "30m",
        ),
        "GpuXidErrors": (
            [_series("DCGM_FI_DEV_XID_ERRORS", {"Hostname": "n1", "gpu": "3"}, "79x10")],
            [_series("DCGM_FI_DEV_XID_ERRORS", {"Hostname": "n1", "gpu": "3"}, "0x10")],
            "5m",
        ),
        "DynamoKvCacheNearlyFull": (
            [_series(rules.KV_USAGE[backend], KV_LABELS, "0.97x40")],
            [_series(rules.KV_USAGE[backend], KV_LABELS, "0.5x40")],
            "30m",
        ),
        "ModelCacheVolumeNearlyFull": (
            [
                _series("kubelet_volume_stats_used_bytes", VOLUME, "95x40"),
                _series("kubelet_volume_stats_capacity_bytes", VOLUME, "100x40"),
            ],
            [
                _series("kubelet_volume_stats_used_bytes", VOLUME, "50x40"),
                _series("kubelet_volume_stats_capacity_bytes", VOLUME, "100x40"),
            ],
            "30m",
        ),
        # time() is promtool's clock: 25 h after the epoch the block ends in 23 h; 1 h after it, in 47 h.
        "CapacityBlockEndingSoon": ([], [], ""),
    }


def _expected(alert: dict[str, Any], labels: dict[str, str], value: str) -> dict[str, Any]:
    annotations = {
        k: v.replace("{{ $labels.gpu }}", labels.get("gpu", "")).replace(
            "{{ $labels.Hostname }}", labels.get("Hostname", "")
        )
        for k, v in alert["annotations"].items()
    }
    annotations = {k: v.replace("{{ $value }}", value) for k, v in annotations.items()}
    return {"exp_labels": {**alert["labels"], **labels}, "exp_annotations": annotations}


FIRING_LABELS = {
    "DynamoKvCacheNearlyFull": KV_LABELS,
    "ModelCacheVolumeNearlyFull": VOLUME,
    "GpuXidErrors": {"Hostname": "n1", "gpu": "3"},
}


def unit_tests(alert: dict[str, Any], backend: str) -> list[dict[str, Any]]:
    name = alert["alert"]
    firing, quiet, at = cases(backend)[name]
    labels = FIRING_LABELS.get(name, {})
    if name == "CapacityBlockEndingSoon":
        fire = [{"eval_time": "25h", "alertname": name, "exp_alerts": [_expected(alert, {}, "")]}]
        return [
            {
                "interval": "1h",
                "input_series": [],
                "alert_rule_test": [*fire, {"eval_time": "1h", "alertname": name, "exp_alerts": []}],
            }
        ]
    value = "79" if name == "GpuXidErrors" else ""
    return [
        {
            "interval": "1m",
            "input_series": firing,
            "alert_rule_test": [{"eval_time": at, "alertname": name, "exp_alerts": [_expected(alert, labels, value)]}],
        },
        {
            "interval": "1m",
            "input_series": quiet,
            "alert_rule_test": [{"eval_time": at, "alertname": name, "exp_alerts": []}],
        },
    ]


def _test_file(tmp: Path, tests: list[dict[str, Any]]) -> Path:
    path = tmp / "tests.yaml"
    path.write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests}))
    return path


ALERTS = [a["alert"] for a in rules.alerts(params())]


def test_every_alert_has_a_case_and_one_runbook_line() -> None:
    assert sorted(ALERTS) == sorted(cases("sglang"))
    for a in rules.alerts(params()):
        runbook = a["annotations"]["runbook"]
        assert runbook and "\n" not in runbook, a["alert"]
        assert a["labels"]["severity"] in ("warning", "critical"), a["alert"]


@pytest.mark.parametrize("backend", sorted(rules.KV_USAGE))
@pytest.mark.parametrize("alert_name", ALERTS)
def test_each_alert_fires_on_its_condition_and_only_then(
    alert_name: str, backend: str, promtool: str, tmp_path: Path
) -> None:
    alerts = rules.alerts(params(backend))
    (alert,) = [a for a in alerts if a["alert"] == alert_name]
    _write_rules(tmp_path, alerts)
    done = _run(promtool, "test", "rules", str(_test_file(tmp_path, unit_tests(alert, backend))), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_misspelt_metric_fails_its_unit_test(promtool: str, tmp_path: Path) -> None:
    """The unit tests are not vacuous: a rule reading a name no exporter has never fires."""
    alerts = rules.alerts(params())
    (alert,) = [a for a in alerts if a["alert"] == "DynamoErrorRateHigh"]
    broken = {**alert, "expr": alert["expr"].replace("dynamo_frontend_requests_total", "dynamo_frontend_request_total")}
    _write_rules(tmp_path, [broken])
    done = _run(promtool, "test", "rules", str(_test_file(tmp_path, unit_tests(alert, "sglang"))), cwd=tmp_path)
    assert done.returncode != 0


def test_no_capacity_block_no_alert_for_it() -> None:
    assert "CapacityBlockEndingSoon" not in [a["alert"] for a in rules.alerts(params(capacity_end=None))]


@pytest.mark.parametrize("stack", stacks())
def test_every_stack_renders_rules_promtool_accepts(
    stack: str, rendered: Callable[[str], Run], promtool: str, tmp_path: Path
) -> None:
    (rule,) = [m for m in manifests(rendered(stack)) if m["kind"] == "PrometheusRule"]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    done = _run(promtool, "check", "rules", "rules.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    names = {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]}
    assert {"DynamoTimeToFirstTokenHigh", "GpuXidErrors", "DynamoWorkersNotReady"} <= names
