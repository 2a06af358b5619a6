"""Facts derived from the config alone, shared by the rules, the builders and the preflight: GPU shape, headroom."""

from dataclasses import dataclass

from config import catalog
from config.schema import GpuPool

CACHE_HEADROOM = 1.10
"""The cache must hold the checkpoint plus 10% for the Hub's metadata, partial files of a resumed download, and
the serving engines' compiled kernels."""


@dataclass(frozen=True)
class GpuShape:
    gpus_per_node: int
    gpu_memory_bytes: int


def gpu_shape(pool: GpuPool) -> GpuShape | None:
    """GPUs per node and memory per GPU, from the catalog or, on an existing cluster, from the pool's own keys."""
    if pool.instance_type is not None:
        t = catalog.INSTANCE_TYPES[pool.instance_type]
        return GpuShape(t.gpus, t.gpu_memory_bytes)
    if pool.gpus_per_node is not None and pool.gpu_memory_gib is not None:
        return GpuShape(pool.gpus_per_node, int(pool.gpu_memory_gib * catalog.GIB))
    return None


def gib(n: float) -> str:
    return f"{n / catalog.GIB:.1f} GiB"
