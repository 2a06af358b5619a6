"""What a Local Zone offers its nodes, over a render: volume types its EBS has.

A Local Zone offers a subset of a Region's EBS volume types, zone by zone ("AWS Local Zones features"); a launch
template asking for one the zone lacks fails every instance launch, after the cluster and the cache exist.
"""

from collections.abc import Iterator

from config.resource_types import LAUNCH_TEMPLATE, NODE_GROUP, SUBNET
from offline.checks.render_data import Finding, Render
from specs import aws_specs

SRC_LZ_EBS = (
    'AWS Local Zones user guide "How AWS Local Zones work": EBS volume types and default encryption vary by Local Zone'
    ' ("AWS Local Zones features"); specs/aws_specs.py LOCAL_ZONE_VOLUME_TYPES (check)'
)


def local_zone_volumes(render: Render) -> Iterator[Finding]:
    """Every node group with a subnet in a Local Zone launches from a template whose volumes are of a type the
    zone offers (EKS's default root volume, without a template, is not one the program can vouch for)."""
    subnets = render.by_id(SUBNET)
    templates = render.by_id(LAUNCH_TEMPLATE)
    for ng in render.of_type(NODE_GROUP):
        zones = {
            str((subnets.get(s) or {}).get("inputs", {}).get("availabilityZone"))
            for s in ng["inputs"].get("subnetIds") or []
        }
        local = sorted(z for z in zones if aws_specs.is_local_zone(z))
        if not local:
            continue
        what = f"NodeGroup {ng['name']}"
        template = templates.get(str((ng["inputs"].get("launchTemplate") or {}).get("id")))
        if template is None:
            yield Finding(
                "local-zone-ebs", what, f"in {local[0]} without a launch template naming its volume type", SRC_LZ_EBS
            )
            continue
        for m in template["inputs"].get("blockDeviceMappings") or []:
            kind = (m.get("ebs") or {}).get("volumeType")
            if kind not in aws_specs.LOCAL_ZONE_VOLUME_TYPES:
                yield Finding(
                    "local-zone-ebs",
                    what,
                    f"{template['name']} asks for a {kind} volume in {local[0]}, which offers"
                    f" {', '.join(aws_specs.LOCAL_ZONE_VOLUME_TYPES)}",
                    SRC_LZ_EBS,
                )
