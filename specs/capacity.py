"""Purchase options as plain facts: which zone the GPU nodes use and when reserved capacity takes them back."""

from datetime import timedelta

from config import catalog
from config.schema import Capacity, EksTarget
from specs import aws_specs

BLOCK_TERMINATION_LEAD = timedelta(minutes=30)
ULTRASERVER_TERMINATION_LEAD = timedelta(minutes=60)
"""EC2 starts terminating a Capacity Block's instances 30 minutes before its end, 60 for UltraServers (EC2 User
Guide, Capacity Blocks; shared/reference/NOTES.md)."""


def zone_index(target: EksTarget, capacity: Capacity) -> int | None:
    """Index of the GPU zone in the target's zones: the capacity's zone, else the first. None for an existing
    network, whose subnets' zones only AWS knows (the preflight looks them up)."""
    if target.availability_zones is None:
        return None
    if capacity.availability_zone is None or aws_specs.is_local_zone(capacity.availability_zone):
        return 0  # a Local Zone's GPU nodes keep the system nodes and the cache in the first Region zone
    return target.availability_zones.index(capacity.availability_zone)


def termination_lead(itype: catalog.InstanceType) -> timedelta:
    return ULTRASERVER_TERMINATION_LEAD if itype.ultraserver_sizes else BLOCK_TERMINATION_LEAD


def end_notice(capacity: Capacity, itype: catalog.InstanceType) -> str | None:
    """What happens when reserved capacity ends, for the stack outputs; None when nothing ends."""
    if capacity.end_time is None:
        return None
    end = capacity.end_time.isoformat()
    if capacity.type == "capacity-block":
        lead = termination_lead(itype)
        cutoff = (capacity.end_time - lead).isoformat()
        return (
            f"WARNING: Capacity Block {capacity.id} ends at {end}; EC2 terminates its instances"
            f" {int(lead.total_seconds() // 60)} minutes earlier, from {cutoff}: the GPU nodes and the graph"
            " go down then. Extend the block or buy a new one before that."
        )
    return f"Capacity Reservation {capacity.id} ends at {end}; its instances keep running afterwards, billed On-Demand."
