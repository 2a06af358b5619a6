"""No Dynamo control-plane pod can schedule onto a GPU node: required system-node affinity, no GPU toleration."""

from collections.abc import Callable
from typing import Any

import pytest

from offline.report import inputs
from offline.run import Run
from tests.support import eks_stacks

SYSTEM_ONLY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "dsr1.io/pool", "operator": "In", "values": ["system"]}]}
            ]
        }
    }
}


def platform_values(run: Run) -> dict[str, Any]:
    (values,) = [
        inputs(r)["values"]
        for r in run.registrations
        if r.type == "kubernetes:helm.sh/v3:Release" and inputs(r)["name"] == "dynamo-platform"
    ]
    return dict(values)


def pod_specs(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Where each control-plane component's scheduling lives in the dynamo-platform 1.3.0 values."""
    specs = {
        "operator": values["dynamo-operator"]["controllerManager"],
        "nats": values["nats"]["podTemplate"]["merge"]["spec"],
        "etcd": values["etcd"],
    }
    if values["global"]["grove"]["install"]:
        specs |= {"grove": values["grove"], "kai-scheduler": values["kai-scheduler"]["global"]}
    return specs


@pytest.mark.parametrize("stack", eks_stacks())  # the stacks that create the system nodes
def test_no_control_plane_pod_can_land_on_a_gpu_node(stack: str, rendered: Callable[[str], Run]) -> None:
    specs = pod_specs(platform_values(rendered(stack)))
    assert {"operator", "nats", "etcd"} <= set(specs)
    for component, spec in specs.items():
        assert spec["affinity"] == SYSTEM_ONLY, component
        assert not any(
            t.get("key") == "nvidia.com/gpu" or (t.get("operator") == "Exists" and "key" not in t)
            for t in spec.get("tolerations", [])
        ), component


def test_multi_node_stacks_pin_grove_and_kai_too(rendered: Callable[[str], Run]) -> None:
    assert {"grove", "kai-scheduler"} <= set(pod_specs(platform_values(rendered("h200-vllm-16"))))


def test_the_system_nodes_carry_the_label_the_affinity_requires(rendered: Callable[[str], Run]) -> None:
    (system,) = [r for r in rendered("gb200").registrations if r.name == "cluster-system-nodes"]
    assert inputs(system)["labels"] == {"dsr1.io/pool": "system"}
    (gpu,) = [r for r in rendered("gb200").registrations if r.name == "gpu-nodes"]
    assert inputs(gpu)["labels"]["dsr1.io/pool"] == "gpu"  # so the system affinity never matches a GPU node
