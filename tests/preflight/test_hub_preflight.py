"""The Hub preflight against a fake Hub on loopback: revision, gated access, rate limits, cache size."""

import json
from collections.abc import Iterator

import pytest

from config.errors import ConfigError, Problem
from offline.run import run_program
from offline.stack_files import read_stack
from preflight import hub as hub_preflight
from program.config_source import load_stack_config
from tests import fake_hub
from tests.support import ROOT, stack_values


@pytest.fixture
def hub() -> Iterator[tuple[fake_hub.Hub, str]]:
    state = fake_hub.Hub()
    with fake_hub.serve(state) as url:
        yield state, url


def fetch(url: str, repo: str = fake_hub.R1, revision: str = fake_hub.SHA, token: str = fake_hub.GOOD_TOKEN) -> object:
    return hub_preflight.fetch_revision(repo, revision, token, base=url, sleep=lambda _: None)


def test_an_existing_revision_reports_its_commit_and_size(hub: tuple[fake_hub.Hub, str]) -> None:
    found = fetch(hub[1])
    assert found == hub_preflight.HubRevision(fake_hub.SHA, fake_hub.SHARD * fake_hub.SHARDS, fake_hub.SHARDS)


def test_a_missing_revision_is_a_problem_of_model_revision(hub: tuple[fake_hub.Hub, str]) -> None:
    found = fetch(hub[1], revision="0" * 40)
    assert isinstance(found, Problem) and found.key == "dsr1:model.revision" and "HTTP 404" in found.message


def test_a_gated_repository_the_token_cannot_read_is_a_problem_of_the_token(hub: tuple[fake_hub.Hub, str]) -> None:
    found = fetch(hub[1], repo=fake_hub.GATED, token="hf_other")
    assert isinstance(found, Problem) and found.key == "dsr1:hfToken" and "gated" in found.message


def test_rate_limits_are_retried_then_reported(hub: tuple[fake_hub.Hub, str]) -> None:
    state, url = hub
    state.rate_limited = 2
    assert isinstance(fetch(url), hub_preflight.HubRevision)
    state.rate_limited = 10
    found = fetch(url)
    assert isinstance(found, Problem) and "HTTP 429" in found.message
    assert len(state.requests) == 3 + hub_preflight.ATTEMPTS


def render_against(url: str, *overrides: str) -> object:
    return run_program(ROOT, read_stack(ROOT, "h200-sglang-8", ["hfToken=hf_good", *overrides]), hub_endpoint=url)


def test_a_branch_is_pinned_to_its_commit_before_anything_is_created(hub: tuple[fake_hub.Hub, str]) -> None:
    model = {"key": "deepseek-r1", "revision": "main"}
    run = render_against(hub[1], f"model={json.dumps(model)}")
    assert run.outputs["downloadJob"] == "download-deepseek-r1-56d4cbbb4d"  # type: ignore[attr-defined]


def test_a_missing_revision_stops_the_program_before_any_resource(hub: tuple[fake_hub.Hub, str]) -> None:
    model = {"key": "deepseek-r1", "revision": "f" * 40}
    with pytest.raises(ConfigError, match=r"dsr1:model.revision: deepseek-ai/DeepSeek-R1 has no revision"):
        render_against(hub[1], f"model={json.dumps(model)}")


def test_a_cache_too_small_for_the_hubs_listing_is_refused(
    hub: tuple[fake_hub.Hub, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_stack_config(stack_values("h200-sglang-8"), "us-east-1")
    small = cfg.model_copy(update={"model_cache": cfg.model_cache.model_copy(update={"size_gib": 700})})
    monkeypatch.delenv(hub_preflight.OFFLINE_ENV, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", hub[1])
    check = hub_preflight.run(small, fake_hub.GOOD_TOKEN, sleep=lambda _: None)
    assert [p.key for p in check.problems] == ["dsr1:modelCache.sizeGib"]
    # 163 x 4.3 GB = 652.8 GiB on the Hub; +10% = 718.0 GiB > 700.
    assert "needs 718.0 GiB" in check.problems[0].message


def test_an_unreachable_hub_only_warns_for_a_pinned_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_stack_config(stack_values("h200-sglang-8"), "us-east-1")
    monkeypatch.delenv(hub_preflight.OFFLINE_ENV, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: refused at once
    check = hub_preflight.run(cfg, "hf_x")
    assert check.problems == [] and "unreachable" in str(check.notice)
    branch = cfg.model_copy(update={"model": cfg.model.model_copy(update={"revision": "main"})})
    assert [p.key for p in hub_preflight.run(branch, "hf_x").problems] == ["dsr1:model.revision"]


def test_offline_render_skips_the_hub_with_a_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_stack_config(stack_values("h200-sglang-8"), "us-east-1")
    monkeypatch.setenv(hub_preflight.OFFLINE_ENV, "1")
    check = hub_preflight.run(cfg, "hf_x")
    assert check.problems == [] and check.revision is None and "skipped" in str(check.notice)
