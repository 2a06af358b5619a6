"""What to ask AIConfigurator for one stack, and how to read its answers back into a `Point`.

Plain functions of plain data, so the choices are tested without AIConfigurator installed.
"""

import math
from dataclasses import dataclass
from typing import Any

from config.predictions import Point, Topology, WorkerShape

LOADED_CONCURRENCY = 512
"""A second, busier operating point beside the benchmark Job's: 512 requests in flight divides evenly over every
recipe's decode attention-DP ranks (8, 16, 32) and stays within GB200's decode max_batch_size of 32 per rank."""

PREFILL_BATCHES = (1, 2, 4, 8, 16)
PREFILL_TOKEN_BUDGET = 16384
"""Prompt tokens per prefill step AIConfigurator's own sweep allows by default (sdk/sweep.py prefill_max_num_tokens)."""

BEST_SHARE = 0.99
"""The prefill batch chosen is the smallest whose throughput is within 1% of the best: a prefill worker batches only
as many prompts as the load makes it, and a bigger batch buys nothing but TTFT once decode is the bottleneck."""


@dataclass(frozen=True)
class Load:
    isl: int
    osl: int
    concurrency: int


def loads(isl: int, osl: int, concurrency: int) -> list[Load]:
    """The benchmark Job's load (so a later measurement compares run for run) and a loaded point."""
    return [Load(isl, osl, c) for c in sorted({concurrency, LOADED_CONCURRENCY})]


def decode_batch(topo: Topology, load: Load) -> int:
    """Requests per decode rank when the load spreads evenly, capped by the engine."""
    d = topo.decode
    per_rank = math.ceil(load.concurrency / (d.workers * d.attention_dp))
    return min(per_rank, d.max_batch) if d.max_batch else per_rank


def prefill_batches(topo: Topology, load: Load) -> list[int]:
    """Candidate prompts per prefill step and rank: within the token budget, the engine's caps and the load."""
    p = topo.prefill
    in_flight = math.ceil(load.concurrency / (p.workers * p.attention_dp))
    budget = min(PREFILL_TOKEN_BUDGET, p.max_tokens or PREFILL_TOKEN_BUDGET)
    out = [
        b
        for b in PREFILL_BATCHES
        if b <= in_flight and b * load.isl <= budget and (p.max_batch is None or b <= p.max_batch)
    ]
    return out or [1]


def _role(prefix: str, w: WorkerShape) -> dict[str, Any]:
    args: dict[str, Any] = {
        f"{prefix}_tp_size": w.tp,
        f"{prefix}_pp_size": 1,
        f"{prefix}_attention_dp_size": w.attention_dp,
        f"{prefix}_moe_tp_size": w.moe_tp,
        f"{prefix}_moe_ep_size": w.moe_ep,
        f"{prefix}_num_workers": w.workers,
    }
    if w.memory_fraction is not None:
        args[f"{prefix}_free_gpu_memory_fraction"] = w.memory_fraction
    if w.max_seq_len is not None:
        args[f"{prefix}_max_seq_len"] = w.max_seq_len
    return args


def estimate_call(topo: Topology, load: Load, prefill_batch: int) -> dict[str, Any]:
    """Keyword arguments of aiconfigurator.cli.api.cli_estimate (0.12.0) for one disaggregated point."""
    return {
        "model_path": topo.model,
        "system_name": topo.system,
        "mode": "disagg",
        "backend_name": topo.backend,
        "database_mode": "SILICON",
        "isl": load.isl,
        "osl": load.osl,
        **{f"{kind}_quant_mode": mode for kind, mode in sorted(topo.quant.items())},
        **_role("prefill", topo.prefill),
        **_role("decode", topo.decode),
        "prefill_batch_size": prefill_batch,
        "decode_batch_size": decode_batch(topo, load),
    }


class NoPointError(RuntimeError):
    """Every candidate failed, typically AIConfigurator's memory check (the decode batch's KV cache)."""


def _short(error: str) -> str:
    if error.startswith("OOM"):
        return "AIConfigurator's memory check fails (OOM) with the stack's memory fractions"
    return error.splitlines()[0][:200]


def lighter(load: Load, floor: int) -> Load | None:
    """Half the load, for a loaded point that does not fit; None once it would fall to the benchmark's load."""
    half = load.concurrency // 2
    return Load(load.isl, load.osl, half) if half > floor else None


def pick(load: Load, candidates: list[tuple[int, dict[str, Any]]]) -> Point:
    """The point for the smallest prefill batch within BEST_SHARE of the best throughput; errors are skipped."""
    ok = [(b, r) for b, r in candidates if "error" not in r]
    if not ok:
        errors = sorted({_short(str(r["error"])) for _, r in candidates})
        raise NoPointError(f"{load.concurrency} in flight (ISL {load.isl}, OSL {load.osl}): {'; '.join(errors)}")
    best = max(r["tokens_per_s"] for _, r in ok)
    batch, r = min(((b, r) for b, r in ok if r["tokens_per_s"] >= BEST_SHARE * best), key=lambda br: br[0])
    return Point(
        isl=load.isl,
        osl=load.osl,
        concurrency=round(r["concurrency"]),
        prefill_batch=batch,
        decode_batch=r["decode_batch"],
        ttft_ms=r["ttft_ms"],
        itl_ms=r["itl_ms"],
        output_tokens_per_s=r["tokens_per_s"],
        output_tokens_per_s_per_gpu=r["tokens_per_s_per_gpu"],
        silicon_share=r["silicon_share"],
        notes=r["notes"],
    )
