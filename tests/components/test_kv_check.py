"""The fabric check's KV path: a NIXL transfer between two GPU nodes in the graph's own worker pod (image, security
context, fabric devices and env), after the all-reduce and before the graph."""

from collections.abc import Callable
from typing import Any

import pytest

from offline.report import inputs
from offline.run import Run
from specs import fabric_check_spec
from specs.fabric_check_spec import FabricCheckSpec
from specs.in_pod_files import in_pod_file
from specs.scheduling import EFA_RESOURCE
from tests.components.test_fabric_check import infiniband_dev
from tests.support import closure, eks_stacks, render

EKS = eks_stacks()


def registration(run: Run, name: str) -> Any:
    (found,) = [r for r in run.registrations if r.name == name]
    return found


def decode_worker(run: Run) -> dict[str, Any]:
    dgd = inputs(next(r for r in run.registrations if r.type.endswith(":DynamoGraphDeployment")))
    return dict(dgd["spec"]["services"]["decode"])


def kv_pod(run: Run) -> dict[str, Any]:
    return dict(inputs(registration(run, "fabric-check-kv-job"))["spec"]["template"]["spec"])


@pytest.mark.parametrize("stack", EKS)
def test_each_eks_stack_runs_a_nixl_libfabric_transfer_in_the_workers_own_pod(
    stack: str, rendered: Callable[[str], Run]
) -> None:
    run = rendered(stack)
    pod, worker = kv_pod(run), decode_worker(run)
    (c,) = pod["containers"]
    main = worker["extraPodSpec"]["mainContainer"]
    assert c["image"] == main["image"]  # the graph's image selection, whatever it picks (`-efa` on EFA pools)
    assert c["securityContext"] == main["securityContext"]
    assert pod["securityContext"] == worker["extraPodSpec"]["securityContext"]
    assert c["command"][:2] == ["python3", "/fabric-check/nixl_check.py"]
    assert c["command"][c["command"].index("--backend") + 1] == "LIBFABRIC"
    assert c["command"][c["command"].index("--peer") + 1] == "fabric-check-kv-0.fabric-check"
    efa = worker["resources"]["limits"]["custom"][EFA_RESOURCE]
    assert c["resources"]["limits"][EFA_RESOURCE] == efa and c["resources"]["limits"]["nvidia.com/gpu"] == "1"
    env = {e["name"]: e["value"] for e in c["env"]}
    assert env == {e["name"]: e["value"] for e in worker["envs"]} and env["FI_PROVIDER"] == "efa"
    assert pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]  # two nodes
    # GPU memory, the KV's own, but on GB200, whose KV stays on NVLink and whose libfabric cannot register it
    nvlink_domain = "resourceClaims" in worker["extraPodSpec"]  # the workers claim an IMEX channel
    assert c["command"][c["command"].index("--memory") + 1] == ("dram" if nvlink_domain else "auto")
    job = inputs(registration(run, "fabric-check-kv-job"))["spec"]
    assert (job["completions"], job["parallelism"], job["completionMode"]) == (2, 2, "Indexed")


@pytest.mark.parametrize("stack", EKS)
def test_it_runs_after_the_all_reduce_and_before_the_graph(stack: str, rendered: Callable[[str], Run]) -> None:
    run = rendered(stack)
    kv, nccl = registration(run, "fabric-check-kv-job"), registration(run, "fabric-check-job")
    assert nccl.urn in closure(run, kv)  # the all-reduce holds every GPU; the KV pods wait for it to finish
    (dgd,) = [r for r in run.registrations if r.type.endswith(":DynamoGraphDeployment")]
    assert kv.urn in closure(run, dgd)


def test_its_pods_are_under_the_checks_service_and_network_policy(rendered: Callable[[str], Run]) -> None:
    run = rendered("h200-sglang-8")
    labels = inputs(registration(run, "fabric-check-kv-job"))["spec"]["template"]["metadata"]["labels"]
    service = inputs(registration(run, "fabric-check-peers"))["spec"]["selector"]
    policy = inputs(registration(run, "fabric-check-network-policy"))["spec"]["podSelector"]["matchLabels"]
    assert service.items() <= labels.items() and policy.items() <= labels.items()
    assert kv_pod(run)["subdomain"] == inputs(registration(run, "fabric-check-peers"))["metadata"]["name"]


def test_the_script_shipped_is_the_tested_one(rendered: Callable[[str], Run]) -> None:
    data = inputs(registration(rendered("gb200"), "fabric-check-scripts"))["data"]
    assert data["nixl_check.py"] == in_pod_file("nixl_check.py").read_text(encoding="utf-8")


def test_an_infiniband_cluster_transfers_over_ucx() -> None:
    run = render("dev", infiniband_dev(minBusBandwidthGbps=20))
    (c,) = kv_pod(run)["containers"]
    assert c["command"][c["command"].index("--backend") + 1] == "UCX"
    assert "FI_PROVIDER" not in {e["name"] for e in c["env"]}


def test_a_check_without_a_kv_part_ships_and_runs_no_nixl() -> None:
    """A single-node pool has no KV path between nodes: NCCL only (the pool is never read then)."""
    spec = FabricCheckSpec("fabric-check", 1, None, 100.0)  # type: ignore[arg-type]
    assert fabric_check_spec.kv_job(spec, "ns") is None
    assert "nixl_check.py" not in fabric_check_spec.config_map(spec, "ns")["data"]
