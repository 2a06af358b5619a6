"""Scale limits: a stack too large for EKS or its subnet is refused or warned about, with the limit it breaks."""

import json
from typing import Any

import pytest

from config.errors import ConfigError
from offline.mocks import SERVICE_QUOTA
from program.config_source import load_stack_config
from tests.support import render, stack_values
from validation import limits

REGION = "us-east-1"


def sized(nodes: int) -> dict[str, Any]:
    values = stack_values("h200-sglang-8")
    values["gpuPool"]["nodeCount"] = nodes
    return values


def test_a_2048_node_stack_is_refused_with_the_subnet_it_overflows() -> None:
    with pytest.raises(ConfigError) as e:
        load_stack_config(sized(2048), REGION)
    (problem,) = e.value.problems
    assert problem.key == "dsr1:gpuPool.nodeCount"
    assert "need at least 4100 addresses" in problem.message and "a /20 with 4091 usable" in problem.message
    assert "at most 2043 GPU nodes" in problem.fix


def test_more_nodes_than_a_managed_node_group_holds_is_warned_with_the_quota_and_cost() -> None:
    cfg = load_stack_config(sized(500), REGION)
    quota, addresses = limits.warnings(cfg)
    assert "default quota of 450 nodes per managed node group" in quota and "~$31,648/h" in quota
    assert "25100 in all, more than the GPU subnet's 4091" in addresses
    assert limits.warnings(load_stack_config(sized(2), REGION)) == []


def test_warnings_reach_the_outputs_and_the_summary() -> None:
    pool = {**stack_values("h200-sglang-8")["gpuPool"], "nodeCount": 451}
    run = render("h200-sglang-8", f"gpuPool={json.dumps(pool)}")
    assert any("451 nodes" in w for w in run.outputs["warnings"])


def test_pods_per_node_are_bounded() -> None:
    cfg = load_stack_config(stack_values("h200-sglang-8"), REGION)
    crowded = cfg.model_copy(
        update={
            "serving": cfg.serving.model_copy(
                update={"prefill": cfg.serving.prefill.model_copy(update={"replicas": 300})}
            )
        }
    )
    (problem,) = list(limits.problems(crowded))
    assert "exceed Kubernetes' 110 pods per node" in problem.message


def test_the_p_instance_vcpu_quota_is_checked_before_anything_is_created() -> None:
    with pytest.raises(ConfigError) as e:
        render("h200-sglang-8", invokes={SERVICE_QUOTA: {"value": 192.0}})
    (problem,) = e.value.problems
    assert "need 384 vCPUs of on-demand P instances" in problem.message and "is 192" in problem.message
    assert "--quota-code L-417A185B --desired-value 384" in problem.fix


def test_an_unreadable_quota_does_not_block() -> None:
    run = render("h200-sglang-8", invokes={SERVICE_QUOTA: RuntimeError("AccessDenied")})
    assert run.outputs["gpus"] == 16
