"""Our Grafana dashboards (JSON models), provisioned as ConfigMaps the Grafana sidecar loads: the endpoint's SLOs, the
disaggregation path, the GPUs and the weights download. Upstream has no Dynamo dashboard in a released chart (the
dynamo-platform 1.3.0 and 1.6 charts ship none); NVIDIA's DCGM dashboard comes from its release
(tools/upstream_dashboards.py). Every query names only metrics the pinned releases expose
(tests/tools/test_metric_names.py).
"""

import json
from dataclasses import dataclass
from typing import Any

from specs.observability import DASHBOARD_LABEL
from specs.observability.rules import KV_USAGE

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 39


@dataclass(frozen=True)
class DashboardParams:
    namespace: str
    graph_name: str
    backend: str
    cache_claim: str
    download_job: str
    weight_bytes: int


def _panel(title: str, targets: list[tuple[str, str]], unit: str, x: int, y: int, w: int = 12) -> dict[str, Any]:
    return {
        "type": "timeseries",
        "title": title,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": w, "h": 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(targets)
        ],
    }


def _grid(panels: list[tuple[str, list[tuple[str, str]], str]]) -> list[dict[str, Any]]:
    out = []
    for i, (title, targets, unit) in enumerate(panels):
        p = _panel(title, targets, unit, x=(i % 2) * 12, y=(i // 2) * 8)
        p["id"] = i + 1
        out.append(p)
    return out


def _dashboard(uid: str, title: str, panels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": ["dsr1", "dynamo"],
        "timezone": "utc",
        "schemaVersion": SCHEMA_VERSION,
        "refresh": "30s",
        "time": {"from": "now-3h", "to": "now"},
        "templating": {
            "list": [{"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"}]
        },
        "panels": panels,
    }


def _quantiles(metric: str, sel: str) -> list[tuple[str, str]]:
    return [
        (f"histogram_quantile({q}, sum by (le) (rate({metric}_bucket{{{sel}}}[5m])))", f"p{int(q * 100)}")
        for q in (0.5, 0.95, 0.99)
    ]


def slo(p: DashboardParams) -> dict[str, Any]:
    sel = f'namespace="{p.namespace}"'
    return _dashboard(
        f"{p.graph_name}-slo"[:40],
        f"{p.graph_name}: endpoint SLOs",
        _grid(
            [
                ("Time to first token", _quantiles("dynamo_frontend_time_to_first_token_seconds", sel), "s"),
                ("Inter-token latency", _quantiles("dynamo_frontend_inter_token_latency_seconds", sel), "s"),
                (
                    "Output tokens/s",
                    [(f"sum(rate(dynamo_frontend_output_tokens_total{{{sel}}}[1m]))", "tokens/s")],
                    "short",
                ),
                (
                    "Requests in flight and queued",
                    [
                        (f"sum(dynamo_frontend_inflight_requests{{{sel}}})", "in flight"),
                        (f"sum(dynamo_frontend_queued_requests{{{sel}}})", "queued"),
                    ],
                    "short",
                ),
                (
                    "Requests/s by status",
                    [(f"sum by (status) (rate(dynamo_frontend_requests_total{{{sel}}}[5m]))", "{{status}}")],
                    "reqps",
                ),
                (
                    "Errors/s by type",
                    [
                        (
                            f'sum by (error_type) (rate(dynamo_frontend_requests_total{{{sel},status="error"}}[5m]))',
                            "{{error_type}}",
                        )
                    ],
                    "reqps",
                ),
            ]
        ),
    )


def disaggregation(p: DashboardParams) -> dict[str, Any]:
    sel = f'namespace="{p.namespace}"'
    return _dashboard(
        f"{p.graph_name}-disagg"[:40],
        f"{p.graph_name}: disaggregation path",
        _grid(
            [
                (
                    "KV cache use per worker",
                    [(f"max by (pod) ({KV_USAGE[p.backend]}{{{sel}}})", "{{pod}}")],
                    "percentunit",
                ),
                (
                    "KV blocks per worker (frontend's view)",
                    [(f"max by (model) (dynamo_frontend_model_total_kv_blocks{{{sel}}})", "{{model}}")],
                    "short",
                ),
                (
                    "KV transfer latency, estimated upper bound (router)",
                    _quantiles("dynamo_component_router_kv_transfer_estimated_latency_seconds", sel),
                    "s",
                ),
                (
                    "Requests in flight per worker component",
                    [
                        (
                            f"sum by (dynamo_component) (dynamo_component_inflight_requests{{{sel}}})",
                            "{{dynamo_component}}",
                        )
                    ],
                    "short",
                ),
                (
                    "Worker requests/s per component",
                    [
                        (
                            f"sum by (dynamo_component) (rate(dynamo_component_requests_total{{{sel}}}[5m]))",
                            "{{dynamo_component}}",
                        )
                    ],
                    "reqps",
                ),
                (
                    "Request plane queue time, frontend to worker",
                    _quantiles("dynamo_request_plane_queue_seconds", sel),
                    "s",
                ),
            ]
        ),
    )


def gpus() -> dict[str, Any]:
    by_gpu = "{{Hostname}} GPU {{gpu}}"
    return _dashboard(
        "dsr1-gpus",
        "DSR1: GPUs (DCGM)",
        _grid(
            [
                ("GPU utilization", [("DCGM_FI_DEV_GPU_UTIL", by_gpu)], "percent"),
                (
                    "GPU memory used",
                    [("DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)", by_gpu)],
                    "percentunit",
                ),
                ("Power draw", [("DCGM_FI_DEV_POWER_USAGE", by_gpu)], "watt"),
                ("Last XID error (0: none)", [("DCGM_FI_DEV_XID_ERRORS", by_gpu)], "short"),
                ("GPU temperature", [("DCGM_FI_DEV_GPU_TEMP", by_gpu)], "celsius"),
                ("Memory temperature", [("DCGM_FI_DEV_MEMORY_TEMP", by_gpu)], "celsius"),
            ]
        ),
    )


def download(p: DashboardParams) -> dict[str, Any]:
    volume = f'namespace="{p.namespace}",persistentvolumeclaim="{p.cache_claim}"'
    job = f'namespace="{p.namespace}",job_name="{p.download_job}"'
    return _dashboard(
        f"{p.graph_name}-download"[:40],
        f"{p.graph_name}: weights download",
        _grid(
            [
                (
                    "Cache filled, share of the checkpoint (the cache's used bytes)",
                    [(f"max(kubelet_volume_stats_used_bytes{{{volume}}}) / {p.weight_bytes}", "progress")],
                    "percentunit",
                ),
                (
                    "Download rate",
                    [(f"max(deriv(kubelet_volume_stats_used_bytes{{{volume}}}[5m]))", "bytes/s")],
                    "Bps",
                ),
                (
                    "Download Job",
                    [
                        (f"max(kube_job_status_active{{{job}}})", "running"),
                        (f"max(kube_job_status_succeeded{{{job}}})", "succeeded"),
                        (f"max(kube_job_status_failed{{{job}}})", "failed"),
                    ],
                    "short",
                ),
                (
                    "Cache volume used",
                    [
                        (f"max(kubelet_volume_stats_used_bytes{{{volume}}})", "used"),
                        (f"max(kubelet_volume_stats_capacity_bytes{{{volume}}})", "capacity"),
                    ],
                    "bytes",
                ),
            ]
        ),
    )


def ours(p: DashboardParams) -> dict[str, dict[str, Any]]:
    """Our dashboards by file name."""
    return {
        "slo.json": slo(p),
        "disaggregation.json": disaggregation(p),
        "gpus.json": gpus(),
        "download.json": download(p),
    }


def config_map(name: str, namespace: str, files: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Dashboards as one ConfigMap the Grafana sidecar picks up (its label), one key per dashboard."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {DASHBOARD_LABEL[0]: DASHBOARD_LABEL[1]}},
        "data": {k: json.dumps(v, indent=1, sort_keys=True) for k, v in files.items()},
    }
