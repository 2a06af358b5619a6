"""Worker flags against the pinned release's own parser (config/engine_flags.json): what each stack renders is
accepted, a flag the engine does not know is refused with the engine, its version and the closest flag."""

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from config import engine_flags
from config.engine_flags import BackendFlags, EngineFlags, stack_release
from config.errors import ConfigError
from config.schema import Dynamo
from offline.report import manifests
from program.config_source import load_stack_config
from tests.parity import command_line
from tests.support import ROOT, render, stack_values, stacks
from validation import rules

REGION = "us-east-1"
NO_SUCH_FLAG = ("--config", 'serving.decode.extraArgs=["--no-such-flag"]')


def config(stack: str, edit: Callable[[dict[str, Any]], None] = lambda v: None) -> Any:
    values = stack_values(stack)
    edit(values)
    return load_stack_config(values, None if stack == "dev" else REGION)


def pin(values: dict[str, Any], release: str) -> None:
    """Pin a stack to `release` the way its config says it (`dynamo.version` where that key exists)."""
    if "version" in Dynamo.model_fields:
        values.setdefault("dynamo", {})["version"] = release
    else:
        values["serving"]["imageTag"] = release


def problems(stack: str, edit: Callable[[dict[str, Any]], None]) -> dict[str, str]:
    with pytest.raises(ConfigError) as e:
        config(stack, edit)
    return {p.key: str(p) for p in e.value.problems}


def release_flags(release: str, backend: str) -> BackendFlags:
    return engine_flags.load().releases[release].backends[backend]


