"""Every validation rule, with its message: each test fails if its rule is removed."""

from collections.abc import Callable
from typing import Any

import pytest

from config.errors import ConfigError
from program.config_source import load_stack_config
from tests.support import stack_values

REGION = "us-east-1"

BLOCK = {
    "type": "capacity-block",
    "id": "cr-0123456789abcdef0",
    "instanceCount": 2,
    "availabilityZone": "us-east-1a",
    "endTime": "2026-07-01T11:30:00Z",
}


def problems_of(values: dict[str, Any], region: str | None = REGION) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as e:
        load_stack_config(values, region)
    return [(p.key, str(p)) for p in e.value.problems]


def changed(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    values = stack_values("h200-sglang-8")
    edit(values)
    return values


def test_the_stack_file_is_valid() -> None:
    cfg = load_stack_config(stack_values("h200-sglang-8"), REGION)
    assert cfg.gpu_pool.node_count == 2
    assert cfg.serving.decode.enable_dp_attention


def test_unknown_top_level_key_is_named_with_a_suggestion() -> None:
    found = problems_of(changed(lambda v: v.update(gpuPools=v["gpuPool"])))
    assert found == [("dsr1:gpuPools", found[0][1])]
    assert "not a known key" in found[0][1] and "did you mean 'gpuPool'" in found[0][1]


def test_unknown_nested_key_is_named_with_the_known_keys() -> None:
    found = problems_of(changed(lambda v: v["serving"]["decode"].update(memFractionStatik=0.7)))
    (key, message) = found[0]
    assert key == "dsr1:serving.decode.memFractionStatik"
    assert "did you mean 'memFractionStatic'" in message and "enableDpAttention" in message


def test_unknown_key_inside_the_target_union_names_its_path() -> None:
    found = problems_of(changed(lambda v: v["target"].update(clustername="x")))
    assert found[0][0] == "dsr1:target.clustername"
    assert "clusterName" in found[0][1]


def test_missing_required_key() -> None:
    found = problems_of(changed(lambda v: v["model"].pop("revision")))
    assert found[0][0] == "dsr1:model.revision" and "is required" in found[0][1]


def test_a_revision_must_be_a_commit_or_a_ref_name() -> None:
    found = problems_of(changed(lambda v: v["model"].update(revision="main branch!")))
    assert found[0][0] == "dsr1:model.revision"
    assert not load_stack_config(changed(lambda v: v["model"].update(revision="main")), REGION).model.pinned


def test_unknown_instance_type_lists_the_catalog() -> None:
    found = problems_of(changed(lambda v: v["gpuPool"].update(instanceType="p5en.24xlarge")))
    assert found[0][0] == "dsr1:gpuPool.instanceType" and "p5en.48xlarge" in found[0][1]


def test_tp_must_match_the_workers_gpus() -> None:
    found = problems_of(changed(lambda v: v["serving"]["prefill"].update(tp=4)))
    assert found == [
        (
            "dsr1:serving.prefill.tp",
            "dsr1:serving.prefill.tp: tp=4 does not match the worker's GPUs: nodes (1) x GPUs per node (8) = 8."
            " Fix: set serving.prefill.tp to 8 or change serving.prefill.nodes.",
        )
    ]


def test_tp_must_match_when_a_worker_spans_nodes() -> None:
    def edit(v: dict[str, Any]) -> None:
        v["serving"]["decode"].update(nodes=2)
        v["gpuPool"]["nodeCount"] = 3

    found = problems_of(changed(edit))
    assert found[0][0] == "dsr1:serving.decode.tp" and "nodes (2) x GPUs per node (8) = 16" in found[0][1]


def test_dp_must_divide_tp() -> None:
    found = problems_of(changed(lambda v: v["serving"]["decode"].update(dp=3)))
    assert found[0][0] == "dsr1:serving.decode.dp" and "does not divide tp=8" in found[0][1]


def test_dp_above_one_needs_dp_attention() -> None:
    found = problems_of(changed(lambda v: v["serving"]["decode"].update(enableDpAttention=False)))
    assert found[0][0] == "dsr1:serving.decode.enableDpAttention"


def test_ep_must_be_one_or_tp() -> None:
    found = problems_of(changed(lambda v: v["serving"]["prefill"].update(ep=4)))
    assert found[0][0] == "dsr1:serving.prefill.ep"


def test_weights_that_do_not_fit_say_how_many_gib_are_needed_and_available() -> None:
    found = problems_of(changed(lambda v: v["serving"]["prefill"].update(memFractionStatic=0.5)))
    (key, message) = found[0]
    assert key == "dsr1:serving.prefill.memFractionStatic"
    # 688.6 GB over 8 GPUs = 80.2 GiB each; 140.4 GiB x 0.5 = 70.2 GiB available.
    assert "must hold 80.2 GiB" in message and "only 70.2 GiB is available" in message


def test_r1_cannot_fit_a_four_gpu_worker() -> None:
    def edit(v: dict[str, Any]) -> None:
        v["target"] = {"kind": "existing", "kubeconfig": "~/.kube/config"}
        v["gpuPool"] = {"gpusPerNode": 4, "gpuMemoryGib": 140.4, "nodeCount": 2, "fabric": "none"}
        v["modelCache"] = {"storage": "storage-class", "storageClass": "rwx", "sizeGib": 1200}
        for role, dp in (("prefill", 1), ("decode", 4)):
            v["serving"][role].update(tp=4, ep=4, dp=dp)

    found = dict(problems_of(changed(edit), None))
    assert "must hold 160.3 GiB" in found["dsr1:serving.prefill.memFractionStatic"]


def test_pool_too_small_for_the_workers() -> None:
    found = problems_of(changed(lambda v: v["gpuPool"].update(nodeCount=1)))
    assert found[0][0] == "dsr1:gpuPool.nodeCount" and "need 2" in found[0][1]


def test_node_count_above_the_capacity_block() -> None:
    block = {**BLOCK, "instanceCount": 1}
    found = problems_of(changed(lambda v: v["gpuPool"].update(capacity=block)))
    assert [k for k, _ in found] == ["dsr1:gpuPool.nodeCount"]
    assert (
        "exceed the capacity-block cr-0123456789abcdef0, which holds 1 instances"
        in dict(found)["dsr1:gpuPool.nodeCount"]
    )


def test_reservation_needs_its_id_and_size() -> None:
    found = problems_of(changed(lambda v: v["gpuPool"].update(capacity={"type": "reservation"})))
    assert found[0][0] == "dsr1:gpuPool.capacity"


def test_eks_needs_a_region() -> None:
    found = problems_of(stack_values("h200-sglang-8"), region=None)
    assert found[0][0] == "aws:region"


def test_zones_must_be_in_the_region() -> None:
    found = problems_of(stack_values("h200-sglang-8"), region="eu-west-1")
    assert found[0][0] == "dsr1:target.availabilityZones"


def test_cache_too_small_for_the_checkpoint() -> None:
    found = problems_of(
        changed(lambda v: v["modelCache"].update(storage="storage-class", storageClass="x", sizeGib=600))
    )
    assert found[0][0] == "dsr1:modelCache.sizeGib" and "at least 706" in found[0][1]


def test_fsx_size_must_be_an_offered_size() -> None:
    found = problems_of(changed(lambda v: v["modelCache"].update(sizeGib=1500)))
    assert found[0][0] == "dsr1:modelCache.sizeGib" and "1200 GiB or a multiple of 2400 GiB" in found[0][1]


def test_efa_only_on_aws() -> None:
    found = problems_of(changed(lambda v: v["gpuPool"].update(fabric="infiniband")))
    assert found[0][0] == "dsr1:gpuPool.fabric"


def test_several_problems_are_reported_together() -> None:
    def edit(v: dict[str, Any]) -> None:
        v["gpuPool"]["nodeCount"] = 1
        v["serving"]["prefill"]["ep"] = 3

    keys = [k for k, _ in problems_of(changed(edit))]
    assert keys == ["dsr1:gpuPool.nodeCount", "dsr1:serving.prefill.ep"]


def test_zones_or_an_existing_network_not_both() -> None:
    network = {"vpcId": "vpc-0123456789abcdef0", "privateSubnetIds": ["subnet-01234567", "subnet-89abcdef"]}
    found = problems_of(changed(lambda v: v["target"].update(network=network)))
    assert found[0][0] == "dsr1:target.availabilityZones" and "not both or neither" in found[0][1]
    load_stack_config(changed(lambda v: v["target"].update(network=network, availabilityZones=None)), REGION)


def test_vpc_cidr_must_hold_the_subnets() -> None:
    found = problems_of(changed(lambda v: v["target"].update(vpcCidr="10.0.0.0/24")))
    assert found[0][0] == "dsr1:target.vpcCidr"


def existing(edit: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """The sglang-8 serving graph on an existing InfiniBand cluster of 8-GPU H200 nodes."""

    def base(v: dict[str, Any]) -> None:
        v["target"] = {"kind": "existing", "kubeconfig": "/tmp/kubeconfig"}
        v["gpuPool"] = {
            "gpusPerNode": 8,
            "gpuMemoryGib": 140.4,
            "nodeCount": 2,
            "fabric": "infiniband",
            "rdmaResource": "rdma/ib",
            "rdmaPerNode": 8,
            "fabricCheck": {"minBusBandwidthGbps": 100},
        }
        v["modelCache"] = {"storage": "storage-class", "storageClass": "rwx", "sizeGib": 1200}
        if edit:
            edit(v)

    return changed(base)


def test_existing_cluster_config_is_valid() -> None:
    cfg = load_stack_config(existing(), None)
    assert cfg.gpu_pool.rdma_resource == "rdma/ib"


def test_existing_pool_needs_a_gpu_shape() -> None:
    found = problems_of(existing(lambda v: v["gpuPool"].pop("gpuMemoryGib")), None)
    assert found[0][0] == "dsr1:gpuPool.instanceType" and "gpuPool.gpusPerNode" in found[0][1]


def test_eks_pool_needs_an_instance_type() -> None:
    found = problems_of(changed(lambda v: v["gpuPool"].pop("instanceType")))
    assert found[0][0] == "dsr1:gpuPool.instanceType" and "is required on EKS" in found[0][1]


def test_rdma_fabric_needs_its_resource() -> None:
    found = problems_of(existing(lambda v: v["gpuPool"].pop("rdmaResource")), None)
    assert found[0][0] == "dsr1:gpuPool.rdmaResource"


def test_efa_is_refused_on_an_existing_cluster() -> None:
    found = problems_of(existing(lambda v: v["gpuPool"].update(fabric="efa")), None)
    assert found[0][0] == "dsr1:gpuPool.fabric" and "only on the EKS target" in found[0][1]


def test_capacity_options_are_aws_only() -> None:
    block = {"type": "reservation", "id": "cr-0123456789abcdef0", "instanceCount": 2}
    found = problems_of(existing(lambda v: v["gpuPool"].update(capacity=block)), None)
    assert found[0][0] == "dsr1:gpuPool.capacity.type"


def test_fsx_is_refused_on_an_existing_cluster() -> None:
    found = problems_of(existing(lambda v: v["modelCache"].update(storage="fsx-lustre")), None)
    assert found[0][0] == "dsr1:modelCache.storage"


def test_storage_class_storage_needs_a_class_on_eks() -> None:
    found = problems_of(changed(lambda v: v["modelCache"].update(storage="storage-class")))
    assert found[0][0] == "dsr1:modelCache.storageClass" and "not ReadWriteMany" in found[0][1]


def test_an_existing_cluster_may_use_its_default_class() -> None:
    cfg = load_stack_config(existing(lambda v: v["modelCache"].pop("storageClass")), None)
    assert cfg.model_cache.storage_class is None


def test_on_demand_capacity_takes_no_id() -> None:
    found = problems_of(changed(lambda v: v["gpuPool"].update(capacity={"id": "cr-0123456789abcdef0"})))
    assert found[0][0] == "dsr1:gpuPool.capacity.id"


def test_reserved_capacity_needs_its_zone() -> None:
    block = {k: v for k, v in BLOCK.items() if k != "availabilityZone"}
    found = problems_of(changed(lambda v: v["gpuPool"].update(capacity=block)))
    assert [k for k, _ in found] == ["dsr1:gpuPool.capacity.availabilityZone"]
    assert "describe-capacity-reservations" in found[0][1]


def test_a_capacity_block_may_leave_its_times_to_the_preflight() -> None:
    # EC2 reports a block's StartDate and EndDate (DescribeCapacityReservations): the file needs no dates.
    block = {k: v for k, v in BLOCK.items() if k != "endTime"}
    cfg = load_stack_config(changed(lambda v: v["gpuPool"].update(capacity=block)), REGION)
    assert cfg.gpu_pool.capacity.end_time is None and cfg.gpu_pool.capacity.start_time is None


def test_a_block_that_ends_before_it_starts_is_refused() -> None:
    block = {**BLOCK, "startTime": "2026-07-01T11:30:00Z"}
    found = problems_of(changed(lambda v: v["gpuPool"].update(capacity=block)))
    assert [k for k, _ in found] == ["dsr1:gpuPool.capacity.endTime"]
    assert "is not after startTime" in found[0][1]


def test_a_start_time_belongs_to_a_capacity_block() -> None:
    reservation = {**BLOCK, "type": "reservation", "startTime": "2026-06-30T11:30:00Z"}
    found = problems_of(changed(lambda v: v["gpuPool"].update(capacity=reservation)))
    assert [k for k, _ in found] == ["dsr1:gpuPool.capacity.startTime"]


def test_an_end_time_needs_a_time_zone() -> None:
    block = {**BLOCK, "endTime": "2026-07-01T11:30:00"}
    found = problems_of(changed(lambda v: v["gpuPool"].update(capacity=block)))
    assert found[0][0] == "dsr1:gpuPool.capacity.endTime"


def test_the_capacity_zone_must_be_one_of_the_targets() -> None:
    block = {**BLOCK, "availabilityZone": "us-east-1d"}
    found = problems_of(changed(lambda v: v["gpuPool"].update(capacity=block)))
    assert [k for k, _ in found] == ["dsr1:gpuPool.capacity.availabilityZone"]
    assert "not one of the target's zones" in found[0][1]


def test_a_reservation_may_leave_out_its_end_time() -> None:
    reservation = {**BLOCK, "type": "reservation"}
    reservation.pop("endTime")
    cfg = load_stack_config(changed(lambda v: v["gpuPool"].update(capacity=reservation)), REGION)
    assert cfg.gpu_pool.capacity.end_time is None


@pytest.mark.parametrize("name", ["a" * 63, "a" * 49])
def test_graph_names_whose_derived_names_break_are_refused_once(name: str) -> None:
    (problem,) = problems_of(changed(lambda v: v["serving"].update(graphName=name)))
    assert problem[0] == "dsr1:serving.graphName" and "at most 48 characters" in problem[1]


def test_a_graph_name_starting_with_a_digit_is_refused_as_a_service_name() -> None:
    (problem,) = problems_of(changed(lambda v: v["serving"].update(graphName="1-sglang")))
    assert problem[0] == "dsr1:serving.graphName" and "DNS-1035" in problem[1]


def test_a_benchmark_job_name_counts_too() -> None:
    def edit(v: dict[str, Any]) -> None:
        v["serving"].update(graphName="a" * 45, benchmark={"enabled": True, "inputLength": 1000, "outputLength": 1000})

    (problem,) = problems_of(changed(edit))
    assert "-bench-1000-1000-64" in problem[1]


def test_a_cluster_name_too_long_for_the_staging_bucket_prefix_is_refused() -> None:
    def edit(v: dict[str, Any]) -> None:
        v["target"]["clusterName"] = "c" * 30
        v["modelCache"]["s3Staging"] = {}

    (problem,) = problems_of(changed(edit))
    assert problem[0] == "dsr1:target.clusterName" and "at most 28" in problem[1]


def test_a_local_zone_belongs_to_the_capacity_not_the_control_plane() -> None:
    def in_zones(v: dict[str, Any]) -> None:
        v["target"]["availabilityZones"] = ["us-east-1a", "us-east-1-dfw-2a"]

    (problem,) = problems_of(changed(in_zones))
    assert problem[0] == "dsr1:target.availabilityZones" and "Local Zone" in problem[1]

    def with_network(v: dict[str, Any]) -> None:
        del v["target"]["availabilityZones"]
        v["target"]["network"] = {
            "vpcId": "vpc-0123456789abcdef0",
            "privateSubnetIds": ["subnet-01234567", "subnet-89abcdef"],
        }
        v["gpuPool"]["capacity"] = {**BLOCK, "availabilityZone": "us-east-1-dfw-2a"}

    (problem,) = problems_of(changed(with_network))
    assert problem[0] == "dsr1:gpuPool.capacity.availabilityZone" and "target.availabilityZones" in problem[1]


def test_scale_to_zero_is_eks_only() -> None:
    values = stack_values("dev")
    values["gpuPool"]["scaleToZero"] = True
    (problem,) = problems_of(values)
    assert problem[0] == "dsr1:gpuPool.scaleToZero"
