"""Every pod that mounts the model cache runs only where the cache's security group lets it in.

The mocks accept any security group; AWS then drops a Lustre or NFS client's connections from a subnet the group does
not admit, and the mount hangs: the pod never starts (FSx for Lustre user guide, "File system access control with
Amazon VPC": inbound TCP 988 and 1018-1023 from every client; EFS user guide, "Using VPC security groups": inbound
TCP 2049 from every client). The rule follows the render: the claim the pod mounts, its volume's file system, that
file system's security groups, and the subnets of every node group the pod can be scheduled onto.
"""

import ipaddress
from collections.abc import Iterator
from typing import Any

from config.resource_types import EFS, EFS_MOUNT_TARGET, LUSTRE, NODE_GROUP, SECURITY_GROUP, SUBNET
from offline.checks import cluster
from offline.checks.render_data import Finding, Record, Render
from specs import cache_spec

SRC_REACH = (
    'FSx for Lustre guide "File system access control with Amazon VPC": TCP 988, 1018-1023 inbound from every client;'
    ' EFS guide "Using VPC security groups": TCP 2049 inbound from every client'
)
PORTS = {"fsx.csi.aws.com": cache_spec.LUSTRE_PORTS, "efs.csi.aws.com": ((cache_spec.NFS_PORT, cache_spec.NFS_PORT),)}
"""The ports each CSI driver's clients need on the file system, by driver."""


def _mounts(render: Render) -> dict[str, set[str]]:
    """Claim name -> the pods (as cluster._pods names them) whose volumes use it."""
    out: dict[str, set[str]] = {}
    for m in render.manifests:
        name = m.get("metadata", {}).get("name")
        if m["kind"] == "Job":
            volumes = m.get("spec", {}).get("template", {}).get("spec", {}).get("volumes") or []
            for v in volumes:
                claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
                if claim:
                    out.setdefault(claim, set()).add(f"Job {name}")
        elif m["kind"] == "DynamoGraphDeployment":
            for svc_name, svc in (m.get("spec", {}).get("services") or {}).items():
                # The operator mounts a claim named in volumeMounts (its `name` is the claim's).
                for mount in svc.get("volumeMounts") or []:
                    out.setdefault(str(mount.get("name")), set()).add(
                        f"DynamoGraphDeployment {name} service {svc_name}"
                    )
    return out


def _file_system_groups(render: Render, driver: str, handle: str) -> list[Record] | None:
    """The security groups guarding the file system a volume names, or None when the stack does not create it."""
    groups = render.by_id(SECURITY_GROUP)
    if driver == "fsx.csi.aws.com":
        fs = render.by_id(LUSTRE).get(handle)
        ids = (fs or {}).get("inputs", {}).get("securityGroupIds")
    else:
        fs = render.by_id(EFS).get(handle)
        targets = [t for t in render.of_type(EFS_MOUNT_TARGET) if t["inputs"].get("fileSystemId") == handle]
        ids = [g for t in targets for g in t["inputs"].get("securityGroups") or []]
    if fs is None:
        return None
    return [groups[g] for g in ids or [] if g in groups]


def _admits(groups: list[Record], cidr: str, lo: int, hi: int) -> bool:
    """Some ingress rule covers every port lo..hi over TCP from an address range that holds all of `cidr`."""
    subnet = ipaddress.IPv4Network(cidr)
    for g in groups:
        for rule in g["inputs"].get("ingress") or []:
            proto = str(rule.get("protocol"))
            if proto not in ("tcp", "6", "-1", "all"):
                continue
            if proto not in ("-1", "all") and not (rule.get("fromPort", 0) <= lo and hi <= rule.get("toPort", -1)):
                continue
            if any(subnet.subnet_of(ipaddress.IPv4Network(c)) for c in rule.get("cidrBlocks") or []):
                return True
    return False


def _node_group_subnets(render: Render) -> dict[str, list[tuple[str, str | None]]]:
    """Node group name -> (subnet id, its CIDR or None when the stack does not create the subnet)."""
    subnets = render.by_id(SUBNET)
    out: dict[str, list[tuple[str, str | None]]] = {}
    for r in render.of_type(NODE_GROUP):
        ids: Any = r["inputs"].get("subnetIds") or []
        out[r["name"]] = [(s, (subnets.get(s) or {}).get("inputs", {}).get("cidrBlock")) for s in ids]
    return out


def cache_reachable(render: Render) -> Iterator[Finding]:
    """For every pod mounting a stack-owned file system: every node group it can land on sits in subnets the file
    system's security groups admit on every port its protocol needs."""
    if not render.on_eks:
        return
    volumes = {m["metadata"]["name"]: m for m in render.manifests if m["kind"] == "PersistentVolume"}
    claims = {m["metadata"]["name"]: m for m in render.manifests if m["kind"] == "PersistentVolumeClaim"}
    mounts = _mounts(render)
    groups = cluster._node_groups(render)
    subnets = _node_group_subnets(render)
    pods = {p.what: p for p in cluster._pods(render)}
    for claim_name, users in sorted(mounts.items()):
        pv = volumes.get(str((claims.get(claim_name) or {}).get("spec", {}).get("volumeName")))
        csi = (pv or {}).get("spec", {}).get("csi") or {}
        driver, handle = csi.get("driver"), str(csi.get("volumeHandle"))
        if driver not in PORTS:
            continue
        guards = _file_system_groups(render, driver, handle)
        if guards is None:
            continue
        for what in sorted(users):
            pod = pods.get(what)
            if pod is None:
                continue
            for g in groups:
                if cluster._fits(pod, g) is not None:
                    continue
                for subnet_id, cidr in subnets.get(g.name, []):
                    if cidr is None:
                        render.statements.append(
                            f"{what} on node group {g.name}: subnet {subnet_id} is given, not created; its range must"
                            f" be admitted by the cache's security group on {PORTS[driver]}"
                        )
                        continue
                    refused = [
                        f"{lo}-{hi}" if lo != hi else str(lo)
                        for lo, hi in PORTS[driver]
                        if not _admits(guards, cidr, lo, hi)
                    ]
                    if refused:
                        yield Finding(
                            "cache-reachable",
                            what,
                            f"mounts {claim_name} from node group {g.name} in subnet {subnet_id} ({cidr}), which the"
                            f" cache's security group does not admit on TCP {', '.join(refused)}",
                            SRC_REACH,
                        )
