"""A test per documented default of the config tree."""

from config import versions
from config.schema import Capacity, Dynamo, GpuPool, Serving, SystemNodes, Worker
from program.config_source import load_stack_config
from tests.support import stack_values


def test_worker_defaults() -> None:
    w = Worker(tp=8, mem_fraction_static=0.75)
    assert (w.replicas, w.nodes, w.dp, w.ep, w.enable_dp_attention) == (1, 1, 1, 1, False)
    assert (w.shared_memory, w.working_dir, w.extra_args, w.env) == ("80Gi", None, [], {})
    assert (w.gpus_per_node, w.engine, w.cpu, w.memory) == (None, None, None, None)


def test_backend_working_dirs_are_the_recipes() -> None:
    from specs.backends import BACKENDS

    assert {n: b.working_dir for n, b in BACKENDS.items()} == {
        "sglang": "/workspace",
        "vllm": "/workspace/dynamo",
        "trtllm": "/workspace/components/backends/trtllm",
    }


def test_pool_defaults_to_efa_on_demand() -> None:
    pool = GpuPool(node_count=2)
    assert pool.fabric == "efa" and pool.capacity == Capacity() and pool.capacity.type == "on-demand"
    assert pool.node_labels is None and pool.taints is None


def test_serving_and_platform_defaults() -> None:
    serving = Serving.model_validate({**stack_values("h200-sglang-8")["serving"]})
    assert serving.namespace == "dynamo" and serving.image_tag is None  # the images follow dynamo.version
    assert serving.frontend_replicas == 1
    assert Dynamo().version == versions.DYNAMO_RELEASE == versions.DYNAMO_PLATFORM.version == "1.6.1"
    assert Dynamo().deployed_version is None  # a new stack
    assert Dynamo().namespace == "dynamo-system"


def test_eks_target_defaults() -> None:
    cfg = load_stack_config(stack_values("h200-sglang-8"), "us-east-1")
    assert cfg.target.kind == "eks"
    assert cfg.target.kubernetes_version == versions.EKS_KUBERNETES_VERSION
    assert cfg.target.vpc_cidr == "10.40.0.0/16"
    assert cfg.target.system_nodes == SystemNodes() and SystemNodes().count == 2
    assert cfg.model_cache.fsx_throughput_per_tib is None and cfg.model_cache.size_gib is None  # derived
    assert cfg.model_cache.target_read_minutes == 15 and cfg.model_cache.s3_staging is None
