"""Reserved capacity: no placement group, the reservation targeted, the block's market type."""

import json

from offline.report import inputs
from tests.support import render, stack_values

BLOCK = {"type": "capacity-block", "id": "cr-0123456789abcdef0", "instanceCount": 2}


def test_capacity_block_pool_targets_the_block_without_a_placement_group() -> None:
    pool = {**stack_values("h200-sglang-8")["gpuPool"], "capacity": BLOCK}
    run = render("h200-sglang-8", f"gpuPool={json.dumps(pool)}")
    types = [r.type for r in run.registrations]
    assert "aws:ec2/placementGroup:PlacementGroup" not in types
    (lt,) = [inputs(r) for r in run.registrations if r.type == "aws:ec2/launchTemplate:LaunchTemplate"]
    assert "placement" not in lt
    target = lt["capacityReservationSpecification"]["capacityReservationTarget"]
    assert target == {"capacityReservationId": "cr-0123456789abcdef0"}
    assert lt["instanceMarketOptions"] == {"marketType": "capacity-block"}
    (ng,) = [inputs(r) for r in run.registrations if r.type == "aws:eks/nodeGroup:NodeGroup" and r.name == "gpu-nodes"]
    assert ng["capacityType"] == "CAPACITY_BLOCK"


def test_an_existing_network_creates_no_vpc_and_places_nodes_in_its_first_subnet() -> None:
    target = {
        **stack_values("h200-sglang-8")["target"],
        "availabilityZones": None,
        "network": {"vpcId": "vpc-0123456789abcdef0", "privateSubnetIds": ["subnet-0aaaaaaaa", "subnet-0bbbbbbbb"]},
    }
    run = render("h200-sglang-8", f"target={json.dumps(target)}")
    types = {r.type for r in run.registrations}
    assert not types & {"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/natGateway:NatGateway"}
    groups = {r.name: inputs(r) for r in run.registrations if r.type == "aws:eks/nodeGroup:NodeGroup"}
    assert groups["gpu-nodes"]["subnetIds"] == ["subnet-0aaaaaaaa"] == groups["cluster-system-nodes"]["subnetIds"]
