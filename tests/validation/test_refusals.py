"""Values a cluster or AWS would refuse (validation/refusals.py), one message each; each test fails without its rule."""

from collections.abc import Callable
from typing import Any

import pytest

from config.errors import ConfigError
from program.config_source import load_stack_config
from tests.support import stack_values

STACK = "h200-sglang-8"


def messages(edit: Callable[[dict[str, Any]], None], region: str = "us-east-1") -> list[str]:
    values = stack_values(STACK)
    edit(values)
    with pytest.raises(ConfigError) as e:
        load_stack_config(values, region)
    return [str(p) for p in e.value.problems]


def test_the_stack_itself_passes() -> None:
    load_stack_config(stack_values(STACK), "us-east-1")


@pytest.mark.parametrize("ns", ["default", "kube-system", "kube-public", "kube-node-lease"])
@pytest.mark.parametrize("where", [("serving", "namespace"), ("dynamo", "namespace")])
def test_a_namespace_the_cluster_runs_on_is_refused(ns: str, where: tuple[str, str]) -> None:
    def edit(v: dict[str, Any]) -> None:
        v.setdefault(where[0], {})[where[1]] = ns

    assert messages(edit) == [
        f"dsr1:{where[0]}.namespace: {ns!r} is a namespace the cluster itself runs on; the stack would own it and deny"
        " traffic in it. Fix: use a namespace of its own, such as 'dynamo' (graph) or 'dynamo-system' (platform)."
    ]


def test_the_graph_in_the_platform_namespace_is_refused() -> None:
    found = messages(lambda v: v["serving"].update(namespace="dynamo-system"))
    assert len(found) == 1 and found[0].startswith("dsr1:serving.namespace: 'dynamo-system' is the Dynamo platform's")


def test_duplicate_taints_are_refused_by_key_and_effect() -> None:
    taints = [
        {"key": "nvidia.com/gpu", "effect": "NoSchedule"},
        {"key": "nvidia.com/gpu", "value": "x", "effect": "NoSchedule"},
    ]
    found = messages(lambda v: v["gpuPool"].update(taints=taints))
    assert found == [
        "dsr1:gpuPool.taints[1]: repeats taint 0 (nvidia.com/gpu:NoSchedule); Kubernetes refuses a node whose taints"
        " repeat a key and effect. Fix: remove one of them (a key may appear once per effect)."
    ]


def test_one_key_with_two_effects_is_allowed() -> None:
    values = stack_values(STACK)
    values["gpuPool"]["taints"] = [
        {"key": "nvidia.com/gpu", "effect": "NoSchedule"},
        {"key": "nvidia.com/gpu", "effect": "NoExecute"},
    ]
    load_stack_config(values, "us-east-1")


def test_a_zone_listed_twice_is_refused() -> None:
    found = messages(lambda v: v["target"].update(availabilityZones=["us-east-1a", "us-east-1a"]))
    assert found == [
        "dsr1:target.availabilityZones: lists us-east-1a more than once; each zone gets one subnet. Fix: list each"
        " zone once (two different zones at least)."
    ]


@pytest.mark.parametrize(
    ("edit", "name", "zone"),
    [
        (lambda v: v["target"].update(availabilityZones=["us-east-1a", "us-east-1y"]), "target.availabilityZones", "y"),
        (lambda v: v["target"].update(availabilityZones=["us-east-1a", "us-east-1g"]), "target.availabilityZones", "g"),
        (
            lambda v: v["gpuPool"].update(capacity={"availabilityZone": "us-east-1z"}),
            "gpuPool.capacity.availabilityZone",
            "z",
        ),
    ],
)
def test_a_zone_that_cannot_exist_in_the_region_is_refused(
    edit: Callable[[dict[str, Any]], None], name: str, zone: str
) -> None:
    found = [m for m in messages(edit) if m.startswith(f"dsr1:{name}: us-east-1{zone} cannot be")]
    assert found, messages(edit)


def test_every_zone_letter_a_to_f_is_allowed() -> None:
    values = stack_values(STACK)
    values["target"]["availabilityZones"] = ["us-east-1e", "us-east-1f"]
    load_stack_config(values, "us-east-1")


TOKEN = "hf_" + "Q" * 34


@pytest.mark.parametrize(
    ("edit", "name"),
    [
        (lambda v: v["serving"].setdefault("env", {}).update(X=TOKEN), "serving.env.X"),
        (lambda v: v["serving"]["decode"].update(extraArgs=["--x", f"--token={TOKEN}"]), "serving.decode.extraArgs[1]"),
        (lambda v: v["serving"].update(graphName=TOKEN), "serving.graphName"),
    ],
)
def test_a_token_anywhere_but_hf_token_is_refused(edit: Callable[[dict[str, Any]], None], name: str) -> None:
    found = messages(edit)
    assert f"dsr1:{name}: holds what looks like a Hugging Face token, in plain text" in found[0]
    assert TOKEN not in "".join(found)


@pytest.mark.parametrize("var", ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "hf_token"])
def test_a_token_variable_in_a_serving_env_is_refused(var: str) -> None:
    found = messages(lambda v: v["serving"]["prefill"].setdefault("env", {}).update({var: "anything"}))
    assert found == [
        f"dsr1:serving.prefill.env.{var}: passes the Hugging Face token to the serving pods in plain text; they read"
        " the weights from the cache and need no token. Fix: remove it; the download Job alone gets the token, from"
        " hfToken as a Kubernetes Secret."
    ]


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_where_a_number_belongs_is_refused(value: bool) -> None:
    """pydantic's lax mode would read `nodeCount: true` as 1."""
    found = messages(lambda v: v["gpuPool"].update(nodeCount=value))
    assert found == [
        f"dsr1:gpuPool: nodeCount is {str(value).lower()}, a boolean where a number belongs. Fix: write the number."
    ]


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "1", "True"])
def test_a_boolean_is_true_or_false_only(word: str) -> None:
    found = messages(lambda v: v["modelCache"].update(deletable=word))
    assert len(found) == 1 and found[0].startswith(f"dsr1:modelCache.deletable: {word!r} is not a boolean"), found
