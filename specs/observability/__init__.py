"""The metrics pipeline as plain data: chart values, scrapes, alert rules and dashboards (docs/observability.md).

Why in-cluster (kube-prometheus-stack) rather than AWS-managed (AMP, its managed scraper, AMG): Dynamo's operator
exposes the graph through PodMonitors (Prometheus Operator CRDs), which AMP's managed scraper does not read (it takes
a plain scrape configuration); AMG needs IAM Identity Center set up in the account; and the same chart serves the
`existing` clusters and the local twin's Prometheus, so one set of rules and dashboards is tested for all of them.
"""

from dataclasses import dataclass

from config.schema import Observability

PROMETHEUS_SERVICE = "kube-prometheus-stack-prometheus"
GRAFANA_SERVICE = "kube-prometheus-stack-grafana"
ALERTMANAGER_SERVICE = "kube-prometheus-stack-alertmanager"
"""The chart's Services for its release name (`<release>-<component>`; helm.pinned_release names the release after
the chart): kube-prometheus-stack templates/prometheus/service.yaml, grafana's fullname, alertmanager/service.yaml."""
PROMETHEUS_PORT = 9090
GRAFANA_PORT = 80
ALERTMANAGER_PORT = 9093
DASHBOARD_LABEL = ("grafana_dashboard", "1")
"""The Grafana sidecar loads ConfigMaps carrying this label from every namespace (kube-prometheus-stack values.yaml
grafana.sidecar.dashboards: label grafana_dashboard, searchNamespace ALL)."""


@dataclass(frozen=True)
class ObservabilityPlan:
    """What the stack deploys for its metrics, resolved from the config once."""

    config: Observability
    in_cluster: bool
    """Install kube-prometheus-stack (else: the cluster's own Prometheus Operator)."""
    dcgm_exporter: bool
    namespace: str

    @property
    def prometheus_url(self) -> str | None:
        if not self.in_cluster:
            return None
        return f"http://{PROMETHEUS_SERVICE}.{self.namespace}.svc.cluster.local:{PROMETHEUS_PORT}"


def plan(o: Observability, eks: bool) -> ObservabilityPlan | None:
    if not o.enabled:
        return None
    dcgm = o.dcgm_exporter if o.dcgm_exporter is not None else eks
    return ObservabilityPlan(o, o.prometheus == "in-cluster", dcgm, o.namespace)
