"""Pure builders for the AWS side: subnet plan, EFA network interfaces, node labels and taints, kubeconfig."""

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

import pulumi

from config.schema import Taint


@dataclass(frozen=True)
class SubnetPlan:
    zone: str
    public_cidr: str
    private_cidr: str


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
