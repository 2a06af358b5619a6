"""The generated graph against the upstream recipe: every difference is a documented deviation, and no more."""

import copy
from typing import Any

import yaml

from components.deviations import applicable
from offline.report import manifests
from offline.run import Run
from tests.parity import differences, flags, unexplained, unused
from tests.support import RECIPES, require_reference


def recipe(path: str) -> dict[str, Any]:
    (doc,) = [d for d in yaml.safe_load_all(require_reference(RECIPES / path).read_text()) if d]
    return dict(doc)


def graph(run: Run) -> dict[str, Any]:
    (dgd,) = [m for m in manifests(run) if m["kind"] == "DynamoGraphDeployment"]
    return copy.deepcopy(dgd)


def test_sglang_8_matches_its_recipe_but_for_documented_deviations(sglang8: Run) -> None:
    diffs = differences(graph(sglang8), recipe("sglang/disagg-8gpu/deploy.yaml"))
    deviations = applicable("efa")
    assert unexplained(diffs, deviations) == []
    assert unused(diffs, deviations) == []  # a deviation that no longer applies must leave the list


def test_sglang_8_worker_flags_carry_the_recipes_values(sglang8: Run) -> None:
    ours, theirs = graph(sglang8), recipe("sglang/disagg-8gpu/deploy.yaml")
    for role in ("prefill", "decode"):
        mine = flags(ours["spec"]["services"][role]["extraPodSpec"]["mainContainer"]["args"])
        upstream = flags(theirs["spec"]["services"][role]["extraPodSpec"]["mainContainer"]["args"])
        for flag, value in upstream.items():
            if flag != "--model-path":
                assert mine[flag] == value, (role, flag)


def test_a_changed_flag_is_caught(sglang8: Run) -> None:
    changed = graph(sglang8)
    args = changed["spec"]["services"]["decode"]["extraPodSpec"]["mainContainer"]["args"]
    args[args.index("--mem-fraction-static") + 1] = "0.8"
    diffs = differences(changed, recipe("sglang/disagg-8gpu/deploy.yaml"))
    assert unexplained(diffs, applicable("efa")) == ["spec.services.decode.args.--mem-fraction-static"]


def test_a_dropped_flag_and_a_changed_gpu_count_are_caught(sglang8: Run) -> None:
    changed = graph(sglang8)
    prefill = changed["spec"]["services"]["prefill"]
    prefill["extraPodSpec"]["mainContainer"]["args"].remove("--trust-remote-code")
    prefill["resources"]["limits"]["gpu"] = "4"
    prefill["sharedMemory"]["size"] = "40Gi"
    diffs = differences(changed, recipe("sglang/disagg-8gpu/deploy.yaml"))
    assert unexplained(diffs, applicable("efa")) == [
        "spec.services.prefill.args.--trust-remote-code",
        "spec.services.prefill.resources.limits.gpu",
        "spec.services.prefill.sharedMemory.size",
    ]
