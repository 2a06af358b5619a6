"""The node the download runs on, chosen for its network, and how fast it can pull from the internet.

Traffic leaving the VPC (the Hub, through the NAT gateway) may use 50% of an instance's bandwidth when it has 32 or
more vCPUs, and 5 Gbps below that; one TCP flow gets 5 Gbps (AWS EC2 User Guide, "Amazon EC2 instance network
bandwidth"). The NAT gateway 'supports 5 Gbps of bandwidth and automatically scales up to 100 Gbps' (AWS VPC User
Guide, "NAT gateway basics"). A 16-vCPU system node (m7i.4xlarge) is thus capped at 5 Gbps (625 MB/s) for the
download; a c6in.8xlarge (32 vCPUs, 50 Gbps (check)) gets 25 Gbps (3,125 MB/s), above an FSx cache's write
throughput at the default size: the cache, not the node, is then the limit.
"""

from config import catalog

GBPS_TO_MBPS = 125.0
NAT_GATEWAY_MAX_GBPS = 100.0
SMALL_INSTANCE_INTERNET_GBPS = 5.0
DEFAULT_TYPE = "c6in.8xlarge"
LABELS = {"dsr1.io/pool": "download"}
TAINT = {"key": "dsr1.io/download", "value": "true", "effect": "NoSchedule"}
"""Only the download Job tolerates it: nothing else lands on a node that exists for one Job."""


NETWORK = catalog.DOWNLOAD_NODE_TYPES
"""Instance types the download node may be, with their vCPUs and network bandwidth."""


def internet_mbps(instance_type: str) -> float | None:
    """MB/s the type may pull from outside the VPC; None for a type not in NETWORK."""
    spec = NETWORK.get(instance_type)
    if spec is None:
        return None
    gbps = max(spec.gbps * 0.5, SMALL_INSTANCE_INTERNET_GBPS) if spec.vcpus >= 32 else SMALL_INSTANCE_INTERNET_GBPS
    return min(gbps, NAT_GATEWAY_MAX_GBPS) * GBPS_TO_MBPS


def placement(system_labels: dict[str, str]) -> dict[str, object]:
    """The download pod's affinity and toleration: a system node or the download node (required), the download node
    when it exists (preferred): scaled to 0 after a download, a later rerun still schedules on a system node."""
    allowed = {k: sorted({v, LABELS.get(k, v)}) for k, v in system_labels.items()}
    required = {"matchExpressions": [{"key": k, "operator": "In", "values": v} for k, v in allowed.items()]}
    preferred = {"matchExpressions": [{"key": k, "operator": "In", "values": [v]} for k, v in LABELS.items()]}
    return {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [required]},
                "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "preference": preferred}],
            }
        },
        "tolerations": [{**TAINT, "operator": "Equal"}],
    }
