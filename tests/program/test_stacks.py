"""What each stack promises beyond recipe parity: hardware, purchase, gang scheduling, no cloud for dev."""

import json
from collections.abc import Callable

import pytest

from config.errors import ConfigError
from offline.report import inputs, manifests
from offline.run import Run
from tests.support import ROOT, closure, render, stack_config, stack_values, stacks


def releases(run: Run) -> dict[str, dict[str, object]]:
    return {str(inputs(r)["name"]): inputs(r) for r in run.registrations if r.type == "kubernetes:helm.sh/v3:Release"}


def test_every_stack_file_says_what_it_runs() -> None:
    """Stacks are discovered from Pulumi.<stack>.yaml (never listed by hand); each file opens with a comment."""
    assert stacks() and "" not in stacks()
    for stack in stacks():
        assert (ROOT / f"Pulumi.{stack}.yaml").read_text().startswith("# "), stack


@pytest.mark.parametrize(
    ("stack", "gpus", "nodes"),
    [("h200-sglang-8", 16, 2), ("h200-sglang-16", 32, 4), ("h200-vllm-16", 32, 4), ("gb200", 36, 9), ("dev", 2, 2)],
)
def test_gpus_and_nodes(stack: str, gpus: int, nodes: int, rendered: Callable[[str], Run]) -> None:
    out = rendered(stack).outputs
    assert (out["gpus"], out["gpuNodes"]) == (gpus, nodes)


@pytest.mark.parametrize("stack", stacks())
def test_multinode_stacks_install_grove_and_kai_and_say_so(stack: str, rendered: Callable[[str], Run]) -> None:
    """A worker over more than one node needs a gang scheduler; a stack of single-node workers installs none."""
    serving = stack_config(stack).serving
    multinode = any(w.nodes > 1 for w in (serving.prefill, serving.decode))
    run = rendered(stack)
    values = releases(run)["dynamo-platform"]["values"]
    assert isinstance(values, dict)
    installs = (values["global"]["grove"]["install"], values["global"]["kai-scheduler"]["install"])
    assert installs == (multinode, multinode)
    assert (run.outputs["gangScheduling"] == "grove+kai-scheduler") == multinode
    assert run.outputs["gangScheduling"].startswith("none") != multinode


def test_both_kinds_of_stack_exist() -> None:
    """The property test above is not vacuous: some stacks have multi-node workers and some do not."""
    kinds = {any(w.nodes > 1 for w in (c.serving.prefill, c.serving.decode)) for c in map(stack_config, stacks())}
    assert kinds == {True, False}


def test_dev_creates_no_cloud_resources(rendered: Callable[[str], Run]) -> None:
    run = rendered("dev")
    assert [r.type for r in run.registrations if r.type.startswith("aws:")] == []
    assert not any(r.type == "dsr1:index:EksCluster" for r in run.registrations)
    (claim,) = [m for m in manifests(run) if m["kind"] == "PersistentVolumeClaim"]
    assert "storageClassName" not in claim["spec"]  # the cluster's default class


def test_dev_installs_nothing_cluster_wide_but_the_platform(rendered: Callable[[str], Run]) -> None:
    """And the metrics pipeline's in-cluster stack, unless the cluster's own Prometheus Operator is used."""
    assert set(releases(rendered("dev"))) == {"dynamo-platform", "kube-prometheus-stack"}
    existing = render("dev", 'observability={"prometheus": "existing"}')
    assert set(releases(existing)) == {"dynamo-platform"}


