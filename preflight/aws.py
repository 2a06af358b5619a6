"""Preflight: ask AWS, through Pulumi invokes, whether the GPU capacity the stack asks for can be had.

The invokes are synchronous (the plain `aws.ec2.get_...` form), so they run during `pulumi preview` and a failure
raises one ConfigError, naming the config key and the fix, before any resource is registered. Under mocks,
`offline/mocks.py` answers them.
"""

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pulumi_aws as aws

from config import catalog
from config.errors import ConfigError, Problem
from config.keys import key
from config.schema import Capacity, EksTarget, StackConfig
from specs import aws_specs, capacity

BLOCK_STATES = ("active", "scheduled")
"""A block that is running, or paid for and waiting for its start; pending payment or ended blocks are refused."""
RESERVATION_STATES = ("active",)
P_INSTANCES_QUOTA = "L-417A185B"
"""Service Quotas code of EC2's "Running On-Demand P instances", in vCPUs (the P5 family's on-demand limit)."""
ODCR_TYPE = "AWS::EC2::CapacityReservation"
"""pulumi-aws 7.x has no data source for On-Demand Capacity Reservations; Cloud Control reads them."""


@dataclass(frozen=True)
class CapacityFacts:
    """What the preflight learnt: where the GPU nodes go."""

    zone: str | None
    """The GPU pool's zone (None on an existing cluster)."""
    subnet_index: int
    """Index of the home zone's subnet among the target's private subnets: the GPU zone's, or for a Local Zone the
    Region zone of the system nodes and the cache."""
    local_zone: str | None = None
    """The Local Zone the GPU nodes run in, outside the control plane's zones (None: a Region zone)."""
    window: capacity.Window = dataclasses.field(default_factory=capacity.Window)
    """A Capacity Block's start and end: EC2's answer (DescribeCapacityReservations), else the config's."""


def _subnet_zones(target: EksTarget, region: str) -> list[str]:
    """Zones of an existing network's private subnets, in the order the config lists them."""
    assert target.network is not None
    return [aws.ec2.get_subnet(id=s, region=region).availability_zone for s in target.network.private_subnet_ids]


def _placement(target: EksTarget, cap: Capacity, region: str, found: list[Problem]) -> CapacityFacts:
    index = capacity.zone_index(target, cap)
    if cap.availability_zone and aws_specs.is_local_zone(cap.availability_zone) and index is not None:
        return CapacityFacts(cap.availability_zone, index, local_zone=cap.availability_zone)
    if target.availability_zones is not None and index is not None:
        return CapacityFacts(target.availability_zones[index], index)
    zones = _subnet_zones(target, region)
    if cap.availability_zone is None:
        return CapacityFacts(zones[0], 0)
    if cap.availability_zone not in zones:
        found.append(
            Problem(
                key("gpuPool.capacity.availabilityZone"),
                f"{cap.availability_zone} has none of target.network.privateSubnetIds (their zones: {zones}).",
                f"add a private subnet in {cap.availability_zone} to target.network.privateSubnetIds.",
            )
        )
        return CapacityFacts(cap.availability_zone, 0)
    return CapacityFacts(cap.availability_zone, zones.index(cap.availability_zone))


def _opted_in(zone: str, region: str) -> list[Problem]:
    """A Local Zone is usable only once the account opted in to its zone group (EC2 "Launch instances using
    Capacity Blocks": P6e-GB200 UltraServer blocks need the Dallas Local Zone opt-in)."""
    found = aws.get_availability_zones(
        all_availability_zones=True,
        filters=[{"name": "zone-name", "values": [zone]}, {"name": "opt-in-status", "values": ["opted-in"]}],
        region=region,
    )
    if zone in (found.names or []):
        return []
    group = aws_specs.local_zone_group(zone)
    return [
        Problem(
            key("gpuPool.capacity.availabilityZone"),
            f"the account has not opted in to the Local Zone {zone}.",
            f"aws ec2 modify-availability-zone-group --group-name {group} --opt-in-status opted-in --region {region}.",
        )
    ]