def test_an_unknown_flag_is_refused_by_render_naming_the_engine_version(tmp_path: Path) -> None:
    out = tmp_path / "build"
    result = subprocess.run(
        [sys.executable, str(ROOT / "render.py"), "--stack", "h200-sglang-8", "--out", str(out), *NO_SUCH_FLAG],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("invalid stack configuration") == 1 and "Traceback" not in result.stderr
    release = stack_release(config("h200-sglang-8"))
    version = release_flags(release, "sglang").engine.split("==")[1]
    assert f"dsr1:serving.decode.extraArgs: --no-such-flag is not a flag of SGLang {version}" in result.stderr
    assert f"Dynamo {release}" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("stack", stacks())
def test_every_worker_flag_every_stack_renders_is_accepted_by_its_release(stack: str) -> None:
    cfg = config(stack)
    flags = release_flags(stack_release(cfg), cfg.serving.backend)
    run = render(stack, "hfToken=hf_TESTCANARY0123456789abcdefghijklmnop")
    (dgd,) = [m for m in manifests(run) if m["kind"] == "DynamoGraphDeployment"]
    workers = 0
    for service in dgd["spec"]["services"].values():
        program, args = command_line(service["extraPodSpec"]["mainContainer"])
        if flags.module not in program:
            continue
        workers += 1
        assert len(engine_flags.flags_in(args)) > 3
        assert [f for f in engine_flags.flags_in(args) if not flags.accepts(f)] == []
    assert workers == 2  # prefill and decode were both read


def test_a_misspelt_flag_is_refused_with_the_closest_one() -> None:
    found = problems("h200-sglang-8", lambda v: v["serving"]["prefill"]["extraArgs"].append("--load-balance-metod"))
    message = found["dsr1:serving.prefill.extraArgs"]
    assert "--load-balance-metod is not a flag of SGLang" in message
    assert "the closest it accepts is --load-balance-method" in message and "Fix: use --load-balance-method" in message


def test_vllm_reads_underscores_and_json_keys_as_its_own_parser_does() -> None:
    flags = release_flags("1.6.1", "vllm")
    assert flags.flexible
    assert flags.accepts("--max_num_seqs") and flags.accepts("--max-num-seqs=512")
    assert flags.accepts("--compilation-config.cudagraph_mode")
    assert not flags.accepts("--max_num_seq_s")
    found = problems("h200-vllm-16", lambda v: v["serving"]["decode"]["extraArgs"].append("--max_num_seqz"))
    assert "--max_num_seqz is not a flag of vLLM" in found["dsr1:serving.decode.extraArgs"]
    assert "--max-num-seqs" in found["dsr1:serving.decode.extraArgs"]


def test_abbreviations_count_only_where_argparse_takes_them() -> None:
    sglang = release_flags("1.6.1", "sglang")
    assert "--tp" not in sglang.flags and sglang.accepts("--tp")  # the recipes' --tp is SGLang's --tp-size
    assert not sglang.accepts("--disaggregation")  # ambiguous: argparse refuses it
    vllm = release_flags("1.6.1", "vllm")
    assert vllm.abbreviating and all(len(options) < len(vllm.flags) for options in vllm.abbreviating)


def test_trtllm_takes_its_dynamic_engine_flags_by_prefix() -> None:
    trtllm = release_flags("1.6.1", "trtllm")
    assert trtllm.accepts("--trtllm.kv_cache_config.free_gpu_memory_fraction")
    assert not trtllm.accepts("--trtllm.") and not trtllm.accepts("--trtllm-kv")


def with_round_robin_balance(values: dict[str, Any], tag: str | None = None) -> None:
    values["serving"]["decode"]["extraArgs"] = ["--prefill-round-robin-balance"]  # the recipe's, dropped here
    if tag:
        pin(values, tag)


def test_the_upgrade_s_dropped_sglang_flag_is_refused_on_1_6_1() -> None:
    found = problems("h200-sglang-8", lambda v: with_round_robin_balance(v, "1.6.1"))
    message = found["dsr1:serving.decode.extraArgs"]
    assert "--prefill-round-robin-balance is not a flag of SGLang 0.5.21 (dynamo.sglang of Dynamo 1.6.1)" in message
    assert release_flags("1.3.0", "sglang").accepts("--prefill-round-robin-balance")
    assert "--prefill-round-robin-balance" in release_flags("1.3.0", "sglang").deprecated


def test_deprecated_flags_are_warnings() -> None:
    # dev: SGLang without EFA, where 1.3.0's known SGLang-over-EFA stall does not refuse the release first
    found = [str(p) for p in rules.warnings(config("dev", lambda v: with_round_robin_balance(v, "1.3.0")))]
    assert any("--prefill-round-robin-balance is deprecated in SGLang 0.5.14" in w for w in found)


def wideep(values: dict[str, Any], release: str) -> None:
    values["serving"]["decode"]["engine"]["moeBackend"] = "WIDEEP"  # the recipe's; the stack uses CUTEDSL
    pin(values, release)


def test_wideep_is_refused_where_tensorrt_llm_removed_it() -> None:
    found = problems("gb200", lambda v: wideep(v, "1.6.1"))
    message = found["dsr1:serving.decode.engine.moeBackend"]
    assert "WIDEEP is refused by TensorRT-LLM 1.3.0rc29 (Dynamo 1.6.1)" in message and "#17797" in message
    assert "dsr1:serving.decode.engine.moeBackend" not in problems_or_none("gb200", lambda v: wideep(v, "1.3.0"))


def problems_or_none(stack: str, edit: Callable[[dict[str, Any]], None]) -> dict[str, str]:
    """Like problems(), but a config with none is fine (another release's rules may refuse it for other reasons)."""
    try:
        config(stack, edit)
    except ConfigError as e:
        return {p.key: str(p) for p in e.problems}
    return {}


def test_a_release_without_flag_data_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = engine_flags.load()
    release = stack_release(config("h200-vllm-16"))
    fewer = {r: f for r, f in data.releases.items() if r != release}
    changed = EngineFlags.model_validate(data.model_copy(update={"releases": fewer}).model_dump())
    monkeypatch.setattr(engine_flags, "load", lambda: changed)
    found = problems("h200-vllm-16", lambda v: None)
    assert f"there is no flag list for Dynamo {release}" in found["dsr1:serving.imageTag"]
    assert "python -m tools.engine_flags" in found["dsr1:serving.imageTag"]


def test_a_generated_flag_the_release_dropped_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """If an upgrade drops a flag the program itself writes, the preview fails, not the workers."""
    data = engine_flags.load()
    release = stack_release(config("h200-sglang-8"))
    sglang = data.releases[release].backends["sglang"]
    gone = "--watchdog-timeout"
    dropped = sglang.model_copy(
        update={
            "flags": [f for f in sglang.flags if f != gone],
            "abbreviating": [[f for f in options if f != gone] for options in sglang.abbreviating],
        }
    )
    releases = {**data.releases}
    releases[release] = data.releases[release].model_copy(
        update={"backends": {**data.releases[release].backends, "sglang": dropped}}
    )
    changed = EngineFlags.model_validate(data.model_copy(update={"releases": releases}).model_dump())
    monkeypatch.setattr(engine_flags, "load", lambda: changed)
    found = problems("h200-sglang-8", lambda v: None)
    assert "builds has --watchdog-timeout, which SGLang" in found["dsr1:serving.imageTag"]
