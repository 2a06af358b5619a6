"""Cache storage choices: FSx sized for a read time, EFS with its warning, S3 staging, and their protection."""

import json
from typing import Any

import pytest

from config import catalog
from config.errors import ConfigError
from config.schema import ModelCacheSpec
from offline.report import inputs
from offline.run import Run
from specs import cache_sizing
from tests.support import closure, render, stack_values, stacks_where

R1 = catalog.MODELS["deepseek-r1"].weight_bytes


def spec(**kw: Any) -> ModelCacheSpec:
    return ModelCacheSpec.model_validate({"storage": "fsx-lustre", **kw})


def test_fsx_is_the_cheapest_size_and_tier_that_reads_r1_in_time() -> None:
    # 688.6 GB in 15 min needs 765 MB/s: 1200 GiB at 500 MB/s/TiB gives only 586; 1200 at 1000 gives 1172 ($504)
    # and beats 2400 at 500 (also 1172 MB/s, but $696).
    plan = cache_sizing.plan(spec(targetReadMinutes=15), R1)
    assert (plan.size_gib, plan.throughput_per_tib, round(plan.read_mbps or 0)) == (1200, 1000, 1172)
    assert plan.monthly_usd == pytest.approx(504.0)
    assert plan.read_minutes(R1) == pytest.approx(9.8, abs=0.1)


def test_a_relaxed_target_buys_a_slower_cheaper_tier() -> None:
    plan = cache_sizing.plan(spec(targetReadMinutes=60), R1)
    assert (plan.size_gib, plan.throughput_per_tib) == (1200, 250)


def test_an_explicit_size_and_tier_are_kept() -> None:
    plan = cache_sizing.plan(spec(sizeGib=2400, fsxThroughputPerTib=125), R1)
    assert (plan.size_gib, plan.throughput_per_tib) == (2400, 125)
    assert "~39 min to read the weights" in plan.describe(R1)


def test_fsx_sizes_follow_persistent_2_increments() -> None:
    assert cache_sizing.fsx_sizes(700)[:3] == [1200, 2400, 4800]
    assert cache_sizing.fsx_sizes(1300)[0] == 2400


def test_efs_is_modelled_from_what_users_measured() -> None:
    plan = cache_sizing.plan(ModelCacheSpec(storage="efs"), R1)
    assert "~43 min to read the weights per pod start" in plan.describe(R1)


def with_cache(stack: str, **cache: Any) -> str:
    return f"modelCache={json.dumps({**stack_values(stack)['modelCache'], **cache})}"


@pytest.fixture(scope="module")
def staged() -> Run:
    return render("h200-sglang-8", with_cache("h200-sglang-8", s3Staging={}))


def test_s3_staging_links_the_file_system_to_a_protected_private_bucket(staged: Run) -> None:
    (bucket,) = [r for r in staged.registrations if r.type == "aws:s3/bucket:Bucket"]
    assert bucket.options["protect"] is True and bucket.options["retainOnDelete"] is True
    (block,) = [
        inputs(r) for r in staged.registrations if r.type.endswith("bucketPublicAccessBlock:BucketPublicAccessBlock")
    ]
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    (link,) = [
        r for r in staged.registrations if r.type == "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation"
    ]
    dra = inputs(link)
    assert dra["fileSystemPath"] == "/models" and dra["batchImportMetaDataOnCreate"] is True
    assert dra["s3"]["autoExportPolicy"]["events"] == ["NEW", "CHANGED", "DELETED"]
    assert dra["s3"]["autoImportPolicy"]["events"] == ["NEW", "CHANGED", "DELETED"]
    (pv,) = [r for r in staged.registrations if r.type == "kubernetes:core/v1:PersistentVolume"]
    assert link.urn in pv.dependencies  # nothing is written before the link exports it
    assert staged.outputs["modelStagingBucket"]


def test_s3_staging_into_an_existing_bucket_creates_none() -> None:
    run = render("h200-sglang-8", with_cache("h200-sglang-8", s3Staging={"bucket": "team-weights", "prefix": "r1"}))
    assert not [r for r in run.registrations if r.type == "aws:s3/bucket:Bucket"]
    (link,) = [inputs(r) for r in run.registrations if r.type.endswith("DataRepositoryAssociation")]
    assert link["dataRepositoryPath"] == "s3://team-weights/r1"


