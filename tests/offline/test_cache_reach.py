"""The cache-reachable rule: every pod that mounts the cache lands only in subnets its security group admits."""

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from config import resource_types as rt
from offline.checks import cache_reach
from offline.checks.render_data import Finding, Render
from offline.run import Run
from tests.support import render

REGIONAL_ONLY = ["10.40.0.0/20", "10.40.16.0/20"]
"""What the FSx security group admitted before issue 21: the two regional private subnets, not the Local Zone's."""


def reach(r: Render) -> list[Finding]:
    return list(cache_reach.cache_reachable(r))


def cache_sg(r: Render) -> dict[str, Any]:
    (sg,) = [x for x in r.of_type(rt.SECURITY_GROUP) if x["name"] == "model-cache-sg"]
    return sg


@pytest.fixture(scope="module")
def gb200() -> Render:
    return Render.from_run(render("gb200"))


def test_gb200_gpu_pods_reach_the_cache_from_the_local_zone(gb200: Render) -> None:
    lz = next(s for s in gb200.of_type(rt.SUBNET) if s["inputs"]["availabilityZone"] == "us-east-1-dfw-2a")
    admitted = [c for rule in cache_sg(gb200)["inputs"]["ingress"] for c in rule.get("cidrBlocks") or []]
    assert lz["inputs"]["cidrBlock"] in admitted
    assert reach(gb200) == []


def test_the_rule_fails_on_the_old_security_group(gb200: Render) -> None:
    """Before the fix the group admitted the regional subnets only: the Local Zone's GPU pods could not mount."""
    old = copy.deepcopy(gb200)
    for rule in cache_sg(old)["inputs"]["ingress"]:
        if rule.get("cidrBlocks"):
            rule["cidrBlocks"] = list(REGIONAL_ONLY)
    found = reach(old)
    assert sorted(f.resource for f in found) == [
        "DynamoGraphDeployment trtllm-disagg-multinode service decode",
        "DynamoGraphDeployment trtllm-disagg-multinode service prefill",
    ]
    assert all("us-east-1-dfw-2a" in f.message and "988, 1018-1023" in f.message for f in found)
    # The download runs on the system nodes in us-east-1a, which the old group admitted: that hid the problem.
    assert not any(f.resource.startswith("Job download") for f in found)


def test_every_port_lustre_needs_is_checked(gb200: Render) -> None:
    partial = copy.deepcopy(gb200)
    sg = cache_sg(partial)
    sg["inputs"]["ingress"] = [r for r in sg["inputs"]["ingress"] if r.get("fromPort") == 988]
    found = reach(partial)
    assert found and all("TCP 1018-1023" in f.message and "988," not in f.message for f in found)
    # The download Job mounts the cache too, from the system nodes.
    assert any(f.resource.startswith("Job download") for f in found)


def test_a_self_rule_admits_no_client(gb200: Render) -> None:
    only_self = copy.deepcopy(gb200)
    sg = cache_sg(only_self)
    sg["inputs"]["ingress"] = [r for r in sg["inputs"]["ingress"] if r.get("self")]
    assert {f.resource.split(" ")[0] for f in reach(only_self)} == {"Job", "DynamoGraphDeployment"}


def test_efs_needs_nfs_from_every_node_subnet() -> None:
    efs = Render.from_run(render("gb200", f"modelCache={json.dumps({'storage': 'efs'})}"))
    assert reach(efs) == []
    broken = copy.deepcopy(efs)
    for rule in cache_sg(broken)["inputs"]["ingress"]:
        if rule.get("cidrBlocks"):
            rule["cidrBlocks"] = list(REGIONAL_ONLY)
    found = reach(broken)
    assert found and all("TCP 2049" in f.message for f in found)


def test_the_old_gb200_would_have_failed_the_stack_check(rendered: Callable[[str], Run]) -> None:
    """The rule is one of the AWS constraint rules `python -m offline.checks` and the stack tests run."""
    from offline.checks import aws_constraints

    assert cache_reach.cache_reachable in aws_constraints.RULES
    r = copy.deepcopy(Render.from_run(rendered("gb200")))
    for rule in cache_sg(r)["inputs"]["ingress"]:
        if rule.get("cidrBlocks"):
            rule["cidrBlocks"] = list(REGIONAL_ONLY)
    assert {f.rule for f in aws_constraints.check(r)} == {"cache-reachable"}
