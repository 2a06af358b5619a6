"""Preflight invokes: each failing AWS answer stops the run with one ConfigError before anything is registered."""

import json
from typing import Any

import pytest

from config.errors import ConfigError
from offline.mocks import (
    AVAILABILITY_ZONES,
    CAPACITY_BLOCK,
    CLOUD_CONTROL,
    INSTANCE_TYPE_OFFERINGS,
    RecordingMonitor,
    StackMocks,
)
from tests.support import BLOCK, block_time, render, stack_values

RESERVATION = {**BLOCK, "type": "reservation"}


def failing(capacity: dict[str, Any] | None, invokes: dict[str, Any]) -> tuple[ConfigError, RecordingMonitor]:
    pool = stack_values("h200-sglang-8")["gpuPool"]
    if capacity is not None:
        pool["capacity"] = capacity
    monitor = RecordingMonitor(StackMocks())
    with pytest.raises(ConfigError) as e:
        render("h200-sglang-8", f"gpuPool={json.dumps(pool)}", invokes=invokes, monitor=monitor)
    return e.value, monitor


def keys(e: ConfigError) -> list[str]:
    return [p.key for p in e.problems]


def test_instance_type_not_offered_in_the_zone_fails_before_any_resource_is_registered() -> None:
    e, monitor = failing(None, {INSTANCE_TYPE_OFFERINGS: {"instanceTypes": []}})
    assert monitor.registrations == []
    assert keys(e) == ["dsr1:target.availabilityZones"]
    assert "p5en.48xlarge is not offered in us-east-1a" in str(e)


def test_not_offered_in_the_capacity_zone_names_the_capacity_key() -> None:
    e, monitor = failing(BLOCK, {INSTANCE_TYPE_OFFERINGS: {"instanceTypes": []}})
    assert monitor.registrations == []
    assert keys(e) == ["dsr1:gpuPool.capacity.availabilityZone"]
    assert "not offered in us-east-1b" in str(e)


def test_the_offering_lookup_asks_for_the_instance_type_in_the_gpu_zone() -> None:
    mocks = StackMocks()
    monitor = RecordingMonitor(mocks)
    pool = {**stack_values("h200-sglang-8")["gpuPool"], "capacity": BLOCK}
    render("h200-sglang-8", f"gpuPool={json.dumps(pool)}", monitor=monitor)
    assert len(monitor.registrations) > 50  # the monitor records a good run: the `== []` checks above are not vacuous
    asks = [a for t, a in monitor.mocks.invokes if t == INSTANCE_TYPE_OFFERINGS]  # type: ignore[attr-defined]
    assert len(asks) == 1 and asks[0]["locationType"] == "availability-zone"
    filters = {f["name"]: f["values"] for f in asks[0]["filters"]}
    assert filters == {"instance-type": ["p5en.48xlarge"], "location": ["us-east-1b"]}


@pytest.mark.parametrize(
    ("answer", "key", "says"),
    [
        ({"state": "expired"}, "dsr1:gpuPool.capacity.id", "is expired, not active or scheduled"),
        ({"state": "payment-pending"}, "dsr1:gpuPool.capacity.id", "is payment-pending"),
        ({"instanceType": "p5.48xlarge"}, "dsr1:gpuPool.capacity.id", "is for p5.48xlarge, not p5en.48xlarge"),
        ({"instanceCount": 1}, "dsr1:gpuPool.nodeCount", "holds 1 instances; the pool needs 2"),
        ({"availabilityZone": "us-east-1a"}, "dsr1:gpuPool.capacity.availabilityZone", "set it to us-east-1a"),
        ({"endDate": block_time(15)}, "dsr1:gpuPool.capacity.endTime", f"set it to {block_time(15)}"),
    ],
)
def test_a_capacity_block_that_does_not_fit_fails_before_registration(
    answer: dict[str, Any], key: str, says: str
) -> None:
    e, monitor = failing(BLOCK, {CAPACITY_BLOCK: answer})
    assert monitor.registrations == []
    assert keys(e) == [key] and says in str(e)


