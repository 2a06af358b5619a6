"""Purchase options as plain facts: which zone the GPU nodes use and when reserved capacity takes them back."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from config import catalog
from config.errors import Problem
from config.keys import key
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


def end_notice(capacity: Capacity, itype: catalog.InstanceType, ends: datetime | None) -> str | None:
    """What happens when reserved capacity ends at `ends`, for the stack outputs; None when nothing ends."""
    if ends is None:
        return None
    end = ends.isoformat()
    if capacity.type == "capacity-block":
        lead = termination_lead(itype)
        cutoff = (ends - lead).isoformat()
        return (
            f"WARNING: Capacity Block {capacity.id} ends at {end}; EC2 terminates its instances"
            f" {int(lead.total_seconds() // 60)} minutes earlier, from {cutoff}: the GPU nodes and the graph"
            " go down then. Extend the block or buy a new one before that."
        )
    return f"Capacity Reservation {capacity.id} ends at {end}; its instances keep running afterwards, billed On-Demand."


@dataclass(frozen=True)
class Window:
    """When reserved capacity runs: a Capacity Block's StartDate and EndDate, from EC2 online (the preflight's
    DescribeCapacityReservations answer) or from gpuPool.capacity.startTime/endTime offline. None: not known."""

    start: datetime | None = None
    end: datetime | None = None

    def staged(self, now: datetime) -> bool:
        """Before the start: the GPU nodes cannot launch yet (a node group made before the reservation is active
        starts at desired capacity 0: EKS user guide, "Create self-managed nodes with Capacity Blocks for ML"), so the
        stack builds what needs no GPU and waits for the next `pulumi up`."""
        return self.start is not None and now < self.start


def window_problems(
    capacity: Capacity, window: Window, itype: catalog.InstanceType, now: datetime, minutes_to_endpoint: float
) -> list[Problem]:
    """A block that has ended, or whose instances go before the endpoint could be up, is refused with the fix.

    `minutes_to_endpoint`: from the first `pulumi up` after the block starts (GPU nodes, fabric check, graph start,
    smoke test; the cache filled before the start)."""
    if capacity.type != "capacity-block" or window.end is None:
        return []
    what = f"Capacity Block {capacity.id}"
    fix = (
        "buy a new block (aws ec2 describe-capacity-block-offerings, purchase-capacity-block) and set"
        " gpuPool.capacity.id to it (and startTime/endTime, if set, to its StartDate/EndDate)"
    )
    cutoff = window.end - termination_lead(itype)
    if now >= window.end:
        return [Problem(key("gpuPool.capacity.id"), f"{what} ended at {window.end.isoformat()}.", f"{fix}.")]
    now = now.replace(microsecond=0)
    begins = max(now, window.start) if window.start is not None else now
    ready = begins + timedelta(minutes=minutes_to_endpoint)
    if ready >= cutoff:
        return [
            Problem(
                key("gpuPool.capacity.id"),
                f"{what}'s instances are terminated from {cutoff.isoformat()}, before the endpoint could be up"
                f" (~{minutes_to_endpoint:.0f} min after {begins.isoformat()}, at ~{ready.isoformat()}).",
                f"{fix}, or extend this one (aws ec2 describe-capacity-block-extension-offerings, then"
                ' purchase-capacity-block-extension; EC2 "Extend Capacity Blocks").',
            )
        ]
    return []


def stage_notice(capacity: Capacity, window: Window, minutes_to_endpoint: float) -> str:
    """The summary's line for a block that has not started: what was built and when to run `up` again."""
    assert window.start is not None
    return (
        f"Capacity Block {capacity.id} starts at {window.start.isoformat()}: staged (network, cluster, cache and"
        f" the weights' download; no GPU node group, fabric check or graph yet). Run `pulumi up` again at or after"
        f" {window.start.isoformat()}, once the download Job has completed (`downloadLogsCommand`): it adds the GPU"
        f" nodes, the fabric check and the graph, ~{minutes_to_endpoint:.0f} min to the endpoint with the weights"
        " already in the cache."
    )


def unknown_window_notice(capacity: Capacity) -> str:
    """The summary's line when neither EC2 nor the config gave the block's dates (an offline render of a stack file
    without them): what `pulumi up` does with them."""
    return (
        f"Capacity Block {capacity.id}: start and end not known offline (no gpuPool.capacity.startTime/endTime);"
        " `pulumi up` reads them from EC2: before the start it builds everything but the GPU pool, its fabric check"
        " and the graph, and says when to run it again (docs/gb200.md); an ended block is refused. Rendered here as"
        " started."
    )
