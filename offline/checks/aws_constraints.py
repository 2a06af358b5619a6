"""What the AWS APIs refuse and Pulumi's mocks accept, checked over a render's resources.

Each rule is a function over the render's records, returning Findings; each cites its source in one line. Ids: the
mocks give every resource the id `<name>-id`, so an input naming another resource's id is resolved through it.
"""

import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from config import versions
from config.resource_types import (
    BUCKET,
    EFS,
    EKS_ADDON,
    EKS_CLUSTER,
    LAUNCH_TEMPLATE,
    LUSTRE,
    NODE_GROUP,
    PLACEMENT_GROUP,
    SECURITY_GROUP,
    SUBNET,
)
from config.vpc_cni import network_policy_enabled
from offline.checks.cache_reach import cache_reachable
from offline.checks.local_zone import local_zone_volumes
from offline.checks.render_data import Finding, Record, Render
from specs import aws_specs, eks_addon_spec

SG_TEXT = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}$")
SRC_SG = "EC2 API CreateSecurityGroup: GroupName/Description up to 255 of a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$*"
EKS_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")
SRC_EKS_NAME = "EKS API CreateCluster: name 1-100 characters, ^[0-9A-Za-z][A-Za-z0-9\\-_]*$"
SRC_VERSION = 'EKS user guide "Kubernetes version lifecycle": standard support ends 14 months after release'
SRC_LOCAL_ZONE = 'EKS user guide "Local Zones": do not specify Local Zone subnets when you create the cluster'
SRC_TWO_ZONES = 'EKS user guide "VPC and subnet requirements": the cluster subnets span at least two zones'
SRC_CB_LT = 'EKS user guide "Create a managed node group with Capacity Blocks": launch template with MarketType'
SRC_CB_LT += " capacity-block, the CapacityReservationId and the InstanceType"
SRC_GB200_ZONE = 'EC2 "Launch instances using Capacity Blocks": P6e-GB200 UltraServer blocks need the Dallas Local Zone'
SRC_NG_TYPES = "EKS API CreateNodegroup: an instance type in the launch template and instanceTypes fails the create"
SRC_NG_ENUMS = "EKS API CreateNodegroup: capacityType, amiType and taint effect enums; scalingConfig maxSize >= 1"
SRC_CB_UPDATE = 'EKS user guide "Capacity Blocks" managed node groups: set the desired size to 0 before an update'
SRC_POD_ID = 'EKS user guide "Attach an IAM Role to an Amazon EKS add-on using Pod Identity": the agent first'
SRC_POD_ID_FSX = 'EKS user guide "Deploy the FSx for Lustre driver": Pod Identity or IRSA; "Amazon EKS add-ons": the'
SRC_POD_ID_FSX += " FSx add-on requires the Pod Identity Agent (the guide's renditions disagree: check)"
SRC_BEFORE_NODES = "EKS add-ons: the CNI and the Pod Identity Agent run on every node; nodes wait for them"
SRC_ADDON_CONFIG = "EKS API CreateAddon: configurationValues is a JSON document of the add-on's schema"
SRC_NP = 'EKS user guide "Configure your cluster for Kubernetes network policies": enableNetworkPolicy string "true"'
SRC_FSX = "FSx API LustreFileSystemConfiguration: PERSISTENT_2 PerUnitStorageThroughput 125|250|500|1000; capacity"
SRC_FSX += " 1200 GiB or multiples of 2400"
SRC_FSX_ZONE = 'EKS user guide "Local Zones": nodes, EBS volumes and ALBs there; no FSx for Lustre (check: LZ features)'
SRC_S3 = "pulumi-aws s3.Bucket: bucketPrefix at most 37 characters, lowercase (S3 bucket naming rules)"
SRC_EFS = "EFS API CreateFileSystem: ThroughputMode bursting|provisioned|elastic"
SRC_PG = "EC2 API CreatePlacementGroup: Strategy cluster|spread|partition"
SRC_TAGS = 'EC2 "Tag restrictions": key up to 128 characters, value up to 256, no aws: prefix'
SRC_IMDS = "EC2 API LaunchTemplateInstanceMetadataOptionsRequest: HttpTokens optional|required, hop limit 1-64"