def _zones_exist(target: EksTarget, cap: Capacity, region: str) -> list[Problem]:
    """Every zone the stack names, not only the GPU zone, exists in the Region (EC2 DescribeAvailabilityZones with
    AllAvailabilityZones lists Local Zones too, opted in or not); offline, validation/refusals.py checks the
    pattern only."""
    named = [("target.availabilityZones", z) for z in target.availability_zones or []]
    if cap.availability_zone and not aws_specs.is_local_zone(cap.availability_zone):  # _opted_in asks about it
        named.append(("gpuPool.capacity.availabilityZone", cap.availability_zone))
    if not named:
        return []
    found = aws.get_availability_zones(
        all_availability_zones=True,
        filters=[{"name": "zone-name", "values": sorted({z for _, z in named})}],
        region=region,
    )
    exists = set(found.names or [])
    return [
        Problem(
            key(name),
            f"{zone} is not a zone of {region} (EC2 does not list it).",
            f"use a zone `aws ec2 describe-availability-zones --all-availability-zones --region {region}` lists.",
        )
        for name, zone in named
        if zone not in exists
    ]


def _offered(itype: str, zone: str, region: str, zone_key: str) -> list[Problem]:
    offerings = aws.ec2.get_instance_type_offerings(
        location_type="availability-zone",
        filters=[{"name": "instance-type", "values": [itype]}, {"name": "location", "values": [zone]}],
        region=region,
    )
    if itype in (offerings.instance_types or []):
        return []
    return [
        Problem(
            key(zone_key),
            f"{itype} is not offered in {zone}.",
            f"pick a zone that offers it: aws ec2 describe-instance-type-offerings --location-type availability-zone"
            f" --filters Name=instance-type,Values={itype} --region {region}.",
        )
    ]


@dataclass(frozen=True)
class Reserved:
    """A reservation or block as AWS describes it."""

    state: str | None
    instance_type: str | None
    instance_count: int | None
    zone: str | None
    end: str | None
    start: str | None = None


def _lookup(cap: Capacity, region: str) -> Reserved:
    assert cap.id is not None
    if cap.type == "capacity-block":
        b = aws.ec2.get_capacity_block_reservation(id=cap.id, region=region)
        return Reserved(b.state, b.instance_type, b.instance_count, b.availability_zone, b.end_date, b.start_date)
    props: dict[str, Any] = json.loads(
        aws.cloudcontrol.get_resource(type_name=ODCR_TYPE, identifier=cap.id, region=region).properties or "{}"
    )
    return Reserved(
        props.get("State"),
        props.get("InstanceType"),
        props.get("TotalInstanceCount"),
        props.get("AvailabilityZone"),
        props.get("EndDate"),
    )


def _time(b: str | None) -> datetime | None:
    """EC2's timestamps (ISO 8601, `Z` for UTC), or None when absent or unreadable."""
    try:
        return datetime.fromisoformat(b.replace("Z", "+00:00")) if b else None
    except ValueError:
        return None


def _same_time(a: datetime, b: str) -> bool:
    return a == _time(b)


def _reservation(cfg: StackConfig, itype: str, region: str, window: list[capacity.Window]) -> list[Problem]:
    """Problems of the reservation or block as EC2 describes it; `window` receives its start and end."""
    cap = cfg.gpu_pool.capacity
    what = "Capacity Block" if cap.type == "capacity-block" else "Capacity Reservation"
    id_key = key("gpuPool.capacity.id")
    try:
        r = _lookup(cap, region)
    except Exception as e:  # the provider reports a missing or unreadable reservation as a failed invoke
        return [Problem(id_key, f"{what} {cap.id} cannot be read in {region}: {e}.", "check the id and region.")]
    window.append(capacity.Window(_time(r.start) or cap.start_time, _time(r.end) or cap.end_time))
    found: list[Problem] = []
    states = BLOCK_STATES if cap.type == "capacity-block" else RESERVATION_STATES
    # Cloud Control may not report an ODCR's State; the counts below still hold then.
    if r.state is not None and r.state not in states:
        fix = (
            "buy a new block (aws ec2 describe-capacity-block-offerings, purchase-capacity-block) and set"
            " gpuPool.capacity.id to it"
            if cap.type == "capacity-block"
            else f"use a {what} that is"
        )
        found.append(Problem(id_key, f"{what} {cap.id} is {r.state}, not {' or '.join(states)}.", f"{fix}."))
    if r.instance_type != itype:
        found.append(
            Problem(
                id_key,
                f"{what} {cap.id} is for {r.instance_type}, not {itype}.",
                f"use a {what} for {itype}, or set gpuPool.instanceType to {r.instance_type}.",
            )
        )
    if r.instance_count is None or r.instance_count < cfg.gpu_pool.node_count:
        found.append(
            Problem(
                key("gpuPool.nodeCount"),
                f"{what} {cap.id} holds {r.instance_count} instances; the pool needs {cfg.gpu_pool.node_count}.",
                f"lower gpuPool.nodeCount to {r.instance_count} or use a larger {what}.",
            )
        )
    if r.zone != cap.availability_zone:
        found.append(
            Problem(
                key("gpuPool.capacity.availabilityZone"),
                f"{cap.availability_zone} is not the zone of {what} {cap.id}, {r.zone}.",
                f"set it to {r.zone}.",
            )
        )
    if cap.start_time is not None and r.start and not _same_time(cap.start_time, r.start):
        found.append(
            Problem(
                key("gpuPool.capacity.startTime"),
                f"{cap.start_time.isoformat()} is not the start of {what} {cap.id}, {r.start}.",
                f"set it to {r.start}, or remove it (the preflight reads it).",
            )
        )
    if cap.end_time is not None and r.end and not _same_time(cap.end_time, r.end):
        found.append(
            Problem(
                key("gpuPool.capacity.endTime"),
                f"{cap.end_time.isoformat()} is not the end of {what} {cap.id}, {r.end}.",
                f"set it to {r.end}.",
            )
        )
    return found


