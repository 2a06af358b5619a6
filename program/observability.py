"""The stack's metrics pipeline from its config: what the Observability component gets, and what the graph's
platform release and NetworkPolicies must know of it."""

import dataclasses
import datetime
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.observability import Observability, ObservabilityArgs
from config import catalog
from config.schema import StackConfig
from specs import eks_addon_spec, graph_spec
from specs import observability as spec
from specs.model_layout import cache_pvc_name
from specs.observability import charts
from specs.observability.dashboards import DashboardParams
from specs.observability.rules import RuleParams
from specs.scheduling import PoolScheduling


@dataclass
class Wiring:
    """What the rest of the stack takes from the pipeline (nothing when it is off)."""

    prometheus: tuple[str, dict[str, str]] | None = None
    platform_values: dict[str, Any] = field(default_factory=dict)
    platform_after: list[pulumi.Resource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)


def plan(cfg: StackConfig, eks: bool) -> spec.ObservabilityPlan | None:
    return spec.plan(cfg.observability, eks)


def build(
    cfg: StackConfig,
    p: spec.ObservabilityPlan | None,
    *,
    download_job: str,
    scheduling: PoolScheduling,
    system_selector: dict[str, str],
    capacity_end: datetime.datetime | None,
    gpu_nodes: bool,
    after: list[pulumi.Resource],
    opts: pulumi.ResourceOptions,
) -> Wiring:
    if p is None:
        return Wiring(outputs={"observability": "off (observability.enabled: false)"})
    if not gpu_nodes:  # a Capacity Block not started: the GPU exporter comes with the pool, at the next `pulumi up`
        p = dataclasses.replace(p, dcgm_exporter=False)
    o, s = cfg.observability, cfg.serving
    model = catalog.MODELS[cfg.model.key]
    rule_params = RuleParams(
        namespace=s.namespace,
        graph_name=s.graph_name,
        backend=s.backend,
        worker_pods=graph_spec.graph_nodes(s),
        cache_claim=cache_pvc_name(model),
        ttft_p95_seconds=o.ttft_p95_seconds,
        itl_p95_seconds=o.itl_p95_seconds,
        error_ratio=o.error_ratio,
        kv_cache_full_ratio=o.kv_cache_full_ratio,
        cache_volume_full_ratio=o.cache_volume_full_ratio,
        capacity_end=capacity_end,
    )
    board_params = DashboardParams(
        s.namespace, s.graph_name, s.backend, cache_pvc_name(model), download_job, model.weight_bytes
    )
    eks = bool(system_selector)
    component = Observability(
        "observability",
        ObservabilityArgs(
            plan=p,
            rule_params=rule_params,
            dashboard_params=board_params,
            system_selector=system_selector,
            storage_class=eks_addon_spec.STORAGE_CLASS if eks else None,
            gpu_selector=scheduling.node_selector(),
            gpu_tolerations=scheduling.tolerations(),
            after=after,
        ),
        opts=opts,
    )
    return Wiring(
        prometheus=(p.namespace, dict(o.prometheus_pod_labels)),
        platform_values=charts.platform_metrics_values(p),
        platform_after=component.ready,
        outputs={"observability": component.access},
    )