CAPACITY_TYPES = {"ON_DEMAND", "SPOT", "CAPACITY_BLOCK"}
AMI_TYPES = {
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "AL2023_x86_64_NVIDIA",
    "AL2023_ARM_64_NVIDIA",
    "AL2023_x86_64_NEURON",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_ARM_64",
    "BOTTLEROCKET_x86_64_NVIDIA",
    "BOTTLEROCKET_ARM_64_NVIDIA",
    "CUSTOM",
}
TAINT_EFFECTS = {"NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"}
FSX_PERSISTENT_2_THROUGHPUT = {125, 250, 500, 1000}


def _f(rule: str, r: Record, message: str, source: str) -> Finding:
    return Finding(rule, f"{r['type'].split(':')[-1]} {r['name']}", message, source)


def security_groups(render: Render) -> Iterator[Finding]:
    for r in render.of_type(SECURITY_GROUP):
        for field in ("description", "name", "namePrefix"):
            value = r["inputs"].get(field)
            if isinstance(value, str) and not SG_TEXT.fullmatch(value):
                yield _f("sg-text", r, f"{field} {value!r} has characters or a length EC2 refuses", SRC_SG)


def cluster_names(render: Render) -> Iterator[Finding]:
    for r in render.of_type(EKS_CLUSTER):
        name = r["inputs"].get("name")
        if isinstance(name, str) and not EKS_NAME.fullmatch(name):
            yield _f("eks-name", r, f"{name!r} is not a valid EKS cluster name", SRC_EKS_NAME)


def kubernetes_version(render: Render, today: date | None = None) -> Iterator[Finding]:
    today = today or date.today()
    for r in render.of_type(EKS_CLUSTER):
        version = r["inputs"].get("version")
        end = versions.EKS_STANDARD_SUPPORT_END.get(str(version))
        if end is None:
            yield _f("eks-version", r, f"{version} has no known end of standard support", SRC_VERSION)
        elif date.fromisoformat(end) <= today:
            yield _f(
                "eks-version", r, f"{version} left standard support on {end} (extended support is billed)", SRC_VERSION
            )


def _zone_of(subnet_id: Any, ids: dict[str, Record]) -> str | None:
    subnet = ids.get(subnet_id) if isinstance(subnet_id, str) else None
    zone = subnet["inputs"].get("availabilityZone") if subnet else None
    return zone if isinstance(zone, str) else None


def control_plane_subnets(render: Render) -> Iterator[Finding]:
    ids = render.by_id(SUBNET)
    for r in render.of_type(EKS_CLUSTER):
        subnets = (r["inputs"].get("vpcConfig") or {}).get("subnetIds") or []
        zones = [_zone_of(s, ids) for s in subnets]
        for s, z in zip(subnets, zones, strict=True):
            if z is not None and aws_specs.is_local_zone(z):
                yield _f("control-plane-local-zone", r, f"subnet {s} is in the Local Zone {z}", SRC_LOCAL_ZONE)
        known = {z for z in zones if z is not None}
        if len(known) == len(zones) and len(known) < 2:
            yield _f("control-plane-zones", r, f"subnets span {sorted(known)}, fewer than two zones", SRC_TWO_ZONES)


def capacity_block_templates(render: Render) -> Iterator[Finding]:
    for r in render.of_type(LAUNCH_TEMPLATE):
        i = r["inputs"]
        if (i.get("instanceMarketOptions") or {}).get("marketType") != "capacity-block":
            continue
        target = (i.get("capacityReservationSpecification") or {}).get("capacityReservationTarget") or {}
        missing = [
            f
            for f, v in (
                ("instanceType", i.get("instanceType")),
                ("capacityReservationId", target.get("capacityReservationId")),
            )
            if not v
        ]
        if missing:
            yield _f("capacity-block-template", r, f"a capacity-block launch template without {missing}", SRC_CB_LT)


