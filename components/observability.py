"""Observability: the metrics pipeline of the stack (kube-prometheus-stack, the GPUs' DCGM exporter), its alert
rules and dashboards; the scrapes of the graph and NATS come with the platform's values (specs/observability/)."""

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import helm
from config import versions
from specs.observability import (
    ALERTMANAGER_PORT,
    ALERTMANAGER_SERVICE,
    GRAFANA_PORT,
    GRAFANA_SERVICE,
    PROMETHEUS_PORT,
    PROMETHEUS_SERVICE,
    ObservabilityPlan,
    charts,
    dashboards,
    rules,
    upstream,
)


@dataclass(frozen=True)
class ObservabilityArgs:
    plan: ObservabilityPlan
    rule_params: rules.RuleParams
    dashboard_params: dashboards.DashboardParams
    system_selector: dict[str, str]
    """Where the monitoring stack runs (EKS: the CPU system nodes; empty: anywhere)."""
    storage_class: str | None
    """Prometheus's volume (EKS: the encrypted gp3 class; None: the cluster's default)."""
    gpu_selector: dict[str, str] = field(default_factory=dict)
    gpu_tolerations: list[dict[str, str]] = field(default_factory=list)
    after: list[pulumi.Resource] = field(default_factory=list)
    """The cluster (its StorageClass and node groups) on EKS."""


class Observability(pulumi.ComponentResource):
    ready: list[pulumi.Resource]
    """What the platform release waits for: the Prometheus Operator's CRDs its PodMonitors need."""
    access: dict[str, Any]
    """How to reach Prometheus, Grafana and Alertmanager, and where alerts go (a stack output)."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dsr1:index:Observability", name, None, opts)
        p = args.plan
        ns = p.namespace
        after = pulumi.ResourceOptions(parent=self, depends_on=args.after)
        self.ready = []
        if p.in_cluster:
            stack = helm.pinned_release(
                f"{name}-kube-prometheus-stack",
                versions.KUBE_PROMETHEUS_STACK,
                ns,
                charts.kube_prometheus_stack_values(p, args.system_selector, args.storage_class),
                after,
                create_namespace=True,
            )
            self.ready = [stack]
        crds = pulumi.ResourceOptions(parent=self, depends_on=self.ready)
        if p.dcgm_exporter:
            helm.pinned_release(
                f"{name}-dcgm-exporter",
                versions.DCGM_EXPORTER,
                ns,
                charts.dcgm_exporter_values(p, args.gpu_selector, args.gpu_tolerations),
                crds,
                create_namespace=not p.in_cluster,
            )
        rule = rules.prometheus_rule(args.rule_params, ns, p.config.monitor_labels)
        k8s.apiextensions.CustomResource(
            f"{name}-alerts",
            api_version=rule["apiVersion"],
            kind=rule["kind"],
            metadata=rule["metadata"],
            spec=rule["spec"],
            opts=crds,
        )
        graph = args.dashboard_params.graph_name
        for cm in (
            dashboards.config_map(f"{graph}-dashboards", ns, dashboards.ours(args.dashboard_params)),
            dashboards.config_map(f"{graph}-upstream-dashboards", ns, upstream.dashboards()),
        ):
            k8s.core.v1.ConfigMap(
                f"{name}-{cm['metadata']['name']}", metadata=cm["metadata"], data=cm["data"], opts=crds
            )
        self.access = access(p)
        self.register_outputs({"access": self.access})


def access(p: ObservabilityPlan) -> dict[str, Any]:
    """The stack output: port-forward commands and where alerts go."""
    ns = p.namespace
    if not p.in_cluster:
        return {
            "dashboards": f"your Grafana: the dashboards are ConfigMaps labelled grafana_dashboard=1 in {ns}",
            "prometheus": f"your Prometheus in {ns} (the PodMonitors and the PrometheusRule carry monitorLabels)",
            "alerts": "your Alertmanager's receivers (the stack configures none)",
        }
    secret = f"kubectl -n {ns} get secret {GRAFANA_SERVICE} -o jsonpath='{{.data.admin-password}}' | base64 -d"
    return {
        "grafana": f"kubectl -n {ns} port-forward svc/{GRAFANA_SERVICE} 3000:{GRAFANA_PORT}, then"
        f" http://localhost:3000 (user admin, password: {secret})",
        "prometheus": f"kubectl -n {ns} port-forward svc/{PROMETHEUS_SERVICE} 9090:{PROMETHEUS_PORT}, then"
        " http://localhost:9090/alerts",
        "alerts": "nowhere by default: Alertmanager runs with the chart's `null` receiver; add a receiver"
        f" (docs/observability.md). Firing alerts: kubectl -n {ns} port-forward svc/{ALERTMANAGER_SERVICE}"
        f" 9093:{ALERTMANAGER_PORT}",
    }
