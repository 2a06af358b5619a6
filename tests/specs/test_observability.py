"""The metrics pipeline as rendered: every stack's charts, scrapes, rules, dashboards and outputs; the hardening of
every pod the new charts run; the config rules a cluster would otherwise refuse or silently not scrape."""

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from config.errors import ConfigError
from offline.report import inputs, manifests, summary
from offline.run import Run
from specs.observability import DASHBOARD_LABEL, charts
from specs.scheduling import GPU_NODE_LABELS, GPU_TAINT, SYSTEM_LABELS
from tests.support import render, stack_values, stacks

RELEASE = "kubernetes:helm.sh/v3:Release"
EKS = [s for s in stacks() if stack_values(s)["target"]["kind"] == "eks"]


def releases(run: Run) -> dict[str, dict[str, Any]]:
    return {str(inputs(r)["name"]): inputs(r) for r in run.registrations if r.type == RELEASE}


def _contexts(values: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every securityContext-like block of a chart's values, with where it is."""
    if isinstance(values, dict):
        for k, v in values.items():
            if k.lower().endswith("securitycontext") and isinstance(v, dict):
                yield f"{path}.{k}", v
            else:
                yield from _contexts(v, f"{path}.{k}")


def _hardened(where: str, ctx: dict[str, Any]) -> None:
    if "capabilities" in ctx or "allowPrivilegeEscalation" in ctx:  # a container's
        assert ctx["allowPrivilegeEscalation"] is False and ctx["privileged"] is False, where
        assert ctx["capabilities"] == {"drop": ["ALL"]}, where
        assert ctx["runAsNonRoot"] is True and ctx["runAsUser"] > 0, where
    else:  # a pod's
        assert ctx["runAsNonRoot"] is True and ctx["runAsUser"] > 0, where
        assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}, where


@pytest.mark.parametrize("stack", stacks())
def test_every_stack_renders_the_pipeline(stack: str, rendered: Callable[[str], Run]) -> None:
    run = rendered(stack)
    docs = manifests(run)
    kinds = [m["kind"] for m in docs]
    assert kinds.count("PrometheusRule") == 1
    boards = [m for m in docs if m["kind"] == "ConfigMap" and m["metadata"].get("labels") == dict([DASHBOARD_LABEL])]
    files = {k for m in boards for k in m["data"]}
    assert files == {"slo.json", "disaggregation.json", "gpus.json", "download.json", "dcgm-exporter.json"}
    for m in boards:
        assert m["metadata"]["namespace"] == "monitoring"
        for text in m["data"].values():
            assert json.loads(text)["panels"]
    charts_ = releases(run)
    assert "kube-prometheus-stack" in charts_
    assert ("dcgm-exporter" in charts_) == (stack in EKS)
    out = run.outputs["observability"]
    assert "port-forward svc/kube-prometheus-stack-grafana 3000:80" in out["grafana"]
    assert out["alerts"].startswith("nowhere by default")
    assert "port-forward svc/kube-prometheus-stack-grafana" in summary(run)


@pytest.mark.parametrize("stack", stacks())
def test_every_new_pod_is_hardened(stack: str, rendered: Callable[[str], Run]) -> None:
    charts_ = releases(rendered(stack))
    for name in ("kube-prometheus-stack", "dcgm-exporter"):
        if name not in charts_:
            continue
        found = list(_contexts(charts_[name]["values"]))
        assert found, name
        for where, ctx in found:
            if name == "dcgm-exporter" and where == ".securityContext":
                # Its host engine writes beside it and the chart cannot mount a tmpfs (specs/observability/charts.py).
                assert ctx["readOnlyRootFilesystem"] is False
            _hardened(f"{name}{where}", ctx)
    platform = charts_["dynamo-platform"]["values"]
    _hardened("nats exporter", platform["nats"]["promExporter"]["merge"]["securityContext"])


def test_the_stack_keeps_node_exporter_and_eks_control_plane_scrapes_off(rendered: Callable[[str], Run]) -> None:
    """node-exporter is a hostNetwork, hostPID DaemonSet no dashboard here reads; EKS hides its control plane."""
    values = releases(rendered("h200-sglang-8"))["kube-prometheus-stack"]["values"]
    for key in ("nodeExporter", "kubeEtcd", "kubeControllerManager", "kubeScheduler", "kubeProxy"):
        assert values[key] == {"enabled": False}, key


