"""One Dynamo release per stack: known issues refuse or warn, no mixed releases, upgrades one minor at a time."""

import itertools
import subprocess
import sys
from typing import Any

import pytest

from config import versions
from config.errors import ConfigError
from config.known_issues import KNOWN_ISSUES, REFUSING
from program.config_source import load_stack_config
from specs import dynamo_release
from tests.support import ROOT, stack_values, stacks
from validation import releases

REGION = "us-east-1"


def with_dynamo(stack: str, **dynamo: Any) -> dict[str, Any]:
    values = stack_values(stack)
    values["dynamo"] = {**values.get("dynamo", {}), **dynamo}
    return values


def problems_of(values: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as e:
        load_stack_config(values, REGION)
    return [str(p) for p in e.value.problems]


def test_sglang_over_efa_at_1_3_0_is_refused_citing_the_stall() -> None:
    (problem,) = problems_of(with_dynamo("h200-sglang-8", version="1.3.0"))
    assert problem.startswith("dsr1:dynamo.version: Dynamo 1.3.0 has the upstream known issue")
    assert "SGLang inference over EFA stalls and returns an empty response" in problem
    assert "github.com/ai-dynamo/dynamo/releases/tag/v1.3.1" in problem and "upgrade to 1.4.0" in problem


def test_gb200_at_1_3_0_is_refused_citing_the_wide_ep_decode_crash() -> None:
    (problem,) = problems_of(with_dynamo("gb200", version="1.3.0"))
    assert "TRT-LLM Wide-EP Decode Crashes on All Ranks" in problem and "(crash)" in problem
    assert "upgrade to 1.4.0" in problem and "known-issues" in problem


def test_the_render_cli_refuses_1_3_0_with_exit_2() -> None:
    args = ["--stack", "h200-sglang-8", "--out", "/nonexistent/x", "--config", "dynamo.version=1.3.0"]
    result = subprocess.run(
        [sys.executable, str(ROOT / "render.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "SGLang inference over EFA stalls" in result.stderr


def test_the_stall_hits_gb200_only_before_1_3_1_and_hopper_until_1_4() -> None:
    """v1.3.1 fixed it on GB200 only: the table tells the two apart."""
    cfg = load_stack_config(stack_values("h200-sglang-8"), REGION)
    stall = [i for i in KNOWN_ISSUES if "SGLang inference over EFA stalls" in i.title]
    assert len(stall) == 2
    hopper = [i for i in stall if "h200" in i.platforms]
    assert [releases.affects(i, "1.3.0", cfg) for i in hopper] == [True]
    gb200 = cfg.model_copy(update={"gpu_pool": cfg.gpu_pool.model_copy(update={"instance_type": "p6e-gb200.36xlarge"})})
    assert [i for i in stall if releases.affects(i, "1.3.0", gb200)] and not [
        i for i in stall if releases.affects(i, "1.3.1", gb200)
    ]
    assert [i for i in stall if releases.affects(i, "1.3.1", cfg)]  # H100/P5 remain affected in 1.3.1


def test_without_efa_the_sglang_stall_does_not_apply() -> None:
    cfg = load_stack_config(with_dynamo("dev", version="1.3.0"), REGION)  # fabric none
    assert releases.problems(cfg) == []


@pytest.mark.parametrize("stack", stacks())
def test_every_stack_serves_on_the_default_release(stack: str) -> None:
    cfg = load_stack_config(stack_values(stack), REGION)
    assert cfg.dynamo.version == versions.DYNAMO_RELEASE and releases.problems(cfg) == []


def test_a_degradation_is_a_warning_not_a_refusal() -> None:
    cfg = load_stack_config(stack_values("gb200"), REGION)
    (warning,) = releases.warnings(cfg)
    assert "TRT-LLM Oversized Anthropic Messages Return 500" in str(warning) and "1.6.2" in str(warning)
    assert all(i.effect not in REFUSING for i in KNOWN_ISSUES if "Anthropic" in i.title)


def test_every_known_issue_names_a_source_and_a_valid_range() -> None:
    for issue in KNOWN_ISSUES:
        assert issue.source.startswith("https://"), issue.title
        if issue.fixed_in:
            assert releases._version(issue.fixed_in) > releases._version(issue.introduced), issue.title


def test_a_stack_mixing_releases_is_refused() -> None:
    values = with_dynamo("h200-vllm-16")
    values["serving"]["imageTag"] = "1.3.0"
    (problem,) = problems_of(values)
    assert problem.startswith("dsr1:serving.imageTag: 1.3.0 mixes releases: dynamo.version is 1.6.1")
    values["serving"]["imageTag"] = versions.DYNAMO_RELEASE  # the same release is allowed (deprecated key)
    load_stack_config(values, REGION)


def test_an_unknown_release_is_refused_naming_the_pinned_ones() -> None:
    (problem,) = problems_of(with_dynamo("h200-sglang-8", version="1.7.0"))
    assert problem.startswith("dsr1:dynamo.version") and "1.6.1" in problem


def test_an_upgrade_that_skips_a_minor_is_refused_with_the_path() -> None:
    (problem,) = problems_of(with_dynamo("h200-vllm-16", deployedVersion="1.3.0"))
    assert "1.3.0 -> 1.6.1 skips a minor release" in problem
    assert "1.3.0 -> 1.4.2 -> 1.5.1 -> 1.6.1" in problem


def test_each_step_of_the_path_is_accepted() -> None:
    path = ["1.3.0", *dynamo_release.upgrade_path("1.3.0", "1.6.1")]
    for deployed, target in itertools.pairwise(path):
        load_stack_config(with_dynamo("h200-vllm-16", version=target, deployedVersion=deployed), REGION)


def test_a_downgrade_is_refused() -> None:
    (problem,) = problems_of(with_dynamo("h200-vllm-16", version="1.5.1", deployedVersion="1.6.1"))
    assert "older than the deployed 1.6.1" in problem


def test_an_upgrade_says_what_it_restarts() -> None:
    moved = dynamo_release.restarts("1.5.1", "1.6.1", multinode=True)
    assert any("operator" in r for r in moved) and any("every graph pod" in r for r in moved)
    assert any("v0.1.0-alpha.13 -> v0.1.0-alpha.14" in r for r in moved)
    assert dynamo_release.restarts(None, "1.6.1", multinode=True) == []
    assert dynamo_release.restarts("1.6.1", "1.6.1", multinode=True) == []


def test_a_one_minor_upgrade_warns_what_it_restarts() -> None:
    cfg = load_stack_config(with_dynamo("h200-vllm-16", deployedVersion="1.5.1"), REGION)
    (restart,) = [str(w) for w in releases.warnings(cfg) if "restarts" in str(w)]
    assert restart.startswith("dsr1:dynamo.version: 1.5.1 -> 1.6.1 restarts the dynamo-platform release")
    assert "every graph pod" in restart and "set dynamo.deployedVersion: 1.6.1" in restart
    fresh = load_stack_config(stack_values("h200-vllm-16"), REGION)
    assert not [w for w in releases.warnings(fresh) if "restarts" in str(w)]