def test_gb200_nodes_are_arm64_in_a_capacity_block(rendered: Callable[[str], Run]) -> None:
    run = rendered("gb200")
    (ng,) = [inputs(r) for r in run.registrations if r.type == "aws:eks/nodeGroup:NodeGroup" and r.name == "gpu-nodes"]
    assert ng["amiType"] == "AL2023_ARM_64_NVIDIA" and "instanceTypes" not in ng
    assert ng["capacityType"] == "CAPACITY_BLOCK"
    # EKS "Create a managed node group with Capacity Blocks": the instance type is in the launch template.
    (lt,) = [
        inputs(r) for r in run.registrations if r.type == "aws:ec2/launchTemplate:LaunchTemplate" and r.name == "gpu-lt"
    ]
    assert lt["instanceType"] == "p6e-gb200.36xlarge" and lt["instanceMarketOptions"]["marketType"] == "capacity-block"
    assert not any(r.type == "aws:ec2/placementGroup:PlacementGroup" for r in run.registrations)


def test_gb200_installs_the_dra_driver_for_compute_domains(rendered: Callable[[str], Run]) -> None:
    dra = releases(rendered("gb200"))["nvidia-dra-driver-gpu"]
    assert dra["version"]
    values = dra["values"]
    assert isinstance(values, dict)
    assert values["resources"] == {"gpus": {"enabled": False}, "computeDomains": {"enabled": True}}
    assert "nvidia-dra-driver-gpu" not in releases(rendered("h200-sglang-8"))


def test_gb200_refuses_to_render_without_a_capacity_block_id() -> None:
    pool = stack_values("gb200")["gpuPool"]
    pool["capacity"] = {"type": "on-demand"}
    with pytest.raises(ConfigError) as e:
        render("gb200", f"gpuPool={json.dumps(pool)}")
    assert [p.key for p in e.value.problems] == ["dsr1:gpuPool.capacity.type"]


def test_gb200_refuses_a_partial_ultraserver() -> None:
    pool = stack_values("gb200")["gpuPool"]
    pool["nodeCount"] = 8
    with pytest.raises(ConfigError) as e:
        render("gb200", f"gpuPool={json.dumps(pool)}")
    assert "dsr1:gpuPool.nodeCount" in [p.key for p in e.value.problems]
    assert "not a whole UltraServer" in str(e.value)


@pytest.mark.parametrize("stack", stacks())
def test_upstream_flaws_are_absent(stack: str, rendered: Callable[[str], Run]) -> None:
    docs = manifests(rendered(stack))
    jobs = [
        m
        for m in docs
        if m["kind"] == "Job" and m["metadata"]["labels"].get("app.kubernetes.io/name") == "model-download"
    ]
    assert jobs, stack  # every stack downloads the weights: the checks below are not over an empty list
    assert all(j["metadata"]["name"] != "model-download" for j in jobs)
    for job in jobs:
        pod = job["spec"]["template"]["spec"]
        assert any("secret" in v for v in pod["volumes"])  # the token reaches every download
        assert not pod["containers"][0]["image"].endswith(":latest")
    claims = [m for m in docs if m["kind"] == "PersistentVolumeClaim"]
    assert claims, stack  # every stack claims its model cache
    for claim in claims:
        assert claim["spec"].get("storageClassName") != "your-storage-class-name"
    text = json.dumps(docs)
    assert "my-registry" not in text and "my-tag" not in text and ":latest" not in text


def test_gb200_compute_domain_and_graph_wait_for_the_dra_driver(rendered: Callable[[str], Run]) -> None:
    run = rendered("gb200")
    (dra,) = [r for r in run.registrations if r.name == "cluster-dra-driver"]
    for kind in ("ComputeDomain", "DynamoGraphDeployment"):
        (resource,) = [r for r in run.registrations if r.type.endswith(f":{kind}")]
        assert dra.urn in closure(run, resource), kind


def test_graph_waits_for_the_device_plugins(rendered: Callable[[str], Run]) -> None:
    run = rendered("h200-vllm-16")
    (dgd,) = [r for r in run.registrations if r.type.endswith(":DynamoGraphDeployment")]
    plugins = [r.urn for r in run.registrations if r.name.endswith("device-plugin")]
    assert len(plugins) == 2 and set(plugins) <= closure(run, dgd)
