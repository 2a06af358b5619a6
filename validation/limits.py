"""EKS and EC2 limits a stack's size can break: refused (hard limits) or warned about (adjustable quotas), with the
numbers, before anything is created. Rented GPUs by the hundred fail late and expensively otherwise.

Sources: Amazon EKS User Guide, "Amazon EKS service quotas" (nodes per managed node group: 450, adjustable; managed
node groups per cluster: 30); Amazon VPC User Guide, "Subnet CIDR blocks" (the first four and the last address of
every subnet are reserved); Kubernetes "Considerations for large clusters" (no more than 110 pods per node, the
kubelet's default --max-pods).
"""

import ipaddress
import math
from collections.abc import Iterator

from config import catalog
from config.errors import Problem
from config.keys import key
from config.schema import EksTarget, StackConfig
from specs import aws_specs

NODES_PER_MANAGED_NODE_GROUP = 450
"""EKS service quota "Nodes per managed node group", default 450, adjustable."""
PODS_PER_NODE = 110
"""Kubernetes' tested limit and the kubelet's default --max-pods."""
SUBNET_RESERVED_ADDRESSES = 5
"""AWS reserves the first four and the last address of every subnet."""
MIN_ADDRESSES_PER_NODE = 2
"""A hard floor: the node's primary address and one for its worker pod (the VPC CNI gives pods VPC addresses)."""
WARM_ADDRESSES_PER_NODE = 50
"""What a P5-class node typically holds: the VPC CNI's default warm pool (WARM_ENI_TARGET=1) keeps a whole spare
interface's addresses, 50 per interface on these types (check)."""
DAEMONSET_PODS_PER_GPU_NODE = 5
"""NVIDIA and EFA device plugins, the FSx CSI node plugin, the image pre-pull, the DRA kubelet plugin (check)."""


def _gpu_subnet_size(t: EksTarget) -> int | None:
    """Addresses in the private subnet the GPU and system nodes share (a created VPC's /20; None: an existing one)."""
    if t.availability_zones is None:
        return None
    try:
        plan = aws_specs.subnet_plan(t.vpc_cidr, t.availability_zones)
    except ValueError:
        return None  # rules._network reports it
    return int(ipaddress.ip_network(plan[0].private_cidr).num_addresses)


def problems(cfg: StackConfig) -> Iterator[Problem]:
    """Hard limits: the stack cannot be created as configured."""
    pool, s = cfg.gpu_pool, cfg.serving
    worker_pods = sum(w.replicas * w.nodes for w in (s.prefill, s.decode))
    per_node = math.ceil(worker_pods / pool.node_count) + DAEMONSET_PODS_PER_GPU_NODE
    fewest_nodes = math.ceil(worker_pods / (PODS_PER_NODE - DAEMONSET_PODS_PER_GPU_NODE))
    if per_node > PODS_PER_NODE:
        yield Problem(
            key("gpuPool.nodeCount"),
            f"{per_node} pods per GPU node exceed Kubernetes' {PODS_PER_NODE} pods per node.",
            f"spread the workers over more nodes (at least {fewest_nodes}).",
        )
    if not isinstance(cfg.target, EksTarget):
        return
    size = _gpu_subnet_size(cfg.target)
    nodes = pool.node_count + cfg.target.system_nodes.count
    if size is not None and nodes * MIN_ADDRESSES_PER_NODE > size - SUBNET_RESERVED_ADDRESSES:
        usable = size - SUBNET_RESERVED_ADDRESSES
        yield Problem(
            key("gpuPool.nodeCount"),
            f"{pool.node_count} GPU nodes and {cfg.target.system_nodes.count} system nodes need at least"
            f" {nodes * MIN_ADDRESSES_PER_NODE} addresses ({MIN_ADDRESSES_PER_NODE} per node) in the GPU zone's"
            f" private subnet, a /{32 - int(math.log2(size))} with {usable} usable.",
            f"use at most {usable // MIN_ADDRESSES_PER_NODE - cfg.target.system_nodes.count} GPU nodes, or bring a"
            " network with a larger subnet (target.network).",
        )


def warnings(cfg: StackConfig) -> list[str]:
    """Adjustable quotas and likely shortfalls: the stack may work, after a quota increase or with a tuned CNI."""
    pool, out = cfg.gpu_pool, list[str]()
    itype = catalog.INSTANCE_TYPES.get(pool.instance_type or "")
    if not isinstance(cfg.target, EksTarget):
        return out
    if pool.node_count > NODES_PER_MANAGED_NODE_GROUP:
        cost = f" (~${pool.node_count * itype.price_per_hour_usd:,.0f}/h at list price)" if itype else ""
        out.append(
            f"{key('gpuPool.nodeCount')}: {pool.node_count} nodes{cost} exceed EKS's default quota of"
            f" {NODES_PER_MANAGED_NODE_GROUP} nodes per managed node group: request an increase (Service Quotas,"
            " Amazon EKS) before `pulumi up`, or the node group fails to create."
        )
    size = _gpu_subnet_size(cfg.target)
    nodes = pool.node_count + cfg.target.system_nodes.count
    if size is not None and nodes * WARM_ADDRESSES_PER_NODE > size - SUBNET_RESERVED_ADDRESSES:
        out.append(
            f"{key('gpuPool.nodeCount')}: {nodes} nodes may hold ~{WARM_ADDRESSES_PER_NODE} addresses each (the VPC"
            f" CNI's warm pool), {nodes * WARM_ADDRESSES_PER_NODE} in all, more than the GPU subnet's"
            f" {size - SUBNET_RESERVED_ADDRESSES}: set WARM_IP_TARGET on the aws-node DaemonSet or use a larger subnet."
        )
    return out
