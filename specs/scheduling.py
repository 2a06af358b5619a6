"""Where GPU workers may run and what fabric they get: the facts a pool hands to the serving graph."""

from dataclasses import dataclass, field
from typing import Any

from config import catalog
from config.schema import GpuPool, Taint
from config.shape import gpu_shape

POOL_LABEL = "dsr1.io/pool"
SYSTEM_LABELS = {POOL_LABEL: "system"}
"""Labels of the CPU system nodes: the Dynamo control plane and the download Job are pinned there."""
GPU_NODE_LABELS = {"nvidia.com/gpu.present": "true"}
"""Every GPU node of an EKS pool carries it (the NVIDIA device plugin's own default selector): the plugins run there
and nowhere else."""
GPU_TAINT = Taint(key="nvidia.com/gpu", value="present", effect="NoSchedule")
EFA_RESOURCE = "vpc.amazonaws.com/efa"


@dataclass(frozen=True)
class PoolScheduling:
    """Labels, taints and fabric of a GPU pool, as the pods that run on it must see them."""

    labels: dict[str, str]
    taints: list[Taint]
    gpus_per_node: int
    fabric: str
    fabric_resources: dict[str, int] = field(default_factory=dict)
    """Extended resources one node's worker requests for its fabric (EFA interfaces or RDMA devices)."""

    def node_selector(self) -> dict[str, str]:
        return dict(self.labels)

    def tolerations(self) -> list[dict[str, Any]]:
        return [{"key": t.key, "operator": "Equal", "value": t.value, "effect": t.effect} for t in self.taints]


def pool_scheduling(pool: GpuPool, pool_name: str) -> PoolScheduling:
    """EKS pools get the project's label and GPU taint; an existing pool is described by its own keys."""
    shape = gpu_shape(pool)
    assert shape is not None, "rules.problems() rejects a pool without a GPU shape"
    labels = pool.node_labels if pool.node_labels is not None else {POOL_LABEL: pool_name}
    taints = pool.taints if pool.taints is not None else [GPU_TAINT]
    resources: dict[str, int] = {}
    if pool.fabric == "efa" and pool.instance_type is not None:
        resources[EFA_RESOURCE] = catalog.INSTANCE_TYPES[pool.instance_type].efa_devices
    elif pool.rdma_resource and pool.rdma_per_node:
        resources[pool.rdma_resource] = pool.rdma_per_node
    return PoolScheduling(dict(labels), list(taints), shape.gpus_per_node, pool.fabric, resources)
