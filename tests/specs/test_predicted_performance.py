"""The stacks' topologies as AIConfigurator models them, and the prediction outputs with their cost per token."""

import pytest

from config.predictions import Point, Predictions, StackPrediction, WorkerShape
from config.schema import StackConfig
from program.config_source import load_stack_config
from specs.predicted_performance import outputs, prediction_for, topology
from tests.support import stack_region, stack_values


def _cfg(stack: str, **serving: object) -> StackConfig:
    values = stack_values(stack)
    values["serving"] = {**values["serving"], **serving}
    return load_stack_config(values, stack_region(stack))


def test_sglang_topology_splits_attention_only_with_dp_attention() -> None:
    topo = topology(_cfg("h200-sglang-8"))
    assert topo is not None and (topo.system, topo.backend, topo.quant) == ("h200_sxm", "sglang", {})
    assert topo.prefill == WorkerShape(
        workers=1, gpus=8, tp=8, attention_dp=1, moe_tp=1, moe_ep=8, memory_fraction=0.75
    )
    assert topo.decode == WorkerShape(workers=1, gpus=8, tp=1, attention_dp=8, moe_tp=1, moe_ep=8, memory_fraction=0.75)
    assert topo.gpus == 16


def test_vllm_topology_is_one_attention_rank_per_dp_rank() -> None:
    topo = topology(_cfg("h200-vllm-16"))
    assert topo is not None
    for w in (topo.prefill, topo.decode):
        assert (w.gpus, w.tp, w.attention_dp, w.moe_tp, w.moe_ep, w.memory_fraction) == (16, 1, 16, 1, 16, None)


def test_gb200_topology_is_wide_ep_nvfp4_with_the_engines_limits() -> None:
    topo = topology(_cfg("gb200"))
    assert topo is not None and topo.system == "gb200" and topo.backend == "trtllm"
    assert topo.model == "deepseek-ai/DeepSeek-R1" and topo.quant == {"gemm": "nvfp4", "moe": "nvfp4", "kvcache": "fp8"}
    assert (topo.prefill.gpus, topo.prefill.tp, topo.prefill.attention_dp, topo.prefill.moe_ep) == (4, 1, 4, 4)
    assert (topo.prefill.max_seq_len, topo.prefill.max_batch, topo.prefill.max_tokens) == (1227, 4, 4608)
    assert (topo.decode.gpus, topo.decode.attention_dp, topo.decode.moe_ep, topo.decode.max_batch) == (32, 32, 32, 32)
    assert topo.decode.memory_fraction == 0.7 and topo.gpus == 36


def test_no_topology_without_aiconfigurator_data() -> None:
    assert topology(_cfg("dev")) is None


def _predictions(topo_stack: str, tokens_per_s: float) -> Predictions:
    topo = topology(_cfg(topo_stack))
    assert topo is not None
    point = Point(
        isl=1024,
        osl=1024,
        concurrency=64,
        prefill_batch=1,
        decode_batch=8,
        ttft_ms=100.0,
        itl_ms=20.0,
        output_tokens_per_s=tokens_per_s,
        output_tokens_per_s_per_gpu=tokens_per_s / topo.gpus,
        silicon_share={"prefill": 1.0, "decode": 1.0},
    )
    pred = StackPrediction(topology=topo, perf_database="sglang 0.5.14", points=[point])
    return Predictions(tool="aiconfigurator==0.12.0", date="2026-11-28", method="m", limits="l", stacks={"x": pred})


def test_prediction_applies_only_to_its_exact_topology() -> None:
    known = _predictions("h200-sglang-8", 5000)
    assert prediction_for(_cfg("h200-sglang-8"), known) is known.stacks["x"]
    changed = _cfg(
        "h200-sglang-8", decode={**stack_values("h200-sglang-8")["serving"]["decode"], "memFractionStatic": 0.8}
    )
    assert prediction_for(changed, known) is None
    assert prediction_for(_cfg("h200-sglang-16"), known) is None


def test_outputs_price_the_predicted_tokens_and_say_what_they_are() -> None:
    known = _predictions("h200-sglang-8", 5000)
    out = outputs(known.stacks["x"], known, 126.59)
    # $126.59/h over 5,000 tok/s x 3,600 s = $7.03 per million output tokens.
    assert out["points"][0]["usdPerMillionOutputTokens"] == pytest.approx(7.03)
    assert out["points"][0]["outputTokensPerSecondPerGpu"] == 312.5
    assert "not a measurement" in out["source"] and "aiconfigurator==0.12.0" in out["source"]
    assert "$7.03/M output tokens" in out["summary"] and out["limits"] == "l"
