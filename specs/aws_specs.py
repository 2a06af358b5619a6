"""Pure builders for the AWS side: subnet plan, EFA network interfaces, node labels and taints, kubeconfig."""

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any

import pulumi

from config.schema import Taint


@dataclass(frozen=True)
class SubnetPlan:
    zone: str
    public_cidr: str
    private_cidr: str


LOCAL_ZONE = re.compile(r"^[a-z]{2}-[a-z]+-\d+-[a-z]+-\d+[a-z]$")
"""Local Zone names extend their Region's with a metro and a number (us-east-1-dfw-2a; EC2 "Local Zones")."""


def is_local_zone(zone: str) -> bool:
    return LOCAL_ZONE.fullmatch(zone) is not None


def local_zone_group(zone: str) -> str:
    """The zone group a Local Zone is opted into by (us-east-1-dfw-2a -> us-east-1-dfw-2)."""
    return zone[:-1]


LOCAL_ZONE_VOLUME_TYPES = ("gp2",)
"""EBS volume types a node in a Local Zone may ask for. Which types a Local Zone offers varies by zone and is listed
only on the "AWS Local Zones features" page (AWS Local Zones user guide, "How AWS Local Zones work"); gp2 is the
General Purpose SSD type Local Zones have offered from the start, gp3 is not confirmed for us-east-1-dfw-2a (check:
the features page's row for the Dallas zone, or `aws ec2 create-volume --availability-zone us-east-1-dfw-2a
--volume-type gp3 --size 1 --dry-run`)."""


def root_volume_type(zone: str | None) -> str:
    """gp3 in a Region zone; in a Local Zone the type it is known to offer."""
    return LOCAL_ZONE_VOLUME_TYPES[0] if zone is not None and is_local_zone(zone) else "gp3"


def local_zone_cidr(vpc_cidr: str, zones: list[str]) -> str:
    """The /20 after the Region zones' private and public subnets."""
    network = ipaddress.ip_network(vpc_cidr)
    blocks = list(network.subnets(new_prefix=20)) if network.prefixlen <= 20 else []
    if len(blocks) < 2 * len(zones) + 1:
        raise ValueError(f"{vpc_cidr} is too small for {len(zones)} zones and a Local Zone of /20 subnets")
    return str(blocks[2 * len(zones)])


def subnet_plan(vpc_cidr: str, zones: list[str]) -> list[SubnetPlan]:
    """Split the VPC into /20s: private subnets first (GPU nodes with 17 interfaces each need many IPs), then public."""
    try:
        network = ipaddress.ip_network(vpc_cidr)
    except ValueError as e:
        raise ValueError(f"{vpc_cidr!r} is not an IPv4 network ({e})") from None
    blocks = list(network.subnets(new_prefix=20)) if network.prefixlen <= 20 else []
    if len(blocks) < 2 * len(zones):
        raise ValueError(f"{vpc_cidr} is too small for {len(zones)} zones of /20 subnets")
    return [
        SubnetPlan(zone, public_cidr=str(blocks[len(zones) + i]), private_cidr=str(blocks[i]))
        for i, zone in enumerate(zones)
    ]


def efa_network_interfaces(
    layout: tuple[tuple[int, str], ...], security_group_ids: list[pulumi.Input[str]]
) -> list[dict[str, Any]]:
    """One interface per (card, type) of the instance type's layout; EC2 wants the security groups on each
    interface when a launch template lists interfaces."""
    return [
        {
            "network_card_index": card,
            "device_index": 0,
            "interface_type": kind,
            "security_groups": security_group_ids,
            "delete_on_termination": True,
        }
        for card, kind in layout
    ]


def eks_taints(taints: list[Taint]) -> list[dict[str, str]]:
    """Kubernetes taint effects in the EKS API's spelling (NoSchedule -> NO_SCHEDULE)."""
    effect = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}
    return [{"key": t.key, "value": t.value, "effect": effect[t.effect]} for t in taints]


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that authenticates with `aws eks get-token`, as the AWS CLI writes it."""
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
        }
    }
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}
            ],
            "users": [{"name": cluster_name, "user": user}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
        }
    )


ROLLING_FIELDS = ["launchTemplate", "releaseVersion", "version", "amiType"]
"""Node group fields whose change replaces every node (EKS managed node group update behavior)."""


def held_node_group_fields(reserved: bool, scale_to_zero: bool) -> list[str]:
    """On reserved capacity, changes that roll the nodes wait until the pool is at zero.

    EKS updates a managed node group by launching new nodes before draining old ones (EKS user guide, "Managed
    node update behavior", scale-up phase), and a Capacity Block or reservation sized to nodeCount has no spare
    instance: the update would wait for capacity that never comes and fail after its timeout, leaving the stack
    stuck on every later `pulumi up`. EKS's Capacity Blocks guide says to scale the node group to zero before an
    update. So while the pool runs, Pulumi ignores those fields (the launch template still gets its new version);
    with gpuPool.scaleToZero they apply, with no node to replace."""
    return ROLLING_FIELDS if reserved and not scale_to_zero else []


def gpu_scaling(node_count: int, scale_to_zero: bool) -> dict[str, int]:
    """EKS scaling config (maxSize stays at least 1: EKS refuses 0)."""
    size = 0 if scale_to_zero else node_count
    return {"desired_size": size, "min_size": size, "max_size": node_count}


UPDATE_PATH = (
    "reserved GPU capacity has no room for a rolling update: launch template, AMI and Kubernetes version changes"
    " wait (ignoreChanges) until gpuPool.scaleToZero is true; set it and `pulumi up` (nodes drain), change and"
    " `pulumi up`, unset it and `pulumi up` (README: updating reserved GPUs)"
)