def node_groups(render: Render) -> Iterator[Finding]:
    templates = render.by_id(LAUNCH_TEMPLATE)
    subnets = render.by_id(SUBNET)
    for r in render.of_type(NODE_GROUP):
        i = r["inputs"]
        lt = templates.get(str((i.get("launchTemplate") or {}).get("id")))
        lt_inputs = lt["inputs"] if lt else {}
        if lt_inputs.get("instanceType") and i.get("instanceTypes"):
            yield _f(
                "node-group-instance-types", r, "instance types both in the launch template and here", SRC_NG_TYPES
            )
        capacity_type = i.get("capacityType", "ON_DEMAND")
        if capacity_type not in CAPACITY_TYPES:
            yield _f("node-group-enum", r, f"capacityType {capacity_type!r}", SRC_NG_ENUMS)
        if i.get("amiType") is not None and i["amiType"] not in AMI_TYPES:
            yield _f("node-group-enum", r, f"amiType {i['amiType']!r}", SRC_NG_ENUMS)
        for t in i.get("taints") or []:
            if t.get("effect") not in TAINT_EFFECTS:
                yield _f("node-group-enum", r, f"taint effect {t.get('effect')!r}", SRC_NG_ENUMS)
        s = i.get("scalingConfig") or {}
        if not (s.get("maxSize", 0) >= 1 and 0 <= s.get("minSize", 0) <= s.get("desiredSize", 0) <= s["maxSize"]):
            yield _f("node-group-scaling", r, f"scalingConfig {s}", SRC_NG_ENUMS)
        market = (lt_inputs.get("instanceMarketOptions") or {}).get("marketType")
        if (capacity_type == "CAPACITY_BLOCK") != (market == "capacity-block"):
            yield _f(
                "capacity-block-template", r, "capacityType CAPACITY_BLOCK needs a capacity-block template", SRC_CB_LT
            )
        types = [*(i.get("instanceTypes") or []), lt_inputs.get("instanceType") or ""]
        zones = {_zone_of(sid, subnets) for sid in i.get("subnetIds") or []}
        if any(t.startswith("p6e-gb200.") for t in types) and not all(z and aws_specs.is_local_zone(z) for z in zones):
            yield _f(
                "gb200-local-zone", r, f"GB200 nodes in {sorted(map(str, zones))}, not the Local Zone", SRC_GB200_ZONE
            )
        reserved = bool((lt_inputs.get("capacityReservationSpecification") or {}).get("capacityReservationTarget"))
        held = set(r.get("ignoreChanges") or [])
        if reserved and s.get("desiredSize") and not {"launchTemplate", "releaseVersion"} <= held:
            yield _f(
                "reserved-update-path",
                r,
                "reserved capacity with no room to surge rolls on a launch template or AMI change and gets stuck",
                SRC_CB_UPDATE,
            )


def addons(render: Render) -> Iterator[Finding]:
    installed = {r["inputs"].get("addonName"): r for r in render.of_type(EKS_ADDON)}
    agent = installed.get(eks_addon_spec.POD_IDENTITY_AGENT)
    for name, r in installed.items():
        spec = eks_addon_spec.ADDONS.get(str(name))
        associated = bool(r["inputs"].get("podIdentityAssociations"))
        needs = associated or (spec is not None and spec.needs_pod_identity)
        if needs and (agent is None or agent["urn"] not in render.closure(r)):
            source = SRC_POD_ID if associated else SRC_POD_ID_FSX
            why = "its Pod Identity association" if associated else "the add-on"
            yield _f(
                "addon-pod-identity",
                r,
                f"{name} is not created after {eks_addon_spec.POD_IDENTITY_AGENT}, which {why} needs",
                source,
            )
        config = r["inputs"].get("configurationValues")
        if config is not None:
            try:
                json.loads(config)
            except (TypeError, ValueError):
                yield _f("addon-config", r, "configurationValues is not JSON", SRC_ADDON_CONFIG)
    before = [installed[n] for n, s in eks_addon_spec.ADDONS.items() if s.before_nodes and n in installed]
    for ng in render.of_type(NODE_GROUP):
        waits = render.closure(ng)
        for a in before:
            if a["urn"] not in waits:
                yield _f(
                    "addon-before-nodes",
                    ng,
                    f"does not wait for the {a['inputs']['addonName']} add-on",
                    SRC_BEFORE_NODES,
                )


