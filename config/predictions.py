"""Predicted serving performance of the recipe stacks: plain data read from `predictions.json` beside this file.

`python -m tools.predict` (make predict) writes that file with NVIDIA AIConfigurator, run from its own virtualenv;
the program only reads it, so neither a render nor CI needs AIConfigurator. A prediction is a model's estimate from
kernel timings NVIDIA collected, not a measurement of this stack: the benchmark Job measures.
"""

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

PATH = Path(__file__).with_name("predictions.json")


class Plain(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkerShape(Plain):
    """One worker role as AIConfigurator models it (its `--prefill-*` / `--decode-*` options)."""

    workers: int = Field(ge=1, description="Copies of the worker (replicas).")
    gpus: int = Field(ge=1, description="GPUs of one copy.")
    tp: int = Field(ge=1, description="Attention tensor parallelism within one attention-DP rank.")
    attention_dp: int = Field(ge=1, description="Attention data-parallel ranks.")
    moe_tp: int = Field(ge=1, description="MoE tensor parallelism.")
    moe_ep: int = Field(ge=1, description="MoE expert parallelism.")
    memory_fraction: float | None = Field(None, description="GPU memory fraction the engine is given, if set.")
    max_seq_len: int | None = Field(None, description="Engine's maximum sequence length, if set (TRT-LLM).")
    max_batch: int | None = Field(None, description="Engine's cap on requests per step and rank, if set (TRT-LLM).")
    max_tokens: int | None = Field(None, description="Engine's cap on tokens per step, if set (TRT-LLM).")


class Topology(Plain):
    """What of a stack decides its performance; a prediction applies to any stack with this exact topology."""

    system: str = Field(description="AIConfigurator system name (h200_sxm, gb200).")
    backend: str = Field(description="sglang, vllm or trtllm.")
    model: str = Field(description="Model whose architecture AIConfigurator loads (its bundled config).")
    quant: dict[str, str] = Field(description="Quantization modes set explicitly; empty: inferred by the model.")
    prefill: WorkerShape
    decode: WorkerShape

    @property
    def gpus(self) -> int:
        return sum(w.workers * w.gpus for w in (self.prefill, self.decode))


class Point(Plain):
    """One operating point: a load (the benchmark Job's kind: fixed ISL/OSL, requests in flight) and its figures."""

    isl: int = Field(ge=1, description="Input tokens per request.")
    osl: int = Field(ge=1, description="Output tokens per request.")
    concurrency: int = Field(ge=1, description="Requests in flight.")
    prefill_batch: int = Field(ge=1, description="Requests per prefill step and attention-DP rank (chosen).")
    decode_batch: int = Field(ge=1, description="Requests per decode step and attention-DP rank.")
    ttft_ms: float = Field(gt=0, description="Time to first token.")
    itl_ms: float = Field(gt=0, description="Inter-token latency (AIConfigurator's TPOT).")
    output_tokens_per_s: float = Field(gt=0, description="Output tokens per second, the whole graph.")
    output_tokens_per_s_per_gpu: float = Field(gt=0, description="The same per GPU of the graph.")
    silicon_share: dict[str, float] = Field(
        description="Per phase, the share of predicted step time read from measured kernel tables (the rest is "
        "interpolated or modelled)."
    )
    notes: list[str] = Field(default_factory=list, description="AIConfigurator's caveats for this point.")


class StackPrediction(Plain):
    topology: Topology
    perf_database: str = Field(description="Engine version of the kernel tables used, e.g. 'sglang 0.5.14'.")
    points: list[Point] = Field(min_length=1)
    notes: list[str] = Field(default_factory=list, description="Loads AIConfigurator could not place, and why.")


class Predictions(Plain):
    tool: str = Field(description="The estimator, as installed from PyPI (name==version).")
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="When the file was generated (UTC).")
    method: str = Field(description="How the figures were made, in a sentence or two.")
    limits: str = Field(description="What the figures are not.")
    stacks: dict[str, StackPrediction] = Field(description="By the stack file they were made for.")


def load(path: Path = PATH) -> Predictions:
    return Predictions.model_validate_json(path.read_text())
