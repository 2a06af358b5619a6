"""Whether the fabric check runs and what bandwidth it demands: the documented defaults, one place."""

from config import catalog
from config.schema import GpuPool, Serving


def floor_gbps(pool: GpuPool) -> float | None:
    """The configured floor, else the instance type's."""
    if pool.fabric_check.min_bus_bandwidth_gbps is not None:
        return pool.fabric_check.min_bus_bandwidth_gbps
    itype = catalog.INSTANCE_TYPES.get(pool.instance_type or "")
    return itype.nccl_busbw_floor_gbps if itype else None


def enabled(pool: GpuPool, serving: Serving) -> bool:
    """On by default wherever traffic crosses nodes over a fabric: more than one node, or a multi-node worker."""
    if pool.fabric_check.enabled is not None:
        return pool.fabric_check.enabled
    crosses_nodes = pool.node_count > 1 or any(w.nodes > 1 for w in (serving.prefill, serving.decode))
    return pool.fabric != "none" and crosses_nodes