def network_policy_addon(render: Render) -> Iterator[Finding]:
    """The CNI setting itself; cluster.py checks that the stack's NetworkPolicies have it."""
    for r in render.of_type(EKS_ADDON):
        config = r["inputs"].get("configurationValues")
        if r["inputs"].get("addonName") == eks_addon_spec.VPC_CNI and not network_policy_enabled(config):
            yield _f("vpc-cni-network-policy", r, "network policy enforcement is off", SRC_NP)


def file_systems(render: Render) -> Iterator[Finding]:
    ids = render.by_id(SUBNET)
    for r in render.of_type(LUSTRE):
        i = r["inputs"]
        if i.get("deploymentType") == "PERSISTENT_2":
            if i.get("perUnitStorageThroughput") not in FSX_PERSISTENT_2_THROUGHPUT:
                yield _f("fsx", r, f"perUnitStorageThroughput {i.get('perUnitStorageThroughput')}", SRC_FSX)
            size = i.get("storageCapacity")
            if not isinstance(size, int) or not (size == 1200 or size % 2400 == 0):
                yield _f("fsx", r, f"storageCapacity {size}", SRC_FSX)
        subnets = i.get("subnetIds")
        for s in subnets if isinstance(subnets, list) else [subnets]:
            zone = _zone_of(s, ids)
            if zone is not None and aws_specs.is_local_zone(zone):
                yield _f("fsx-zone", r, f"subnet {s} is in the Local Zone {zone}", SRC_FSX_ZONE)
    for r in render.of_type(EFS):
        mode = r["inputs"].get("throughputMode")
        if mode is not None and mode not in {"bursting", "provisioned", "elastic"}:
            yield _f("efs", r, f"throughputMode {mode!r}", SRC_EFS)


def buckets(render: Render) -> Iterator[Finding]:
    for r in render.of_type(BUCKET):
        prefix = r["inputs"].get("bucketPrefix")
        if isinstance(prefix, str) and (len(prefix) > 37 or prefix != prefix.lower()):
            yield _f("s3-bucket-prefix", r, f"bucketPrefix {prefix!r} ({len(prefix)} characters)", SRC_S3)


def placement_and_metadata(render: Render) -> Iterator[Finding]:
    for r in render.of_type(PLACEMENT_GROUP):
        if r["inputs"].get("strategy") not in {"cluster", "spread", "partition"}:
            yield _f("placement-group", r, f"strategy {r['inputs'].get('strategy')!r}", SRC_PG)
    for r in render.of_type(LAUNCH_TEMPLATE):
        m = r["inputs"].get("metadataOptions") or {}
        hops = m.get("httpPutResponseHopLimit")
        if m.get("httpTokens") not in (None, "optional", "required") or (hops is not None and not 1 <= hops <= 64):
            yield _f("imds", r, f"metadataOptions {m}", SRC_IMDS)


def tags(render: Render) -> Iterator[Finding]:
    for r in render.records:
        if not r["type"].startswith("aws:"):
            continue
        for k, v in (r["inputs"].get("tags") or {}).items():
            if len(k) > 128 or len(str(v)) > 256 or k.lower().startswith("aws:"):
                yield _f("tags", r, f"tag {k!r}={v!r}", SRC_TAGS)


RULES: list[Callable[[Render], Iterator[Finding]]] = [
    security_groups,
    cluster_names,
    kubernetes_version,
    control_plane_subnets,
    capacity_block_templates,
    node_groups,
    addons,
    network_policy_addon,
    file_systems,
    buckets,
    placement_and_metadata,
    tags,
    cache_reachable,
    local_zone_volumes,
]


def check(render: Render) -> list[Finding]:
    """Every AWS constraint finding of a render (none on a stack that `pulumi up` can create)."""
    return [f for rule in RULES for f in rule(render)]
