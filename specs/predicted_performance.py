"""A stack's serving topology as AIConfigurator models it, and the committed prediction for it as stack outputs.

The same `topology()` feeds `tools.predict` (what to ask AIConfigurator) and the program (which committed prediction
applies): a prediction is shown only for the exact topology it was made for, whatever the stack is called.
"""

from typing import Any

from config.predictions import Predictions, StackPrediction, Topology, WorkerShape
from config.schema import StackConfig, Worker
from config.shape import gpu_shape
from specs.smoke_spec import cost_per_million_tokens

SYSTEMS = {"p5en.48xlarge": "h200_sxm", "p6e-gb200.36xlarge": "gb200"}
"""Instance types whose GPUs AIConfigurator 0.12.0 has DeepSeek-R1 data for (its support_matrix/h200_sxm.csv and
gb200.csv list deepseek-ai/DeepSeek-R1 disagg PASS for sglang, vllm and trtllm)."""

MODELS: dict[str, tuple[str, dict[str, str]]] = {
    "deepseek-r1": ("deepseek-ai/DeepSeek-R1", {}),
    # nvidia/DeepSeek-R1-FP4 is not among AIConfigurator's bundled configs (it would fetch it from the Hub): R1's
    # architecture with the modes AIConfigurator infers from NVIDIA's NVFP4 DeepSeek checkpoint
    # (model_configs/nvidia--DeepSeek-V3.1-NVFP4_hf_quant_config.json: NVFP4 weights, FP8 KV cache).
    "deepseek-r1-fp4": ("deepseek-ai/DeepSeek-R1", {"gemm": "nvfp4", "moe": "nvfp4", "kvcache": "fp8"}),
}


def _shape(backend: str, w: Worker, gpus: int) -> WorkerShape | None:
    """Attention TP x attention DP = MoE TP x MoE EP = the worker's GPUs, in each engine's own terms."""
    if backend == "vllm":  # --tensor-parallel-size x --data-parallel-size; every DP rank its own attention
        attention_dp = w.dp
    elif backend == "sglang":  # --tp spans the worker; --dp splits attention only with --enable-dp-attention
        if w.dp > 1 and not w.enable_dp_attention:
            return None
        attention_dp = w.dp
    else:  # TRT-LLM: enable_attention_dp makes every rank of tp an attention-DP rank
        attention_dp = gpus if w.enable_dp_attention else 1
    if gpus % attention_dp or gpus % w.ep:
        return None
    engine = w.engine
    fraction = engine.free_gpu_memory_fraction if engine else (w.mem_fraction_static or w.gpu_memory_utilization)
    return WorkerShape(
        workers=w.replicas,
        gpus=gpus,
        tp=gpus // attention_dp,
        attention_dp=attention_dp,
        moe_tp=gpus // w.ep,
        moe_ep=w.ep,
        memory_fraction=fraction,
        max_seq_len=engine.max_seq_len if engine else None,
        max_batch=engine.max_batch_size if engine else None,
        max_tokens=engine.max_num_tokens if engine else None,
    )


def topology(cfg: StackConfig) -> Topology | None:
    """None when AIConfigurator has no data for the stack's GPU or model (dev, H100)."""
    system = SYSTEMS.get(cfg.gpu_pool.instance_type or "")
    model = MODELS.get(cfg.model.key)
    shape = gpu_shape(cfg.gpu_pool)
    if system is None or model is None or shape is None:
        return None
    serving = cfg.serving
    roles = [
        _shape(serving.backend, w, w.nodes * (w.gpus_per_node or shape.gpus_per_node))
        for w in (serving.prefill, serving.decode)
    ]
    prefill, decode = roles
    if prefill is None or decode is None:
        return None
    return Topology(
        system=system, backend=serving.backend, model=model[0], quant=model[1], prefill=prefill, decode=decode
    )


def prediction_for(cfg: StackConfig, predictions: Predictions) -> StackPrediction | None:
    wanted = topology(cfg)
    return next((p for p in predictions.stacks.values() if wanted is not None and p.topology == wanted), None)


def outputs(pred: StackPrediction, predictions: Predictions, cost_per_hour_usd: float) -> dict[str, Any]:
    """The stack output: each point's figures, its cost per million output tokens, the source and the limits."""
    points = [
        {
            "isl": p.isl,
            "osl": p.osl,
            "concurrency": p.concurrency,
            "ttftMs": round(p.ttft_ms, 1),
            "itlMs": round(p.itl_ms, 1),
            "outputTokensPerSecond": round(p.output_tokens_per_s),
            "outputTokensPerSecondPerGpu": round(p.output_tokens_per_s_per_gpu, 1),
            "usdPerMillionOutputTokens": round(cost_per_million_tokens(cost_per_hour_usd, p.output_tokens_per_s), 2),
        }
        for p in pred.points
    ]
    source = (
        f"{predictions.tool} ({pred.perf_database} kernel data), {predictions.date}: "
        "a model prediction, not a measurement"
    )
    figures = "; ".join(
        f"{p['concurrency']} in flight: TTFT {p['ttftMs']:g} ms, ITL {p['itlMs']:g} ms, "
        f"{p['outputTokensPerSecond']:,} output tok/s ({p['outputTokensPerSecondPerGpu']:g}/GPU), "
        f"${p['usdPerMillionOutputTokens']:.2f}/M output tokens"
        for p in points
    )
    isl_osl = f"ISL {pred.points[0].isl}/OSL {pred.points[0].osl}"
    return {
        "source": source,
        "limits": predictions.limits,
        "points": points,
        **({"notes": pred.notes} if pred.notes else {}),
        "summary": f"{isl_osl}, {figures} [{source}; docs/operations.md, 'Predicted performance']",
    }
