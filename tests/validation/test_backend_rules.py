"""The rules each backend adds, with their messages (vLLM on h200-vllm-16, TRT-LLM on gb200, GPU shares on dev)."""

from collections.abc import Callable
from typing import Any

import pytest

from config import engine_values
from config.errors import ConfigError
from program.config_source import load_stack_config
from tests.support import stack_region, stack_values, stacks


def problems(stack: str, edit: Callable[[dict[str, Any]], None], region: str | None = "us-east-1") -> dict[str, str]:
    values = stack_values(stack)
    edit(values)
    with pytest.raises(ConfigError) as e:
        load_stack_config(values, region)
    return {p.key: str(p) for p in e.value.problems}


@pytest.mark.parametrize("stack", stacks())
def test_stacks_are_valid(stack: str) -> None:
    load_stack_config(stack_values(stack), stack_region(stack))


def test_vllm_tp_times_dp_must_match_the_gpus() -> None:
    found = problems("h200-vllm-16", lambda v: v["serving"]["prefill"].update(dp=8))
    assert "tp x dp = 1 x 8 = 8 does not match the worker's 16 GPUs" in found["dsr1:serving.prefill.dp"]


def test_vllm_expert_parallelism_spans_all_gpus() -> None:
    found = problems("h200-vllm-16", lambda v: v["serving"]["decode"].update(ep=8))
    assert "dsr1:serving.decode.ep" in found


def test_vllm_expert_parallelism_needs_an_all2all_backend() -> None:
    found = problems("h200-vllm-16", lambda v: v["serving"]["decode"].pop("all2allBackend"))
    assert "dsr1:serving.decode.all2allBackend" in found


def test_an_all2all_backend_vllm_does_not_run_is_refused_naming_the_ones_it_does() -> None:
    """vLLM 0.23.0 (Dynamo 1.3.0's image) silently swaps `naive` for allgather_reducescatter: refused here."""
    found = problems("h200-vllm-16", lambda v: v["serving"]["decode"].update(all2allBackend="naive"))
    (message,) = found.values()
    assert list(found) == ["dsr1:serving.decode.all2allBackend"]
    assert all(b in message for b in engine_values.VLLM_ALL2ALL_BACKENDS)
    for backend in engine_values.VLLM_ALL2ALL_BACKENDS:
        values = stack_values("h200-vllm-16")
        values["serving"]["decode"]["all2allBackend"] = backend
        if not backend.startswith("deepep"):  # DeepEP is refused on EFA (below)
            load_stack_config(values, "us-east-1")


def test_deepep_is_refused_on_efa() -> None:
    found = problems("h200-vllm-16", lambda v: v["serving"]["prefill"].update(all2allBackend="deepep_high_throughput"))
    assert "EFA lacks" in found["dsr1:serving.prefill.all2allBackend"]


def test_micro_batch_overlap_needs_deepep() -> None:
    found = problems("h200-vllm-16", lambda v: v["serving"]["decode"]["extraArgs"].extend(["--enable-dbo"]))
    assert "--enable-dbo" in found["dsr1:serving.decode.extraArgs"]


def test_trtllm_needs_an_engine_config() -> None:
    found = problems("gb200", lambda v: v["serving"]["prefill"].pop("engine"))
    assert "dsr1:serving.prefill.engine" in found


def test_trtllm_tp_must_match_the_gpus() -> None:
    found = problems("gb200", lambda v: v["serving"]["decode"].update(tp=16, ep=16))
    assert "nodes (8) x GPUs per node (4) = 32" in found["dsr1:serving.decode.tp"]


def test_trtllm_ep_is_one_or_tp() -> None:
    found = problems("gb200", lambda v: v["serving"]["decode"].update(ep=8))
    assert "dsr1:serving.decode.ep" in found


def test_decode_must_accept_the_prompts_prefill_accepts() -> None:
    found = problems("gb200", lambda v: v["serving"]["decode"]["engine"].update(maxSeqLen=1000))
    assert "below the prefill worker's 1227" in found["dsr1:serving.decode.engine.maxSeqLen"]


def test_kv_transfer_buffer_must_hold_a_full_prompt() -> None:
    def edit(v: dict[str, Any]) -> None:
        v["serving"]["prefill"]["engine"]["maxSeqLen"] = 8192
        v["serving"]["decode"]["engine"]["maxSeqLen"] = 9000

    found = problems("gb200", edit)
    assert "cannot hold the KV of a full prompt (8192)" in found["dsr1:serving.prefill.engine.transceiverMaxTokens"]
    assert "dsr1:serving.decode.engine.transceiverMaxTokens" in found


def test_fp4_weights_that_do_not_fit_are_refused() -> None:
    found = problems("gb200", lambda v: v["serving"]["prefill"].update(gpusPerNode=2, tp=2, ep=2))
    # 425 GB over 2 GPUs = 197.9 GiB each; TRT-LLM keeps a tenth of 185 GiB for activations: 166.5 GiB.
    assert (
        "must hold 197.9 GiB" in found["dsr1:serving.prefill.nodes"]
        and "166.5 GiB" in found["dsr1:serving.prefill.nodes"]
    )


def test_a_worker_cannot_take_more_gpus_than_a_node_has() -> None:
    found = problems("dev", lambda v: v["serving"]["prefill"].update(gpusPerNode=2), None)
    assert "exceeds the pool's 1 GPUs per node" in found["dsr1:serving.prefill.gpusPerNode"]


def test_partial_node_workers_share_nodes() -> None:
    def edit(v: dict[str, Any]) -> None:
        v["gpuPool"].update(gpusPerNode=2, nodeCount=1, gpuMemoryGib=80)
        for role in ("prefill", "decode"):
            v["serving"][role].update(gpusPerNode=1)

    values = stack_values("dev")
    edit(values)
    load_stack_config(values, None)  # two 1-GPU workers fit one 2-GPU node


def test_a_multinode_worker_takes_whole_nodes() -> None:
    def edit(v: dict[str, Any]) -> None:
        v["gpuPool"].update(gpusPerNode=2, nodeCount=2, gpuMemoryGib=80)
        v["serving"]["decode"].update(gpusPerNode=1, nodes=2, tp=2)

    found = problems("dev", edit, None)
    assert "a multi-node worker takes whole nodes" in found["dsr1:serving.decode.gpusPerNode"]