def test_a_scheduled_capacity_block_passes() -> None:
    pool = {**stack_values("h200-sglang-8")["gpuPool"], "capacity": BLOCK}
    run = render("h200-sglang-8", f"gpuPool={json.dumps(pool)}", invokes={CAPACITY_BLOCK: {"state": "scheduled"}})
    assert run.registrations


def test_a_missing_capacity_block_names_its_id() -> None:
    e, monitor = failing(BLOCK, {CAPACITY_BLOCK: Exception("no Capacity Block reservation matched")})
    assert monitor.registrations == []
    assert keys(e) == ["dsr1:gpuPool.capacity.id"] and "cannot be read in us-east-1" in str(e)


def odcr(**props: Any) -> dict[str, Any]:
    base = {
        "State": "active",
        "InstanceType": "p5en.48xlarge",
        "TotalInstanceCount": 2,
        "AvailabilityZone": "us-east-1b",
    }
    return {CLOUD_CONTROL: {"properties": json.dumps({**base, **props})}}


@pytest.mark.parametrize(
    ("props", "key", "says"),
    [
        ({"State": "cancelled"}, "dsr1:gpuPool.capacity.id", "is cancelled, not active"),
        ({"InstanceType": "p5.48xlarge"}, "dsr1:gpuPool.capacity.id", "is for p5.48xlarge"),
        ({"TotalInstanceCount": 1}, "dsr1:gpuPool.nodeCount", "holds 1 instances"),
        ({"AvailabilityZone": "us-east-1a"}, "dsr1:gpuPool.capacity.availabilityZone", "set it to us-east-1a"),
    ],
)
def test_an_on_demand_capacity_reservation_that_does_not_fit_fails(props: dict[str, Any], key: str, says: str) -> None:
    e, monitor = failing(RESERVATION, odcr(**props))
    assert monitor.registrations == []
    assert keys(e) == [key] and says in str(e)


def test_a_fitting_reservation_is_looked_up_through_cloud_control_and_passes() -> None:
    mocks = StackMocks()
    monitor = RecordingMonitor(mocks)
    pool = {**stack_values("h200-sglang-8")["gpuPool"], "capacity": RESERVATION}
    run = render("h200-sglang-8", f"gpuPool={json.dumps(pool)}", invokes=odcr(), monitor=monitor)
    assert run.registrations
    (ask,) = [a for t, a in monitor.mocks.invokes if t == CLOUD_CONTROL]  # type: ignore[attr-defined]
    assert ask["typeName"] == "AWS::EC2::CapacityReservation" and ask["identifier"] == RESERVATION["id"]


def test_an_existing_cluster_asks_aws_nothing() -> None:
    mocks = StackMocks()
    monitor = RecordingMonitor(mocks)
    render("dev", monitor=monitor)
    assert monitor.mocks.invokes == []  # type: ignore[attr-defined]


def test_every_named_zone_is_asked_about_and_one_ec2_does_not_list_fails() -> None:
    """Not only the GPU zone: a second zone EC2 does not list (a typo of a real letter) stops the run."""
    e, monitor = failing(None, {AVAILABILITY_ZONES: {"names": ["us-east-1a"]}})
    assert [str(p) for p in e.problems] == [
        "dsr1:target.availabilityZones: us-east-1b is not a zone of us-east-1 (EC2 does not list it). Fix: use a zone"
        " `aws ec2 describe-availability-zones --all-availability-zones --region us-east-1` lists."
    ]
    assert not [r for r in monitor.registrations if r.custom]
    assert isinstance(monitor.mocks, StackMocks)
    asked = [a for t, a in monitor.mocks.invokes if t == AVAILABILITY_ZONES]
    assert asked[0]["filters"] == [{"name": "zone-name", "values": ["us-east-1a", "us-east-1b"]}]
