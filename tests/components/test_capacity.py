"""Reserved capacity: no placement group, the reservation targeted in its zone, the block's end time exported."""

import json
from typing import Any

import pytest

from config.errors import ConfigError
from offline.report import inputs
from offline.run import Run
from tests.support import BLOCK, BLOCK_END, as_output, render, stack_values


def with_capacity(capacity: dict[str, Any], stack: str = "h200-sglang-8", **pool: Any) -> str:
    return f"gpuPool={json.dumps({**stack_values(stack)['gpuPool'], 'capacity': capacity, **pool})}"


def node_groups(run: Run) -> dict[str, dict[str, Any]]:
    return {r.name: inputs(r) for r in run.registrations if r.type == "aws:eks/nodeGroup:NodeGroup"}


def test_capacity_block_pool_targets_the_block_without_a_placement_group() -> None:
    run = render("h200-sglang-8", with_capacity(BLOCK))
    types = [r.type for r in run.registrations]
    assert "aws:ec2/placementGroup:PlacementGroup" not in types
    (lt,) = [
        inputs(r) for r in run.registrations if r.type == "aws:ec2/launchTemplate:LaunchTemplate" and r.name == "gpu-lt"
    ]
    assert "placement" not in lt
    target = lt["capacityReservationSpecification"]["capacityReservationTarget"]
    assert target == {"capacityReservationId": "cr-0123456789abcdef0"}
    assert lt["instanceMarketOptions"] == {"marketType": "capacity-block"}
    assert node_groups(run)["gpu-nodes"]["capacityType"] == "CAPACITY_BLOCK"


def test_reserved_capacity_pins_gpu_and_system_nodes_to_its_zones_subnet() -> None:
    run = render("h200-sglang-8", with_capacity(BLOCK))
    groups = node_groups(run)
    assert groups["gpu-nodes"]["subnetIds"] == ["cluster-private-us-east-1b-id"]
    assert groups["cluster-system-nodes"]["subnetIds"] == ["cluster-private-us-east-1b-id"]
    assert run.outputs["gpuZone"] == "us-east-1b"


def test_capacity_block_exports_its_end_and_the_termination_warning() -> None:
    out = render("h200-sglang-8", with_capacity(BLOCK)).outputs
    assert out["capacityEndTime"] == as_output(BLOCK_END)
    assert "30 minutes" in out["capacityWarning"]
    assert as_output(BLOCK_END).replace("T11:30", "T11:00") in out["capacityWarning"]


def test_ultraserver_blocks_end_an_hour_early() -> None:
    out = render("gb200", f"gpuPool.capacity.endTime='{BLOCK_END}'").outputs
    assert "60 minutes" in out["capacityWarning"]
    assert as_output(BLOCK_END).replace("T11:30", "T10:30") in out["capacityWarning"]


def test_on_demand_stacks_export_no_end_time(sglang8: Run) -> None:
    assert "capacityEndTime" not in sglang8.outputs and "capacityWarning" not in sglang8.outputs
    assert sglang8.outputs["gpuZone"] == "us-east-1a"


def test_node_count_above_the_block_fails_with_its_size() -> None:
    with pytest.raises(ConfigError) as e:
        render("h200-sglang-8", with_capacity({**BLOCK, "instanceCount": 1}))
    assert [p.key for p in e.value.problems] == ["dsr1:gpuPool.nodeCount"]
    assert "holds 1 instances" in str(e.value)


def test_an_existing_network_creates_no_vpc_and_places_nodes_in_its_first_subnet() -> None:
    target = {
        **stack_values("h200-sglang-8")["target"],
        "availabilityZones": None,
        "network": {"vpcId": "vpc-0123456789abcdef0", "privateSubnetIds": ["subnet-0aaaaaaaa", "subnet-0bbbbbbbb"]},
    }
    run = render("h200-sglang-8", f"target={json.dumps(target)}")
    types = {r.type for r in run.registrations}
    assert not types & {"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/natGateway:NatGateway"}
    groups = node_groups(run)
    assert groups["gpu-nodes"]["subnetIds"] == ["subnet-0aaaaaaaa"] == groups["cluster-system-nodes"]["subnetIds"]


def test_an_existing_network_uses_the_subnet_in_the_reservations_zone() -> None:
    target = {
        **stack_values("h200-sglang-8")["target"],
        "availabilityZones": None,
        "network": {"vpcId": "vpc-0123456789abcdef0", "privateSubnetIds": ["subnet-0aaaaaaaa", "subnet-0bbbbbbbb"]},
    }
    # The mocks place the first subnet in the capacity's zone: name the second subnet's zone through the invoke.
    subnet_b = {"aws:ec2/getSubnet:getSubnet": {"availabilityZone": "us-east-1b"}}
    run = render("h200-sglang-8", f"target={json.dumps(target)}", with_capacity(BLOCK))
    assert node_groups(run)["gpu-nodes"]["subnetIds"] == ["subnet-0aaaaaaaa"]
    with pytest.raises(ConfigError) as e:
        render(
            "h200-sglang-8",
            f"target={json.dumps(target)}",
            with_capacity({**BLOCK, "availabilityZone": "us-east-1c"}),
            invokes=subnet_b,
        )
    assert [p.key for p in e.value.problems] == ["dsr1:gpuPool.capacity.availabilityZone"]
    assert "has none of target.network.privateSubnetIds" in str(e.value)
