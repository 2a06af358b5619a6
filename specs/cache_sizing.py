"""How big and how fast the model cache is, and how long reading the weights from it takes.

FSx for Lustre's throughput grows with its size (MB/s per TiB): the smallest, cheapest size and tier that read the
checkpoint within `targetReadMinutes` are chosen unless the stack names them. EFS is modelled from what users
measured (modelplaneai/modelplane#204: ~43 minutes per pod start for R1 on 2 x p5en).
"""

from dataclasses import dataclass

from config import catalog
from config.schema import ModelCacheSpec
from config.shape import CACHE_HEADROOM

FSX_TIERS = (125, 250, 500, 1000)
FSX_PRICE_PER_GIB_MONTH = {125: 0.145, 250: 0.21, 500: 0.29, 1000: 0.42}
"""FSx for Lustre PERSISTENT_2 list prices, us-east-1, USD per GiB-month (aws.amazon.com/fsx/lustre/pricing): public
notes quote $0.145 for 125 MB/s/TiB in us-east-1; (check) the 250/500/1000 tiers, found in no stored source."""
EFS_READ_MBPS_PER_CLIENT = 270
"""~690 GB in ~43 minutes (modelplaneai/modelplane#204): EFS's per-client read rate for one pod."""
MB = 1_000_000


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

    def read_minutes(self, weight_bytes: int) -> float | None:
        return weight_bytes / (self.read_mbps * MB) / 60 if self.read_mbps else None

    def describe(self, weight_bytes: int) -> str:
        minutes = self.read_minutes(weight_bytes)
        read = f"~{minutes:.0f} min to read the weights" if minutes is not None else "read time unknown"
        if self.storage == "fsx-lustre":
            return (
                f"FSx for Lustre {self.size_gib} GiB at {self.throughput_per_tib} MB/s/TiB "
                f"({self.read_mbps:.0f} MB/s): {read} once; ~${self.monthly_usd:.0f}/month"
            )
        if self.storage == "efs":
            return f"EFS (elastic): {read} per pod start (~{EFS_READ_MBPS_PER_CLIENT} MB/s per client); slow"
        return f"StorageClass volume {self.size_gib} GiB: {read}"


def plan(spec: ModelCacheSpec, weight_bytes: int) -> CachePlan:
    """The cache the stack will create for a checkpoint of `weight_bytes`."""
    need_gib = weight_bytes * CACHE_HEADROOM / catalog.GIB
    if spec.storage == "efs":
        return CachePlan("efs", int(need_gib) + 1, None, EFS_READ_MBPS_PER_CLIENT, None)
    if spec.storage == "storage-class":
        return CachePlan("storage-class", spec.size_gib or int(need_gib) + 1, None, None, None)
    required_mbps = weight_bytes / MB / (spec.target_read_minutes * 60)
    sizes = [spec.size_gib] if spec.size_gib else fsx_sizes(need_gib)
    tiers = [spec.fsx_throughput_per_tib] if spec.fsx_throughput_per_tib else list(FSX_TIERS)
    options = [(size * FSX_PRICE_PER_GIB_MONTH[t], size, t) for size in sizes for t in tiers]
    fast_enough = [o for o in options if fsx_throughput_mbps(o[1], o[2]) >= required_mbps]
    cost, size, tier = min(fast_enough or [max(options, key=lambda o: fsx_throughput_mbps(o[1], o[2]))])
    return CachePlan("fsx-lustre", size, tier, fsx_throughput_mbps(size, tier), cost)
