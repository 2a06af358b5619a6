"""The stack's alerts as one PrometheusRule: each alert's expression, its threshold from the config, one runbook line.

Metric names are the ones the pinned releases expose (tests/tools/test_metric_names.py proves each against the local
twin's real exposition or a pinned exporter list); `promtool test rules` runs a firing and a quiet case per alert
(tests/specs/test_alert_rules.py).
"""

import datetime
from dataclasses import dataclass
from typing import Any

KV_USAGE: dict[str, str] = {
    "vllm": "vllm:kv_cache_usage_perc",
    "sglang": "dynamo_component_gpu_cache_usage_percent",
    "trtllm": "dynamo_component_gpu_cache_usage_percent",
}
"""A worker's KV cache use, 0 to 1: vLLM's own gauge (the Dynamo vLLM worker passes vLLM's metrics through its system
port); for SGLang and TRT-LLM, Dynamo's engine gauge (ai-dynamo 1.6.1 dynamo/common/utils/prometheus.py
LLMBackendMetrics, set by dynamo/sglang/publisher.py and dynamo/trtllm/publisher.py)."""
CLIENT_ERRORS = "validation|not_found|cancelled"
"""Frontend error_type values that are the client's doing (ai-dynamo 1.6.1 prometheus_names.frontend_service
.error_type): excluded from the error-rate alert."""
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class RuleParams:
    namespace: str
    graph_name: str
    backend: str
    worker_pods: int
    cache_claim: str
    ttft_p95_seconds: float
    itl_p95_seconds: float
    error_ratio: float
    kv_cache_full_ratio: float
    cache_volume_full_ratio: float
    capacity_end: datetime.datetime | None = None
    """A Capacity Block's end: EC2 terminates its instances before it."""


def _alert(name: str, expr: str, for_: str, severity: str, summary: str, runbook: str) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": name, "expr": expr}
    if for_:
        rule["for"] = for_
    rule["labels"] = {"severity": severity}
    rule["annotations"] = {"summary": summary, "runbook": runbook}
    return rule


def _quantile(metric: str, ns: str) -> str:
    return f'histogram_quantile(0.95, sum by (le) (rate({metric}_bucket{{namespace="{ns}"}}[5m])))'


def alerts(p: RuleParams) -> list[dict[str, Any]]:
    ns, g = p.namespace, p.graph_name
    errors = f'dynamo_frontend_requests_total{{namespace="{ns}",status="error",error_type!~"{CLIENT_ERRORS}"}}'
    worker_labels = (
        f'kube_pod_labels{{namespace="{ns}",label_nvidia_com_dynamo_graph_deployment_name="{g}",'
        'label_nvidia_com_dynamo_component_type="worker"}'
    )
    ready = f'kube_pod_status_ready{{namespace="{ns}",condition="true"}}'
    volume = f'{{namespace="{ns}",persistentvolumeclaim="{p.cache_claim}"}}'
    out = [
        _alert(
            "DynamoTimeToFirstTokenHigh",
            f"{_quantile('dynamo_frontend_time_to_first_token_seconds', ns)} > {p.ttft_p95_seconds}",
            "10m",
            "warning",
            f"p95 time to first token of {g} is above {p.ttft_p95_seconds}s",
            "Compare queued requests and prefill KV cache use on the SLO dashboard: queueing means more prefill"
            " capacity (replicas), a full decode cache means fewer concurrent requests; raise"
            " observability.ttftP95Seconds only if the target was wrong.",
        ),
        _alert(
            "DynamoInterTokenLatencyHigh",
            f"{_quantile('dynamo_frontend_inter_token_latency_seconds', ns)} > {p.itl_p95_seconds}",
            "10m",
            "warning",
            f"p95 inter-token latency of {g} is above {p.itl_p95_seconds}s",
            "Decode is saturated: check decode KV cache use and in-flight requests on the SLO dashboard; lower the"
            " clients' concurrency or add decode capacity.",
        ),
        _alert(
            "DynamoErrorRateHigh",
            f'sum(rate({errors}[5m])) / sum(rate(dynamo_frontend_requests_total{{namespace="{ns}"}}[5m]))'
            f" > {p.error_ratio}",
            "5m",
            "critical",
            f"more than {p.error_ratio:.0%} of {g}'s requests fail on the server side",
            f"kubectl -n {ns} logs -l nvidia.com/dynamo-graph-deployment-name={g} --tail=200 --prefix: look for"
            " worker crashes, NATS errors or KV transfer failures; the error_type label says which.",
        ),
        _alert(
            "DynamoWorkersNotReady",
            f"(sum({ready} * on (namespace, pod) group_left () {worker_labels}) or vector(0)) < {p.worker_pods}",
            "15m",
            "critical",
            f"fewer than {p.worker_pods} of {g}'s worker pods are Ready",
            f"kubectl -n {ns} get pods -l nvidia.com/dynamo-component-type=worker -o wide, then describe the"
            " unready one (GPU or EFA not allocatable, image pull, a crash loop); a fresh graph takes its start"
            " time (timeToEndpoint) to become Ready.",
        ),
        _alert(
            "GpuXidErrors",
            "max by (Hostname, gpu) (DCGM_FI_DEV_XID_ERRORS) > 0",
            "",
            "critical",
            "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported XID {{ $value }}",
            "Look the XID up in NVIDIA's XID catalog (docs.nvidia.com/deploy/xid-errors); 48, 63, 64, 74, 79, 92-95"
            " mean the node must be drained and replaced (kubectl drain, then terminate the instance).",
        ),
        _alert(
            "DynamoKvCacheNearlyFull",
            f'max by (namespace, pod) ({KV_USAGE[p.backend]}{{namespace="{ns}"}}) > {p.kv_cache_full_ratio}',
            "10m",
            "warning",
            f"a worker of {g} has used over {p.kv_cache_full_ratio:.0%} of its KV cache for 10 minutes",
            "Requests will queue or be preempted: cap the clients' concurrency, or give the engine more KV memory"
            " (memFractionStatic, gpuMemoryUtilization, free_gpu_memory_fraction) or more decode replicas.",
        ),
        _alert(
            "ModelCacheVolumeNearlyFull",
            f"kubelet_volume_stats_used_bytes{volume} / kubelet_volume_stats_capacity_bytes{volume}"
            f" > {p.cache_volume_full_ratio}",
            "15m",
            "warning",
            f"the model cache {p.cache_claim} is over {p.cache_volume_full_ratio:.0%} full",
            "A new revision or a second model will not fit: grow modelCache.sizeGib (FSx: in its increments), or"
            " delete old revisions under models/ on the cache.",
        ),
    ]
    if p.capacity_end is not None:
        end = int(p.capacity_end.timestamp())
        out.append(
            _alert(
                "CapacityBlockEndingSoon",
                f"vector({end} - time()) < {SECONDS_PER_DAY}",
                "",
                "warning",
                f"the GPU Capacity Block ends at {p.capacity_end.isoformat()} (in under 24 h)",
                "EC2 terminates the GPU instances before the block's end: extend it or buy the next one now, and"
                " drain the endpoint's clients before the end (gpuPool.capacity.endTime).",
            )
        )
    return out


def prometheus_rule(p: RuleParams, rule_namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": f"{p.graph_name}-alerts", "namespace": rule_namespace, "labels": dict(labels)},
        "spec": {"groups": [{"name": f"{p.graph_name}.rules", "rules": alerts(p)}]},
    }