def test_efs_cache_mounts_in_every_zone_with_its_csi_driver() -> None:
    run = render("h200-sglang-8", f"modelCache={json.dumps({'storage': 'efs'})}")
    (fs,) = [r for r in run.registrations if r.type == "aws:efs/fileSystem:FileSystem"]
    assert inputs(fs)["throughputMode"] == "elastic" and inputs(fs)["encrypted"] is True and fs.options["protect"]
    targets = [r for r in run.registrations if r.type == "aws:efs/mountTarget:MountTarget"]
    assert len(targets) == 2
    addons = {inputs(r)["addonName"] for r in run.registrations if r.type == "aws:eks/addon:Addon"}
    assert "aws-efs-csi-driver" in addons and "aws-fsx-csi-driver" not in addons
    (pv,) = [inputs(r) for r in run.registrations if r.type == "kubernetes:core/v1:PersistentVolume"]
    assert pv["spec"]["csi"]["driver"] == "efs.csi.aws.com"
    assert "EFS" in str(run.outputs["modelCache"]) and "slow" in str(run.outputs["modelCache"])
    assert any(w.startswith("dsr1:modelCache.storage: EFS") for w in run.outputs["warnings"])  # the summary's too


@pytest.mark.parametrize(
    ("cache", "key"),
    [
        ({"storage": "efs", "s3Staging": {}}, "dsr1:modelCache.s3Staging"),
        ({"storage": "fsx-lustre", "sizeGib": 600}, "dsr1:modelCache.sizeGib"),
        ({"storage": "fsx-lustre", "sizeGib": 1500}, "dsr1:modelCache.sizeGib"),
    ],
)
def test_cache_rules(cache: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as e:
        render("h200-sglang-8", f"modelCache={json.dumps(cache)}")
    assert key in [p.key for p in e.value.problems]


def test_efs_is_refused_on_an_existing_cluster() -> None:
    with pytest.raises(ConfigError) as e:
        render("dev", f"modelCache={json.dumps({'storage': 'efs'})}")
    assert "dsr1:modelCache.storage" in [p.key for p in e.value.problems]


@pytest.mark.parametrize("storage", ["fsx-lustre", "efs"])
def test_the_cache_does_not_wait_for_the_cluster_and_admits_the_node_subnets(storage: str) -> None:
    run = render("h200-sglang-8", f"modelCache={json.dumps({'storage': storage})}")
    by_urn = {r.urn: r for r in run.registrations}
    (sg,) = [r for r in run.registrations if r.name == "model-cache-sg"]
    waited = {by_urn[u].type for u in closure(run, sg) if u in by_urn}
    assert "aws:ec2/vpc:Vpc" in waited  # the walk found what the group does wait for: the check below is not vacuous
    assert "aws:eks/cluster:Cluster" not in waited
    ports = {(rule["fromPort"], rule["toPort"]) for rule in inputs(sg)["ingress"]}
    assert ports == ({(988, 988), (1018, 1023)} if storage == "fsx-lustre" else {(2049, 2049)})
    for rule in inputs(sg)["ingress"]:
        assert rule.get("self") is True or rule["cidrBlocks"] == ["10.40.0.0/20", "10.40.16.0/20"]


def test_an_existing_network_admits_its_subnets_ranges() -> None:
    network = {
        "vpcId": "vpc-0123456789abcdef0",
        "privateSubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    }
    target = {"kind": "eks", "clusterName": "c", "network": network}
    run = render("h200-sglang-8", f"target={json.dumps(target)}")
    (sg,) = [r for r in run.registrations if r.name == "model-cache-sg"]
    cidrs = {c for rule in inputs(sg)["ingress"] for c in rule.get("cidrBlocks", [])}
    assert cidrs == {"10.99.0.0/20", "10.99.16.0/20"}  # what the mocks answer for the two subnets


def test_fsx_is_sized_for_every_node_loading_at_once() -> None:
    # Two nodes read 688.6 GB each in 15 min: 1530 MB/s; 1200 GiB gives at most 1172, 2400 GiB at 1000 gives 2344.
    plan = cache_sizing.plan(spec(targetReadMinutes=15), R1, readers=2)
    assert (plan.size_gib, plan.throughput_per_tib) == (2400, 1000)
    assert plan.read_minutes(R1) == pytest.approx(9.8, abs=0.1)
    assert "on 2 nodes at once" in plan.describe(R1)


@pytest.mark.parametrize(
    "stack", stacks_where(lambda c: c.model_cache.storage == "fsx-lustre" and c.gpu_pool.node_count > 1)
)
def test_each_stacks_concurrent_load_meets_its_target(stack: str) -> None:
    run = render(stack)
    flows = run.outputs["timeToEndpoint"]["inputs"]
    load = flows["weight_bytes"] * flows["loading_nodes"] / (flows["cache_read_mbps"] * 1e6) / 60
    assert flows["loading_nodes"] >= 2
    assert load <= stack_values(stack)["modelCache"]["targetReadMinutes"]
