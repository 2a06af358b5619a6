"""A stack's exact serving topology as AIConfigurator's `estimate` arguments, and its answer parsed. Pure.

AIConfigurator (`aiconfigurator` 0.12.0 on PyPI, NVIDIA) models a model's latency on a GPU system from measured
kernel data it ships (h200_sxm, gb200, ... for sglang, vllm, trtllm). Its parallelism has to satisfy
`tp x attention_dp == moe_tp x moe_ep` per worker (its own error message, tried here), so each engine's flags are
mapped: SGLang and TRT-LLM with attention DP split their `tp` GPUs into `dp` attention ranks; vLLM's `tp` is per
data-parallel rank.
"""

import math
import re
from dataclasses import dataclass

from config.catalog import INSTANCE_TYPES, MODELS
from config.schema import StackConfig, Worker

SYSTEMS = {"H200": "h200_sxm", "B200 (GB200)": "gb200"}
"""catalog GPU name -> AIConfigurator system (its systems/ directory)."""
AIC_MODEL = "deepseek-ai/DeepSeek-R1"
"""The checkpoint config AIConfigurator ships (model_configs/deepseek-ai--DeepSeek-R1_config.json): read offline."""
FP4_QUANT = ("--gemm-quant-mode", "nvfp4", "--moe-quant-mode", "nvfp4")
"""The FP4 checkpoint (nvidia/DeepSeek-R1-FP4) is not among AIConfigurator's model configs: R1's architecture with
NVFP4 GEMM and MoE stands in for it (an approximation)."""


class UnsupportedError(ValueError):
    """The stack's GPUs or topology have no AIConfigurator counterpart."""


@dataclass(frozen=True)
class Shape:
    gpus: int
    tp: int
    attention_dp: int
    moe_tp: int
    moe_ep: int


def shape(backend: str, w: Worker) -> Shape:
    """One worker's GPUs split as AIConfigurator counts them."""
    if backend == "vllm":  # --tensor-parallel-size per rank, --data-parallel-size ranks
        gpus, tp, adp = w.tp * w.dp, w.tp, w.dp
    elif w.enable_dp_attention and backend == "sglang":  # --tp GPUs in --dp attention ranks
        gpus, tp, adp = w.tp, w.tp // w.dp, w.dp
    elif w.enable_dp_attention:  # TRT-LLM enable_attention_dp: one attention rank per GPU
        gpus, tp, adp = w.tp, 1, w.tp
    else:
        gpus, tp, adp = w.tp, w.tp, 1
    if gpus % w.ep:
        raise UnsupportedError(f"{gpus} GPUs do not divide into expert-parallel {w.ep}")
    return Shape(gpus=gpus, tp=tp, attention_dp=adp, moe_tp=gpus // w.ep, moe_ep=w.ep)


def system(cfg: StackConfig) -> str:
    itype = INSTANCE_TYPES.get(cfg.gpu_pool.instance_type or "")
    if itype is None or itype.gpu not in SYSTEMS:
        raise UnsupportedError(f"no AIConfigurator system for {cfg.gpu_pool.instance_type}")
    return SYSTEMS[itype.gpu]


def cost_per_hour(cfg: StackConfig) -> float:
    """The GPU pool's list price, as the stack output gpuCostPerHourUsd (components/gpu_node_pool.py)."""
    itype = INSTANCE_TYPES.get(cfg.gpu_pool.instance_type or "")
    return cfg.gpu_pool.node_count * itype.price_per_hour_usd if itype else 0.0


def estimate_args(cfg: StackConfig) -> list[str]:
    """`aiconfigurator cli estimate` for the stack's prefill and decode workers at its benchmark's ISL, OSL and
    concurrency (decode batch per attention rank = concurrency spread over the decode ranks)."""
    s = cfg.serving
    p, d = shape(s.backend, s.prefill), shape(s.backend, s.decode)
    bench = s.benchmark
    decode_batch = max(1, math.ceil(bench.concurrency / (d.attention_dp * s.decode.replicas)))
    args = ["estimate", "--model-path", AIC_MODEL, "--system", system(cfg), "--backend", s.backend]
    args += ["--estimate-mode", "disagg", "--isl", str(bench.input_length), "--osl", str(bench.output_length)]
    for role, sh, workers, batch in (
        ("prefill", p, s.prefill.replicas, 1),
        ("decode", d, s.decode.replicas, decode_batch),
    ):
        args += [f"--{role}-tp-size", str(sh.tp), f"--{role}-attention-dp-size", str(sh.attention_dp)]
        args += [f"--{role}-moe-tp-size", str(sh.moe_tp), f"--{role}-moe-ep-size", str(sh.moe_ep)]
        args += [f"--{role}-num-workers", str(workers), f"--{role}-batch-size", str(batch)]
    if MODELS[cfg.model.key].precision == "fp4":
        args += list(FP4_QUANT)
    return [*args, "--no-color"]


@dataclass(frozen=True)
class Prediction:
    ttft_ms: float
    tpot_ms: float
    tokens_per_s: float
    tokens_per_s_per_gpu: float
    gpus: int
    concurrency: int


_FIELDS = {
    "ttft_ms": r"TTFT:\s+([\d.,]+) ms",
    "tpot_ms": r"TPOT:\s+([\d.,]+) ms",
    "tokens_per_s": r"tokens/s:\s+([\d.,]+)",
    "tokens_per_s_per_gpu": r"tokens/s/gpu:\s+([\d.,]+)",
    "gpus": r"Total GPUs:\s+(\d+)",
    "concurrency": r"Concurrency:\s+([\d.,]+)",
}


def parse(report: str) -> Prediction:
    """The 'Performance Estimate' block `estimate` prints (aiconfigurator 0.12.0)."""
    found: dict[str, float] = {}
    for name, pattern in _FIELDS.items():
        m = re.search(pattern, report)
        if m is None:
            raise ValueError(f"no {name} in AIConfigurator's report")
        found[name] = float(m.group(1).replace(",", ""))
    return Prediction(
        ttft_ms=found["ttft_ms"],
        tpot_ms=found["tpot_ms"],
        tokens_per_s=found["tokens_per_s"],
        tokens_per_s_per_gpu=found["tokens_per_s_per_gpu"],
        gpus=int(found["gpus"]),
        concurrency=int(found["concurrency"]),
    )