@pytest.mark.parametrize("stack", EKS)
def test_on_eks_the_stack_runs_on_system_nodes_and_dcgm_on_gpu_nodes(
    stack: str, rendered: Callable[[str], Run]
) -> None:
    charts_ = releases(rendered(stack))
    values = charts_["kube-prometheus-stack"]["values"]
    for placed in (
        values["prometheusOperator"],
        values["prometheus"]["prometheusSpec"],
        values["alertmanager"]["alertmanagerSpec"],
        values["grafana"],
        values["kube-state-metrics"],
    ):
        assert placed["nodeSelector"] == SYSTEM_LABELS
    claim = values["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] and claim["resources"]["requests"]["storage"] == "50Gi"
    dcgm = charts_["dcgm-exporter"]["values"]
    if stack_values(stack)["gpuPool"].get("nodeLabels") is None:
        assert dcgm["nodeSelector"] == {"dsr1.io/pool": "gpu"}
    assert any(t["key"] == GPU_TAINT.key and t["effect"] == GPU_TAINT.effect for t in dcgm["tolerations"])
    assert GPU_NODE_LABELS  # the device plugins' selector; the pool's own labels select the same nodes


@pytest.mark.parametrize("stack", stacks())
def test_prometheus_scrapes_the_graph_and_nats_through_the_platform(stack: str, rendered: Callable[[str], Run]) -> None:
    run = rendered(stack)
    charts_ = releases(run)
    platform = charts_["dynamo-platform"]["values"]
    metrics = platform["dynamo-operator"]["dynamo"]["metrics"]
    assert metrics["podMonitors"]["enabled"] is True
    assert metrics["prometheusEndpoint"] == "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090"
    assert platform["nats"]["promExporter"]["enabled"] and platform["nats"]["promExporter"]["podMonitor"]["enabled"]
    spec = charts_["kube-prometheus-stack"]["values"]["prometheus"]["prometheusSpec"]
    assert spec["podMonitorSelectorNilUsesHelmValues"] is False and spec["ruleSelectorNilUsesHelmValues"] is False
    # The platform's PodMonitors need the Prometheus Operator's CRDs: its release waits for the stack's.
    regs = {r.urn: r for r in run.registrations}
    (platform_reg,) = [r for r in run.registrations if r.type == RELEASE and inputs(r)["name"] == "dynamo-platform"]
    waits_for = {str(inputs(regs[u]).get("name")) for u in platform_reg.dependencies if u in regs}
    assert "kube-prometheus-stack" in waits_for


def test_dev_with_its_own_prometheus_creates_only_monitors_rules_and_dashboards() -> None:
    obs = {"prometheus": "existing", "namespace": "obs", "monitorLabels": {"release": "kps"}}
    run = render("dev", f"observability={json.dumps(obs)}")
    assert set(releases(run)) == {"dynamo-platform"}
    (rule,) = [m for m in manifests(run) if m["kind"] == "PrometheusRule"]
    assert rule["metadata"]["namespace"] == "obs" and rule["metadata"]["labels"] == {"release": "kps"}
    metrics = releases(run)["dynamo-platform"]["values"]["dynamo-operator"]["dynamo"]["metrics"]
    assert "prometheusEndpoint" not in metrics and metrics["podMonitors"]["labels"] == {"release": "kps"}
    assert "your Grafana" in run.outputs["observability"]["dashboards"]


def test_off_means_no_pipeline() -> None:
    run = render("h200-sglang-8", 'observability={"enabled": false}')
    assert "kube-prometheus-stack" not in releases(run)
    assert not [m for m in manifests(run) if m["kind"] == "PrometheusRule"]
    assert "podMonitors" not in json.dumps(releases(run)["dynamo-platform"]["values"])
    assert run.outputs["observability"].startswith("off")


@pytest.mark.parametrize(
    ("stack", "obs", "key"),
    [
        ("h200-sglang-8", {"prometheus": "existing"}, "observability.prometheus"),
        ("h200-sglang-8", {"namespace": "dynamo"}, "observability.namespace"),
        ("dev", {"monitorLabels": {"release": "x"}}, "observability.monitorLabels"),
        ("dev", {"prometheus": "existing", "prometheusPodLabels": {}}, "observability.prometheusPodLabels"),
        ("dev", {"ttftP95Seconds": 0}, "observability.ttftP95Seconds"),
        ("dev", {"prometheus": "managed"}, "observability.prometheus"),
    ],
)
def test_a_config_the_cluster_would_not_scrape_is_refused(stack: str, obs: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as e:
        render(stack, f"observability={json.dumps(obs)}")
    assert key in str(e.value)


def _alerts(run: Run) -> dict[str, dict[str, Any]]:
    (rule,) = [m for m in manifests(run) if m["kind"] == "PrometheusRule"]
    return {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}


def test_a_capacity_block_with_a_known_end_alerts_a_day_before_it(rendered: Callable[[str], Run]) -> None:
    """The end EC2 reports at `pulumi up` (offline: gpuPool.capacity.endTime); unknown offline, no alert yet."""
    blocks = [s for s in stacks() if stack_values(s)["gpuPool"].get("capacity", {}).get("type") == "capacity-block"]
    assert blocks
    for stack in stacks():
        assert "CapacityBlockEndingSoon" not in _alerts(rendered(stack)), stack  # no stack file states an end
    pool = stack_values(blocks[0])["gpuPool"]
    pool["capacity"] = {**pool["capacity"], "startTime": "2026-11-01T11:30:00Z", "endTime": "2027-01-05T11:30:00Z"}
    alert = _alerts(render(blocks[0], f"gpuPool={json.dumps(pool)}"))["CapacityBlockEndingSoon"]
    assert alert["expr"] == "vector(1799148600 - time()) < 86400"  # 2027-01-05T11:30:00Z


def test_merged_lays_values_over_without_touching_the_base() -> None:
    base = {"a": {"b": 1, "c": 2}, "d": 3}
    assert charts.merged(base, {"a": {"b": 9}}) == {"a": {"b": 9, "c": 2}, "d": 3}
    assert base == {"a": {"b": 1, "c": 2}, "d": 3}


def test_before_a_capacity_block_starts_the_gpu_exporter_waits_for_the_pool() -> None:
    """Staged (the block not started): no GPU node exists, so no DaemonSet for them; the rest of the pipeline runs."""
    from tests.offline.test_checks import VARIANTS

    run = render(*VARIANTS["gb200-staged"])
    assert "kube-prometheus-stack" in releases(run) and "dcgm-exporter" not in releases(run)
    assert "GpuXidErrors" in _alerts(run)
