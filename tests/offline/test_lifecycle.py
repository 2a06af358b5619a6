"""What each cache mode keeps: protect / retainOnDelete per resource, and what destroy --exclude-protected keeps."""

import json
from collections.abc import Callable
from typing import Any

from offline import lifecycle, report
from offline.mocks import Registration
from offline.run import Run
from tests.support import render, stack_values

FSX = "aws:fsx/lustreFileSystem:LustreFileSystem"
CACHE_TYPES = {FSX, "aws:ec2/securityGroup:SecurityGroup", "aws:s3/bucket:Bucket"}


def reg(urn: str, parent: str | None = None, deps: tuple[str, ...] = (), protect: bool = False) -> Registration:
    return Registration(urn, "t", urn, parent, list(deps), True, None, {}, {"protect": protect})


def test_exclude_protected_keeps_protected_resources_their_parents_and_dependencies() -> None:
    regs = [
        reg("vpc"),
        reg("cluster", deps=("vpc",)),
        reg("nodes", deps=("cluster",)),
        reg("component"),
        reg("fs", parent="component", deps=("cluster",), protect=True),
        reg("graph", deps=("fs",)),
    ]
    assert lifecycle.kept_by_exclude_protected(regs) == {"fs", "component", "cluster", "vpc"}


def by_type(run: Run, typ: str) -> list[Registration]:
    return [r for r in run.registrations if r.type == typ]


def test_by_default_the_cache_is_protected_and_retained(rendered: Callable[[str], Run]) -> None:
    run = rendered("h200-sglang-8")
    (fs,) = by_type(run, FSX)
    (cache_sg,) = [r for r in by_type(run, "aws:ec2/securityGroup:SecurityGroup") if r.name == "model-cache-sg"]
    for r in (fs, cache_sg):
        assert r.options["protect"] and r.options["retainOnDelete"], r.name
    for typ in ("PersistentVolume", "PersistentVolumeClaim", "Namespace"):
        (k8s_obj,) = by_type(run, f"kubernetes:core/v1:{typ}")
        assert k8s_obj.options["retainOnDelete"] and not k8s_obj.options["protect"], typ
    kept = {r.type for r in run.registrations if r.urn in lifecycle.kept_by_exclude_protected(run.registrations)}
    # The cache's security group admits the node subnets' ranges, not the cluster's group: keeping the cache keeps
    # its network (VPC, subnets) and not the control plane, which would bill on.
    assert {FSX, "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"} <= kept
    assert not kept & {"aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:ec2/natGateway:NatGateway"}
    assert not any(t.startswith("kubernetes:") for t in kept)


def test_deletable_cache_leaves_nothing_protected_or_retained() -> None:
    cache = {**stack_values("h200-sglang-8")["modelCache"], "deletable": True, "s3Staging": {}}
    run = render("h200-sglang-8", f"modelCache={json.dumps(cache)}")
    assert {r.type for r in run.registrations} >= CACHE_TYPES
    assert [r.name for r in run.registrations if r.options["protect"] or r.options["retainOnDelete"]] == []
    (bucket,) = by_type(run, "aws:s3/bucket:Bucket")
    assert bucket.wire_inputs["forceDestroy"] is True  # the destroy empties the bucket of the staged weights
    assert lifecycle.summary(run.registrations) == [
        "lifecycle: nothing protected or retained: `pulumi destroy` deletes every resource, the cache too"
    ]


def test_efs_cache_is_protected_unless_deletable() -> None:
    efs = f"modelCache={json.dumps({'storage': 'efs'})}"
    kept = by_type(render("h200-sglang-8", efs), "aws:efs/fileSystem:FileSystem")
    assert [r.options["protect"] for r in kept] == [True]
    deletable = f"modelCache={json.dumps({'storage': 'efs', 'deletable': True})}"
    gone = render("h200-sglang-8", deletable)
    assert not any(r.options["protect"] or r.options["retainOnDelete"] for r in gone.registrations)


def test_resources_json_shows_each_resources_lifecycle(rendered: Callable[[str], Run]) -> None:
    entries: list[dict[str, Any]] = report.resource_entries(rendered("h200-sglang-8"))
    assert all(set(e["lifecycle"]) == {"protect", "retainOnDelete", "keptByExcludeProtected"} for e in entries)
    (fs,) = [e for e in entries if e["type"] == FSX]
    assert fs["lifecycle"] == {"protect": True, "retainOnDelete": True, "keptByExcludeProtected": True}
    text = report.summary(rendered("h200-sglang-8"))
    assert "`pulumi destroy --exclude-protected` keeps" in text and "Cluster" in text
