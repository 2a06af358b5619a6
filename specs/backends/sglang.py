"""SGLang: the flags of recipes sglang/disagg-8gpu and disagg-16gpu, generated from typed worker config."""

from collections.abc import Iterator

from config.errors import Problem
from config.keys import key
from config.schema import Worker
from specs.backends.base import Backend, WorkerContext, ep_is_one_or_tp, tp_spans_the_worker

BOOTSTRAP_PORT = 30001
"""Port the prefill worker's KV bootstrap server listens on (the recipes' value)."""
WATCHDOG_TIMEOUT_S = 3600
"""Loading ~690 GB of weights takes longer than SGLang's default watchdog allows (the recipes' value)."""


class SGLang(Backend):
    name = "sglang"
    module = "dynamo.sglang"
    cache_mount = "/opt/model"
    working_dir = "/workspace"
    backend_framework = False

    def worker_args(self, ctx: WorkerContext) -> list[str]:
        """In the recipe's order; `extraArgs` go before the watchdog."""
        w = ctx.worker
        args = ["--model-path", ctx.model_path, "--served-model-name", ctx.served_model_name, "--tp", str(w.tp)]
        if w.dp > 1:
            args += ["--dp", str(w.dp)]
        if w.enable_dp_attention:
            args.append("--enable-dp-attention")
        if w.ep > 1:
            args += ["--ep-size", str(w.ep)]
        args += [
            "--trust-remote-code",
            "--disaggregation-mode",
            ctx.role,
            "--disaggregation-bootstrap-port",
            str(BOOTSTRAP_PORT),
        ]
        if ctx.fabric == "efa":
            args += ["--disaggregation-transfer-backend", "nixl"]  # deviation nixl-on-efa
        args += ["--mem-fraction-static", str(w.mem_fraction_static), "--host", "0.0.0.0"]
        args += w.extra_args
        args += ["--watchdog-timeout", str(WATCHDOG_TIMEOUT_S)]
        return args

    def graph_env(self) -> dict[str, str]:
        return {"HF_HOME": self.cache_mount}

    def weight_budget(self, w: Worker) -> float:
        return w.mem_fraction_static or 0.0

    def worker_problems(self, path: str, w: Worker, gpus: int, fabric: str) -> Iterator[Problem]:
        if w.mem_fraction_static is None:
            yield Problem(key(f"{path}.memFractionStatic"), "is required for SGLang.", "set it (the recipes use 0.75).")
        mismatch = list(tp_spans_the_worker(path, w, gpus))
        if mismatch:
            yield from mismatch
            return
        if w.tp % w.dp:
            yield Problem(key(f"{path}.dp"), f"dp={w.dp} does not divide tp={w.tp}.", f"use a divisor of {w.tp}.")
        if w.dp > 1 and not w.enable_dp_attention:
            yield Problem(
                key(f"{path}.enableDpAttention"),
                f"dp={w.dp} needs DP attention in SGLang.",
                f"set {path}.enableDpAttention: true or dp: 1.",
            )
        yield from ep_is_one_or_tp(path, w)