def _vcpu_quota(cfg: StackConfig, itype: catalog.InstanceType, region: str) -> list[Problem]:
    """On-demand P instances count against a per-region vCPU quota: a pool above it fails only when EC2 refuses to
    launch, after the cluster and the cache are built. A Capacity Reservation was held to that limit when it was
    created (EC2 API Reference, CreateCapacityReservation: it fails past "your On-Demand Instance limit"), and a
    Capacity Block is bought whole: only on-demand pools are checked here."""
    if cfg.gpu_pool.capacity.type != "on-demand" or not itype.name.startswith("p"):
        return []
    try:
        quota = aws.servicequotas.get_service_quota(service_code="ec2", quota_code=P_INSTANCES_QUOTA, region=region)
    except Exception:  # no servicequotas:GetServiceQuota permission: EC2 itself will tell, later
        return []
    need = cfg.gpu_pool.node_count * itype.vcpus
    if quota.value >= need:
        return []
    return [
        Problem(
            key("gpuPool.nodeCount"),
            f"{cfg.gpu_pool.node_count} x {itype.name} need {need} vCPUs of on-demand P instances; the account's quota"
            f" 'Running On-Demand P instances' ({P_INSTANCES_QUOTA}) in {region} is {quota.value:.0f}.",
            f"request an increase to {need}: aws service-quotas request-service-quota-increase --service-code ec2"
            f" --quota-code {P_INSTANCES_QUOTA} --desired-value {need} --region {region}; or lower gpuPool.nodeCount.",
        )
    ]


def check(cfg: StackConfig, region: str | None) -> CapacityFacts:
    """Run every preflight check of an EKS stack and return where its GPU nodes go, or raise ConfigError."""
    target = cfg.target
    if not isinstance(target, EksTarget):
        return CapacityFacts(None, 0)
    assert region is not None and cfg.gpu_pool.instance_type is not None, "rules.problems() requires both on EKS"
    itype = catalog.INSTANCE_TYPES[cfg.gpu_pool.instance_type].name
    cap = cfg.gpu_pool.capacity
    found: list[Problem] = []
    facts = _placement(target, cap, region, found)
    if facts.local_zone is not None:
        found += _opted_in(facts.local_zone, region)
    if not found:
        found += _zones_exist(target, cap, region)
    if facts.zone is not None and not found:
        zone_key = "gpuPool.capacity.availabilityZone" if cap.availability_zone else "target.availabilityZones"
        found += _offered(itype, facts.zone, region, zone_key)
    window: list[capacity.Window] = []
    if cap.type != "on-demand":
        found += _reservation(cfg, itype, region, window)
    found += _vcpu_quota(cfg, catalog.INSTANCE_TYPES[itype], region)
    if found:
        raise ConfigError(found)
    return dataclasses.replace(facts, window=window[0]) if window else facts
