"""How big and how fast the model cache is, and how long reading the weights from it takes.

FSx for Lustre's throughput grows with its size (MB/s per TiB) and is shared by every client: when the graph starts,
each of its nodes loads the checkpoint at the same moment, so the smallest, cheapest size and tier that serve all of
those concurrent reads within `targetReadMinutes` are chosen unless the stack names them. EFS is modelled from what
users measured (modelplaneai/modelplane#204: ~43 minutes per pod start for R1 on 2 x p5en).
"""

from dataclasses import dataclass

from config import catalog
from config.schema import ModelCacheSpec
from config.shape import CACHE_HEADROOM

FSX_TIERS = (125, 250, 500, 1000)
FSX_PRICE_PER_GIB_MONTH = {tier: price.usd for tier, price in catalog.FSX_PERSISTENT_2.items()}
"""FSx for Lustre PERSISTENT_2 list prices, USD per GiB-month: config/catalog.py, with their source."""
EFS_READ_MBPS_PER_CLIENT = 270
"""~690 GB in ~43 minutes (modelplaneai/modelplane#204): EFS's per-client read rate for one pod."""
MB = 1_000_000
READ_FRACTION_PER_NODE = 1.0
"""Share of the checkpoint each loading node reads: every rank's process opens every safetensors file it needs, and
with expert and tensor parallelism across a node's GPUs that is all of them (an upper bound, issue 15) (check)."""


def fsx_sizes(at_least_gib: float, largest: int = 96_000) -> list[int]:
    """PERSISTENT_2 sizes that hold `at_least_gib`: 1200 GiB, then multiples of 2400 GiB."""
    return [s for s in [1200, *range(2400, largest + 1, 2400)] if s >= at_least_gib]


def fsx_throughput_mbps(size_gib: int, tier: int) -> float:
    return size_gib / 1024 * tier


@dataclass(frozen=True)
class CachePlan:
    storage: str
    size_gib: int
    throughput_per_tib: int | None
    read_mbps: float | None
    """Aggregate read throughput (FSx) or per-client (EFS); None when unknown (a StorageClass)."""
    monthly_usd: float | None
    readers: int = 1
    """Nodes that load the checkpoint at once when the graph starts (they share an FSx file system's throughput)."""

    def read_minutes(self, weight_bytes: int) -> float | None:
        """Minutes for every concurrent reader to load its share (FSx: throughput shared; EFS: per client)."""
        if not self.read_mbps:
            return None
        shared = self.readers * READ_FRACTION_PER_NODE if self.storage == "fsx-lustre" else 1.0
        return weight_bytes * shared / (self.read_mbps * MB) / 60

    def describe(self, weight_bytes: int) -> str:
        minutes = self.read_minutes(weight_bytes)
        read = f"~{minutes:.0f} min to read the weights" if minutes is not None else "read time unknown"
        if self.storage == "fsx-lustre":
            who = "once" if self.readers == 1 else f"on {self.readers} nodes at once"
            return (
                f"FSx for Lustre {self.size_gib} GiB at {self.throughput_per_tib} MB/s/TiB "
                f"({self.read_mbps:.0f} MB/s): {read} {who}; ~${self.monthly_usd:.0f}/month"
            )
        if self.storage == "efs":
            return f"EFS (elastic): {read} per pod start (~{EFS_READ_MBPS_PER_CLIENT} MB/s per client); slow"
        return f"StorageClass volume {self.size_gib} GiB: {read}"


def plan(spec: ModelCacheSpec, weight_bytes: int, readers: int = 1) -> CachePlan:
    """The cache the stack will create for a checkpoint of `weight_bytes` that `readers` nodes load at once."""
    need_gib = weight_bytes * CACHE_HEADROOM / catalog.GIB
    if spec.storage == "efs":
        return CachePlan("efs", int(need_gib) + 1, None, EFS_READ_MBPS_PER_CLIENT, None)
    if spec.storage == "storage-class":
        return CachePlan("storage-class", spec.size_gib or int(need_gib) + 1, None, None, None)
    required_mbps = weight_bytes * readers * READ_FRACTION_PER_NODE / MB / (spec.target_read_minutes * 60)
    sizes = [spec.size_gib] if spec.size_gib else fsx_sizes(need_gib)
    tiers = [spec.fsx_throughput_per_tib] if spec.fsx_throughput_per_tib else list(FSX_TIERS)
    options = [(size * FSX_PRICE_PER_GIB_MONTH[t], size, t) for size in sizes for t in tiers]
    fast_enough = [o for o in options if fsx_throughput_mbps(o[1], o[2]) >= required_mbps]
    cost, size, tier = min(fast_enough or [max(options, key=lambda o: fsx_throughput_mbps(o[1], o[2]))])
    return CachePlan("fsx-lustre", size, tier, fsx_throughput_mbps(size, tier), cost, readers)
