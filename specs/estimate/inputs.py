"""The estimate's data-flow inputs, from the validated config and the cache plan."""

from config import catalog
from config.schema import EksTarget, StackConfig
from specs import aws_specs, download_node, graph_spec
from specs.cache_sizing import CachePlan
from specs.estimate import figures
from specs.estimate.model import Flows


def _download_node(cfg: StackConfig) -> str:
    """The node type the download runs on: the download node when the stack has one, else a system node."""
    t = cfg.target
    if not isinstance(t, EksTarget):
        return ""
    return t.download_node.instance_type if t.download_node.enabled else t.system_nodes.instance_type


def flows(cfg: StackConfig, plan: CachePlan, jit_lead_minutes: float | None = None) -> Flows:
    model = catalog.MODELS[cfg.model.key]
    itype = catalog.INSTANCE_TYPES.get(cfg.gpu_pool.instance_type or "")
    per_client = plan.storage == "efs"
    node = _download_node(cfg)
    return Flows(
        weight_bytes=model.weight_bytes,
        cache_read_mbps=plan.read_mbps,
        # FSx: "read or write throughput per 1 tebibyte of storage provisioned" (PerUnitStorageThroughput, FSx API).
        cache_write_mbps=figures.EFS_WRITE_MBPS.value if per_client else plan.read_mbps,
        loading_nodes=graph_spec.graph_nodes(cfg.serving),
        per_client=per_client,
        price_per_hour_usd=round(cfg.gpu_pool.node_count * itype.price_per_hour_usd, 2) if itype else 0.0,
        capacity_type=cfg.gpu_pool.capacity.type,
        jit_lead_minutes=jit_lead_minutes,
        node_internet_mbps=download_node.internet_mbps(node) if node else None,
        download_node=node,
        backend=cfg.serving.backend,
        compile_cache=True,  # every stack keeps the JIT caches on its model cache (specs/compile_cache.py)
        link_mbps_per_node=figures.LOCAL_ZONE_READ_MBPS_PER_NODE.value if _local_zone(cfg) else None,
    )


def _local_zone(cfg: StackConfig) -> bool:
    zone = cfg.gpu_pool.capacity.availability_zone
    return zone is not None and aws_specs.is_local_zone(zone)
