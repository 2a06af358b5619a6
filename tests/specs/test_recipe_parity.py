"""Each recipe stack's graph against its upstream recipe: every difference is a documented deviation, and no more."""

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from config.deviations import Deviation, applicable
from config.engine_flags import stack_release
from offline.report import manifests
from offline.run import Run
from program.config_source import load_stack_config
from tests.conftest import RENDER_TOKEN
from tests.parity import differences, flags, unexplained, unused
from tests.support import RECIPES, recipe_of, recipe_stacks, render, require_reference, stack_config, stack_values
from tests.validation.test_engine_flags import pin

RECIPE_OF = {s: recipe for s in recipe_stacks() if (recipe := recipe_of(s)) is not None}
"""Found from the stack files' `# Upstream:` comments, never a hard-coded list."""
BACKEND_OF = {s: stack_config(s).serving.backend for s in RECIPE_OF}


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


def release_of(stack: str) -> str:
    return stack_release(load_stack_config(stack_values(stack), "us-east-1"))


def deviations(stack: str, release: str | None = None) -> tuple[Deviation, ...]:
    """The deviations that apply to the stack's fabric, backend and release, read from its config."""
    cfg = stack_config(stack)
    return applicable(cfg.gpu_pool.fabric, cfg.serving.backend, release or release_of(stack))


def engine_configs(run: Run) -> dict[str, Any]:
    """gb200's engine YAMLs by role, flattened (`engine.decode.moe_config.backend`) as deviations name them."""
    return {
        f"engine.{m['metadata']['name'].rsplit('-', 2)[-2]}": yaml.safe_load(next(iter(m["data"].values())))
        for m in manifests(run)
        if m["kind"] == "ConfigMap" and m["metadata"]["name"].endswith("-engine")
    }


def recipe_engine_configs() -> dict[str, Any]:
    return {
        f"engine.{d['metadata']['name'].split('-')[0]}": yaml.safe_load(next(iter(d["data"].values())))
        for d in recipe_docs("gb200")
        if d["kind"] == "ConfigMap"
    }


def flat(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in flat(item, f"{path}.{key}" if path else key).items()}
    return {path: value}


def engine_differences(run: Run) -> dict[str, Any]:
    ours, theirs = flat(engine_configs(run)), flat(recipe_engine_configs())
    return {
        p: (ours.get(p), theirs.get(p)) for p in sorted(ours.keys() | theirs.keys()) if ours.get(p) != theirs.get(p)
    }


def all_differences(run: Run, stack: str) -> dict[str, Any]:
    """The graph's differences and, for TRT-LLM, its engine configs' (`engine.<role>.<key>`)."""
    engines = engine_differences(run) if BACKEND_OF[stack] == "trtllm" else {}
    return {**differences(graph(run), recipe_graph(stack)), **engines}


UPGRADED = "1.6.1"
"""The release the upgrade moves to (issue 20): its engines dropped what some recipes pass."""


def upgraded(stack: str) -> Run:
    """The stack on UPGRADED (its stack file already leaves out what that release's engines refuse)."""
    pinned: dict[str, Any] = {"serving": {}}
    pin(pinned, UPGRADED)  # dynamo.version or serving.imageTag, whichever the config has
    overrides = [f"hfToken={RENDER_TOKEN}", *(f"{s}.{k}={v}" for s, keys in pinned.items() for k, v in keys.items())]
    return render(stack, *overrides)


def test_recipe_stacks_are_found_from_their_files() -> None:
    """Parity must not pass by finding no stack: the recipe stacks' files name their recipe."""
    assert recipe_stacks() and all(stack_config(s).target.kind == "eks" for s in recipe_stacks())


@pytest.mark.parametrize("stack", recipe_stacks())
def test_graph_matches_its_recipe_but_for_documented_deviations(stack: str, rendered: Callable[[str], Run]) -> None:
    diffs = all_differences(rendered(stack), stack)
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
            if flag != "--model-path" and unexplained({f"spec.services.{role}.args.{flag}": 0}, deviations(stack)):
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
    run = rendered("gb200")
    assert set(engine_configs(run)) == set(recipe_engine_configs()) == {"engine.prefill", "engine.decode"}
    diffs = engine_differences(run)
    assert unexplained(diffs, deviations("gb200")) == []
    assert unused(diffs, tuple(d for d in deviations("gb200") if d.paths[0].startswith("engine."))) == []


@pytest.mark.parametrize("stack", sorted(RECIPE_OF))
def test_on_the_upgraded_release_the_graph_matches_its_recipe_but_for_its_deviations(stack: str) -> None:
    """4/4 on the release the upgrade moves to: the engines' dropped values are that release's deviations."""
    run = upgraded(stack)
    mine = tuple(d for d in deviations(stack, UPGRADED) if d.id != "dynamo-release")  # images: filtered below
    diffs = all_differences(run, stack)
    # The recipe pins its own release's images; moving the images is the release's change, not an engine's.
    diffs = {p: d for p, d in diffs.items() if not p.endswith(".mainContainer.image")}
    assert unexplained(diffs, mine) == []
    assert unused(diffs, mine) == []


def test_a_deviation_can_be_one_releases_only() -> None:
    d = Deviation("x", "what", "why", ("spec.x",), releases=frozenset({"1.6.1"}))
    assert d.applies("efa", "sglang", "1.6.1") and not d.applies("efa", "sglang", "1.3.0")
    assert Deviation("y", "what", "why", ("spec.y",)).applies("efa", "sglang", "1.3.0")


def test_gb200_compute_domain_spans_every_worker_node(rendered: Callable[[str], Run]) -> None:
    (ours,) = [m for m in manifests(rendered("gb200")) if m["kind"] == "ComputeDomain"]
    (theirs,) = [d for d in recipe_docs("gb200") if d["kind"] == "ComputeDomain"]
    assert ours["apiVersion"] == theirs["apiVersion"] == "resource.nvidia.com/v1beta1"
    assert ours["spec"]["numNodes"] == theirs["spec"]["numNodes"] == 9
    channel = ours["spec"]["channel"]["resourceClaimTemplate"]["name"]
    for role in ("prefill", "decode"):
        claims = graph(rendered("gb200"))["spec"]["services"][role]["extraPodSpec"]["resourceClaims"]
        assert claims == [{"name": "compute-domain-channel", "resourceClaimTemplateName": channel}]
