"""Values of the pipeline's charts and the platform's metric switches: pure functions of the plan.

Every pod of these charts runs non-root with seccomp RuntimeDefault, no privilege escalation and no capabilities
(specs/pod_security.py); tests/specs/test_observability.py holds each one to that. On EKS the monitoring stack runs
on the CPU system nodes, the GPU exporter on the GPU nodes only.
"""

import copy
from typing import Any

from specs.network_policies import NATS_EXPORTER_PORT
from specs.observability import ObservabilityPlan
from specs.pod_security import restricted

POD_LABEL_ALLOWLIST = "pods=[nvidia.com/dynamo-component-type,nvidia.com/dynamo-graph-deployment-name]"
"""kube-state-metrics exports these pod labels (kube_pod_labels{label_nvidia_com_dynamo_component_type=...}): the
`workers not ready` alert joins readiness to them (kube-state-metrics --metric-labels-allowlist)."""
DCGM_USER = 1000
"""dcgm-exporter 4.8.2 values.yaml: 'For non-root without profiling metrics, use runAsNonRoot: true, runAsUser: 1000,
and remove SYS_ADMIN' (no DCGM_FI_PROF_* then: none is used here)."""


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` laid over `base`, dicts merged key by key (Helm's own merge of values)."""
    out = copy.deepcopy(base)
    for k, v in extra.items():
        out[k] = merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def pod_context(user: int) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": user,
        "fsGroup": user,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_context(user: int) -> dict[str, Any]:
    return restricted(user)


def kube_prometheus_stack_values(
    p: ObservabilityPlan, system_selector: dict[str, str], storage_class: str | None
) -> dict[str, Any]:
    """kube-prometheus-stack 88.5.3: Prometheus selects every PodMonitor, ServiceMonitor and PrometheusRule in the
    cluster (the Dynamo operator's, the NATS chart's, ours), keeps `retentionDays` on its own volume; EKS hides its
    control plane, so its scrapes and their default rules are off; node-exporter (a hostNetwork, hostPID DaemonSet
    that no dashboard here reads) is off. Alertmanager runs with the chart's `null` receiver: alerts go nowhere until
    the user configures one (docs/observability.md)."""
    o = p.config
    placed: dict[str, Any] = {"nodeSelector": dict(system_selector)} if system_selector else {}
    claim: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": f"{o.storage_gib}Gi"}},
    }
    if storage_class:
        claim["storageClassName"] = storage_class
    everything = {
        f"{kind}SelectorNilUsesHelmValues": False
        for kind in ("podMonitor", "serviceMonitor", "rule", "probe", "scrapeConfig")
    }
    return {
        "crds": {"enabled": True},
        "defaultRules": {
            "create": True,
            "rules": {
                "etcd": False,
                "kubeControllerManager": False,
                "kubeSchedulerAlerting": False,
                "kubeSchedulerRecording": False,
                "kubeProxy": False,
                "node": False,
                "nodeExporterAlerting": False,
                "nodeExporterRecording": False,
            },
        },
        "kubeEtcd": {"enabled": False},
        "kubeControllerManager": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeProxy": {"enabled": False},
        "nodeExporter": {"enabled": False},
        "prometheusOperator": {
            **placed,
            "securityContext": pod_context(65534),
            "containerSecurityContext": container_context(65534),
            "admissionWebhooks": {
                "patch": {**placed, "securityContext": pod_context(2000)},
                "createSecretJob": {"securityContext": container_context(2000)},
                "patchWebhookJob": {"securityContext": container_context(2000)},
            },
        },
        "prometheus": {
            "prometheusSpec": {
                **placed,
                **everything,
                "retention": f"{o.retention_days}d",
                "securityContext": pod_context(1000),
                "storageSpec": {"volumeClaimTemplate": {"spec": claim}},
            }
        },
        "alertmanager": {"alertmanagerSpec": {**placed, "securityContext": pod_context(1000)}},
        # (check) Grafana's main container with a read-only root: it writes only to /var/lib/grafana (a volume); the
        # grafana chart's own tests hold its sidecars and init containers read-only, not the main container.
        "grafana": {
            **placed,
            "securityContext": pod_context(472),
            "containerSecurityContext": container_context(472),
        },
        "kube-state-metrics": {
            **placed,
            "metricLabelsAllowlist": [POD_LABEL_ALLOWLIST],
            "securityContext": pod_context(65534),
            "containerSecurityContext": container_context(65534),
        },
    }


def dcgm_exporter_values(
    p: ObservabilityPlan, gpu_selector: dict[str, str], gpu_tolerations: list[dict[str, str]]
) -> dict[str, Any]:
    """dcgm-exporter 4.8.2 on the GPU nodes, non-root without SYS_ADMIN; its own ServiceMonitor. It reads the GPUs
    it does not request through the NVIDIA container runtime, which the EKS NVIDIA AMIs make containerd's default
    (check), given NVIDIA_VISIBLE_DEVICES=all."""
    context = container_context(DCGM_USER)
    # The exporter's DCGM host engine writes its log beside it: the chart says a read-only root needs tmpfs volumes,
    # which its values cannot add (only hostPath and ConfigMap volumes).
    context["readOnlyRootFilesystem"] = False
    return {
        "nodeSelector": dict(gpu_selector),
        "tolerations": list(gpu_tolerations),
        "podSecurityContext": pod_context(DCGM_USER),
        "securityContext": context,
        "extraEnv": [{"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"}],
        "serviceMonitor": {"enabled": True, "additionalLabels": dict(p.config.monitor_labels)},
    }


def platform_metrics_values(p: ObservabilityPlan) -> dict[str, Any]:
    """dynamo-platform values that turn the graph's scrapes on: the operator's PodMonitors for the frontend (`http`
    port) and the workers (`system` port), created always rather than when it detects the CRDs
    (dynamo-operator.dynamo.metrics.podMonitors.enabled, operator values.yaml of 1.3.0 and 1.6); the NATS chart's
    Prometheus exporter sidecar on its port and its PodMonitor (nats promExporter.enabled, .port,
    .podMonitor.enabled; NATS serves its monitoring port 8222 by default, config.monitor.enabled)."""
    metrics: dict[str, Any] = {"podMonitors": {"enabled": True}}
    if p.config.monitor_labels:
        metrics["podMonitors"]["labels"] = dict(p.config.monitor_labels)  # platform 1.6 (absent in 1.3.0's values)
    if p.prometheus_url:
        metrics["prometheusEndpoint"] = p.prometheus_url
    exporter: dict[str, Any] = {
        "enabled": True,
        "port": NATS_EXPORTER_PORT,
        "merge": {"securityContext": container_context(65534)},
        "podMonitor": {"enabled": True},
    }
    if p.config.monitor_labels:
        exporter["podMonitor"]["merge"] = {"metadata": {"labels": dict(p.config.monitor_labels)}}
    # The operator's own metrics Service and ServiceMonitor (created when the CRDs exist) stay off: its metrics
    # listen on loopback behind a proxy whose port the platform namespace's default deny would have to open (check),
    # and a target Prometheus cannot reach only fires the chart's TargetDown.
    return {
        "dynamo-operator": {"dynamo": {"metrics": metrics}, "metricsService": {"enabled": False}},
        "nats": {"promExporter": exporter},
    }
