"""vLLM: the flags of recipe vllm/disagg/deploy_hopper_16gpu, generated from typed worker config."""

import json
from collections.abc import Iterator
from typing import Any

from config.errors import Problem
from config.keys import key
from config.schema import Worker
from specs.backends.base import Backend, WorkerContext

KV_TRANSFER: dict[str, Any] = {"kv_connector": "NixlConnector", "kv_role": "kv_both"}
"""Prefill and decode exchange KV through NIXL (the recipe's connector)."""
KV_TRANSFER_EFA: dict[str, Any] = {**KV_TRANSFER, "kv_connector_extra_config": {"backends": ["LIBFABRIC"]}}
"""NIXL's default UCX backend silently falls back to TCP on EFA; its LIBFABRIC backend speaks EFA."""
DEFAULT_GPU_MEMORY_UTILIZATION = 0.9
"""vLLM's own default, used for the memory check when the stack sets none."""
NEEDS_IBGDA = ("deepep_low_latency", "deepep_high_throughput")
"""DeepEP's kernels need NVSHMEM with InfiniBand GPUDirect Async, which EFA does not offer
(awslabs/ai-on-eks#198, deepseek-ai/DeepEP#369)."""
WORKER_PROBE = {"httpGet": {"path": "/health", "port": 9090}, "periodSeconds": 10, "timeoutSeconds": 10}
FRONTEND_PROBE = {"httpGet": {"path": "/health", "port": 8000}, "periodSeconds": 10, "timeoutSeconds": 1800}


class VLLM(Backend):
    name = "vllm"
    module = "dynamo.vllm"
    cache_mount = "/model-cache"
    working_dir = "/workspace/dynamo"

    def worker_args(self, ctx: WorkerContext) -> list[str]:
        w = ctx.worker
        args = ["--model", ctx.model_path]
        if ctx.role == "prefill":
            args += ["--disaggregation-mode", "prefill"]
        kv = KV_TRANSFER_EFA if ctx.fabric == "efa" else KV_TRANSFER  # deviation nixl-libfabric-on-efa
        args += ["--kv-transfer-config", json.dumps(kv, separators=(",", ":"))]
        args += ["--served-model-name", ctx.served_model_name]
        if w.all2all_backend:
            args += ["--all2all-backend", w.all2all_backend]
        args += ["--tensor-parallel-size", str(w.tp), "--data-parallel-size", str(w.dp)]
        if w.ep > 1:
            args.append("--enable-expert-parallel")
        if w.max_model_len:
            args += ["--max-model-len", str(w.max_model_len)]
        if w.gpu_memory_utilization:
            args += ["--gpu-memory-utilization", str(w.gpu_memory_utilization)]
        return args + w.extra_args

    def container(self, ctx: WorkerContext) -> dict[str, Any]:
        # Weights load for up to 100 minutes (600 x 10 s) before the kubelet gives up: the recipe's budget.
        return {**super().container(ctx), "startupProbe": {**WORKER_PROBE, "failureThreshold": 600}}

    def frontend_container(self) -> dict[str, Any]:
        return {"startupProbe": {**FRONTEND_PROBE, "failureThreshold": 60}}

    def weight_budget(self, w: Worker) -> float:
        return w.gpu_memory_utilization or DEFAULT_GPU_MEMORY_UTILIZATION

    def worker_problems(self, path: str, w: Worker, gpus: int, fabric: str) -> Iterator[Problem]:
        if w.tp * w.dp != gpus:
            yield Problem(
                key(f"{path}.dp"),
                f"tp x dp = {w.tp} x {w.dp} = {w.tp * w.dp} does not match the worker's {gpus} GPUs.",
                f"make tp x dp equal {gpus}, or change {path}.nodes.",
            )
        if w.ep not in (1, w.tp * w.dp):
            yield Problem(
                key(f"{path}.ep"),
                f"ep={w.ep}: vLLM's expert parallelism spans all tp x dp = {w.tp * w.dp} GPUs.",
                f"set ep to 1 (off) or {w.tp * w.dp}.",
            )
        if w.ep > 1 and not w.all2all_backend:
            yield Problem(key(f"{path}.all2allBackend"), "is required with expert parallelism.", "name a backend.")
        if "--enable-dbo" in w.extra_args and w.all2all_backend not in NEEDS_IBGDA:
            yield Problem(
                key(f"{path}.extraArgs"),
                f"--enable-dbo (micro-batch overlap) needs a DeepEP all2all backend, not {w.all2all_backend}.",
                "drop --enable-dbo and --dbo-decode-token-threshold, or use a deepep_* backend off EFA.",
            )
        # DeepEP's all-to-all does not run over EFA: refuse it there rather than hang at the first MoE layer.
        if fabric == "efa" and w.all2all_backend in NEEDS_IBGDA:
            yield Problem(
                key(f"{path}.all2allBackend"),
                f"{w.all2all_backend} needs InfiniBand GPUDirect Async (NVSHMEM IBGDA), which EFA lacks.",
                "use allgather_reducescatter (NCCL, which runs over EFA through aws-ofi-nccl).",
            )
