"""GB200 in the Dallas Local Zone, and the update path of reserved capacity."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from config.errors import ConfigError
from offline.mocks import AVAILABILITY_ZONES, RecordingMonitor, StackMocks
from offline.report import inputs
from offline.run import Run
from tests.support import render, stack_values

DFW = "us-east-1-dfw-2a"


def by(run: Run, token: str) -> dict[str, dict[str, Any]]:
    return {r.name: inputs(r) for r in run.registrations if r.type == token}


def test_gb200_gpu_nodes_run_in_the_local_zone_outside_the_control_plane(rendered: Callable[[str], Run]) -> None:
    run = rendered("gb200")
    subnets = by(run, "aws:ec2/subnet:Subnet")
    zone_of = {f"{n}-id": s["availabilityZone"] for n, s in subnets.items()}
    groups = by(run, "aws:eks/nodeGroup:NodeGroup")
    assert [zone_of[s] for s in groups["gpu-nodes"]["subnetIds"]] == [DFW]
    assert [zone_of[s] for s in groups["cluster-system-nodes"]["subnetIds"]] == ["us-east-1a"]
    (eks,) = by(run, "aws:eks/cluster:Cluster").values()
    assert sorted(zone_of[s] for s in eks["vpcConfig"]["subnetIds"]) == ["us-east-1a", "us-east-1b"]
    (fsx,) = by(run, "aws:fsx/lustreFileSystem:LustreFileSystem").values()
    assert zone_of[fsx["subnetIds"]] == "us-east-1a"
    # Egress through the Region's NAT gateway: the Local Zone subnet shares the private route table.
    assocs = by(run, "aws:ec2/routeTableAssociation:RouteTableAssociation")
    assert assocs[f"cluster-private-{DFW}"]["routeTableId"] == assocs["cluster-private-us-east-1a"]["routeTableId"]
    assert run.outputs["gpuZone"] == DFW


def test_a_local_zone_the_account_has_not_opted_in_to_stops_the_preflight() -> None:
    monitor = RecordingMonitor(StackMocks())
    with pytest.raises(ConfigError) as e:
        render("gb200", invokes={AVAILABILITY_ZONES: {"names": []}}, monitor=monitor)
    assert "modify-availability-zone-group --group-name us-east-1-dfw-2 --opt-in-status opted-in" in str(e.value)
    assert not [r for r in monitor.registrations if r.custom]
    (ask,) = [a for t, a in monitor.mocks.invokes if t == AVAILABILITY_ZONES]  # type: ignore[attr-defined]
    assert ask["allAvailabilityZones"] is True


def test_region_zone_stacks_ask_for_no_opt_in(rendered: Callable[[str], Run]) -> None:
    assert "gpuNodeUpdates" not in rendered("h200-sglang-8").outputs
    assert not any(r.name.endswith("dfw-2a") for r in rendered("h200-sglang-8").registrations)


def test_reserved_capacity_holds_rolling_changes_until_scaled_to_zero(rendered: Callable[[str], Run]) -> None:
    running = rendered("gb200")
    (ng,) = [r for r in running.registrations if r.name == "gpu-nodes"]
    assert {"launchTemplate", "releaseVersion", "version"} <= set(ng.options["ignoreChanges"])
    assert inputs(ng)["scalingConfig"] == {"desiredSize": 9, "minSize": 9, "maxSize": 9}
    assert "scaleToZero" in running.outputs["gpuNodeUpdates"]

    pool = stack_values("gb200")["gpuPool"]
    drained = render("gb200", f"gpuPool={json.dumps({**pool, 'scaleToZero': True})}")
    (ng0,) = [r for r in drained.registrations if r.name == "gpu-nodes"]
    assert ng0.options["ignoreChanges"] == []  # the launch template and AMI apply now, with no node to replace
    assert inputs(ng0)["scalingConfig"] == {"desiredSize": 0, "minSize": 0, "maxSize": 9}


def test_on_demand_pools_roll_as_usual(rendered: Callable[[str], Run]) -> None:
    (ng,) = [r for r in rendered("h200-sglang-8").registrations if r.name == "gpu-nodes"]
    assert ng.options["ignoreChanges"] == []


def test_platform_claims_use_the_stack_class_on_eks_and_the_default_elsewhere(rendered: Callable[[str], Run]) -> None:
    def platform_values(stack: str) -> dict[str, Any]:
        (release,) = [inputs(r) for r in rendered(stack).registrations if inputs(r).get("chart") == "dynamo-platform"]
        values: dict[str, Any] = release["values"]
        return values

    eks = platform_values("h200-sglang-8")
    assert eks["nats"]["config"]["jetstream"]["fileStore"]["pvc"]["storageClassName"] == "gp3-encrypted"
    assert eks["etcd"]["persistence"]["storageClass"] == "gp3-encrypted"
    assert "config" not in platform_values("dev").get("nats", {})  # dev: only the metrics exporter's switches
    (sc,) = [inputs(r) for r in rendered("h200-sglang-8").registrations if r.type.endswith(":StorageClass")]
    assert (
        sc["parameters"] == {"type": "gp3", "encrypted": "true"} and sc["volumeBindingMode"] == "WaitForFirstConsumer"
    )
