"""Each recipe stack's graph against its upstream recipe: every difference is a documented deviation, and no more."""

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from config.deviations import Deviation, applicable
from offline.report import manifests
from offline.run import Run
from tests.parity import differences, flags, unexplained, unused
from tests.support import RECIPES, recipe_of, recipe_stacks, require_reference, stack_config


def recipe_docs(stack: str) -> list[dict[str, Any]]:
    recipe = recipe_of(stack)
    assert recipe is not None, f"Pulumi.{stack}.yaml names no `# Upstream: recipes/deepseek-r1/...` recipe"
    text = require_reference(RECIPES / recipe).read_text()
    return [d for d in yaml.safe_load_all(text) if d]


def recipe_graph(stack: str) -> dict[str, Any]:
    (doc,) = [d for d in recipe_docs(stack) if d["kind"] == "DynamoGraphDeployment"]
    return dict(doc)


def graph(run: Run) -> dict[str, Any]:
    (dgd,) = [m for m in manifests(run) if m["kind"] == "DynamoGraphDeployment"]
    return copy.deepcopy(dgd)


def deviations(stack: str) -> tuple[Deviation, ...]:
    """The deviations that apply to the stack's fabric and backend, read from its config."""
    cfg = stack_config(stack)
    return applicable(cfg.gpu_pool.fabric, cfg.serving.backend)


def test_recipe_stacks_are_found_from_their_files() -> None:
    """Parity must not pass by finding no stack: the recipe stacks' files name their recipe."""
    assert recipe_stacks() and all(stack_config(s).target.kind == "eks" for s in recipe_stacks())


@pytest.mark.parametrize("stack", recipe_stacks())
def test_graph_matches_its_recipe_but_for_documented_deviations(stack: str, rendered: Callable[[str], Run]) -> None:
    diffs = differences(graph(rendered(stack)), recipe_graph(stack))
    assert unexplained(diffs, deviations(stack)) == []
    assert unused(diffs, deviations(stack)) == []  # a deviation that no longer applies must leave the list


@pytest.mark.parametrize("stack", [s for s in recipe_stacks() if stack_config(s).serving.backend == "sglang"])
def test_sglang_worker_flags_carry_the_recipes_values(stack: str, rendered: Callable[[str], Run]) -> None:
    ours, theirs = graph(rendered(stack)), recipe_graph(stack)
    for role in ("prefill", "decode"):
        mine = flags(ours["spec"]["services"][role]["extraPodSpec"]["mainContainer"]["args"])
        upstream = flags(theirs["spec"]["services"][role]["extraPodSpec"]["mainContainer"]["args"])
        assert len(upstream) > 5 and "--model-path" in upstream, (role, upstream)  # the recipe's flags were read
        for flag, value in upstream.items():
            if flag != "--model-path":
                assert mine[flag] == value, (role, flag)


def test_a_changed_flag_is_caught(sglang8: Run) -> None:
    changed = graph(sglang8)
    args = changed["spec"]["services"]["decode"]["extraPodSpec"]["mainContainer"]["args"]
    args[args.index("--mem-fraction-static") + 1] = "0.8"
    diffs = differences(changed, recipe_graph("h200-sglang-8"))
    assert unexplained(diffs, deviations("h200-sglang-8")) == ["spec.services.decode.args.--mem-fraction-static"]


def test_a_dropped_flag_and_a_changed_gpu_count_are_caught(sglang8: Run) -> None:
    changed = graph(sglang8)
    prefill = changed["spec"]["services"]["prefill"]
    prefill["extraPodSpec"]["mainContainer"]["args"].remove("--trust-remote-code")
    prefill["resources"]["limits"]["gpu"] = "4"
    prefill["sharedMemory"]["size"] = "40Gi"
    diffs = differences(changed, recipe_graph("h200-sglang-8"))
    assert unexplained(diffs, deviations("h200-sglang-8")) == [
        "spec.services.prefill.args.--trust-remote-code",
        "spec.services.prefill.resources.limits.gpu",
        "spec.services.prefill.sharedMemory.size",
    ]


def test_a_changed_multinode_count_or_env_is_caught(rendered: Callable[[str], Run]) -> None:
    changed = graph(rendered("h200-vllm-16"))
    changed["spec"]["services"]["decode"]["multinode"]["nodeCount"] = 4
    env = changed["spec"]["services"]["prefill"]["extraPodSpec"]["mainContainer"]["env"]
    env[:] = [e for e in env if e["name"] != "VLLM_USE_DEEP_GEMM"]
    diffs = differences(changed, recipe_graph("h200-vllm-16"))
    assert unexplained(diffs, deviations("h200-vllm-16")) == [
        "spec.services.decode.multinode.nodeCount",
        "spec.services.prefill.extraPodSpec.mainContainer.env.VLLM_USE_DEEP_GEMM",
    ]


def test_a_changed_flag_inside_an_sh_c_command_line_is_caught(rendered: Callable[[str], Run]) -> None:
    changed = graph(rendered("gb200"))
    container = changed["spec"]["services"]["decode"]["extraPodSpec"]["mainContainer"]
    container["args"] = [container["args"][0].replace("--disaggregation-mode decode", "--disaggregation-mode prefill")]
    diffs = differences(changed, recipe_graph("gb200"))
    assert unexplained(diffs, deviations("gb200")) == ["spec.services.decode.args.--disaggregation-mode"]


def test_gb200_engine_configs_match_the_recipe_key_for_key(rendered: Callable[[str], Run]) -> None:
    ours = {
        m["metadata"]["name"].rsplit("-", 2)[-2]: yaml.safe_load(next(iter(m["data"].values())))
        for m in manifests(rendered("gb200"))
        if m["kind"] == "ConfigMap" and m["metadata"]["name"].endswith("-engine")
    }
    theirs = {
        d["metadata"]["name"].split("-")[0]: yaml.safe_load(next(iter(d["data"].values())))
        for d in recipe_docs("gb200")
        if d["kind"] == "ConfigMap"
    }
    assert set(ours) == set(theirs) == {"prefill", "decode"}
    assert ours == theirs


def test_gb200_compute_domain_spans_every_worker_node(rendered: Callable[[str], Run]) -> None:
    (ours,) = [m for m in manifests(rendered("gb200")) if m["kind"] == "ComputeDomain"]
    (theirs,) = [d for d in recipe_docs("gb200") if d["kind"] == "ComputeDomain"]
    assert ours["apiVersion"] == theirs["apiVersion"] == "resource.nvidia.com/v1beta1"
    assert ours["spec"]["numNodes"] == theirs["spec"]["numNodes"] == 9
    channel = ours["spec"]["channel"]["resourceClaimTemplate"]["name"]
    for role in ("prefill", "decode"):
        claims = graph(rendered("gb200"))["spec"]["services"][role]["extraPodSpec"]["resourceClaims"]
        assert claims == [{"name": "compute-domain-channel", "resourceClaimTemplateName": channel}]
