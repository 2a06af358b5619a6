"""TensorRT-LLM: recipe trtllm/disagg/wide_ep/gb200, its engine configs generated from typed config."""

import shlex
from collections.abc import Iterator
from typing import Any

import pulumi
import yaml

from config.errors import Problem
from config.keys import key
from config.schema import Serving, Worker
from specs.backends.base import ROLES, Backend, Role, WorkerContext, ep_is_one_or_tp, tp_spans_the_worker

CONFIG_DIR = "/config"
CHANNEL_CLAIM = "compute-domain-channel"
WEIGHT_BUDGET = 0.9
"""TRT-LLM sizes its KV cache from the memory left after the weights; a tenth stays for activations and
CUDA graphs, so the weights may take at most 90% of a GPU."""
WORKER_PROBE = {
    "httpGet": {"path": "/live", "port": 9090},
    "initialDelaySeconds": 30,
    "periodSeconds": 10,
    "timeoutSeconds": 5,
    "failureThreshold": 600,
}


def engine_config_map_name(graph_name: str, role: Role) -> str:
    """Per graph, so two graphs in a namespace do not share the recipe's `prefill-config`."""
    return f"{graph_name}-{role}-engine"


def engine_file(role: Role) -> str:
    return f"{role}_config.yaml"


def engine_config(w: Worker) -> dict[str, Any]:
    """The engine YAML in the recipe's key order; parallelism comes from the worker, the rest from `engine`."""
    e = w.engine
    assert e is not None, "worker_problems() requires an engine config for trtllm"
    cfg: dict[str, Any] = {
        "tensor_parallel_size": w.tp,
        "moe_expert_parallel_size": w.ep,
        "enable_attention_dp": w.enable_dp_attention,
        "pipeline_parallel_size": 1,
        "max_batch_size": e.max_batch_size,
        "max_num_tokens": e.max_num_tokens,
        "max_seq_len": e.max_seq_len,
        "cuda_graph_config": (
            {"enable_padding": True, "batch_sizes": e.cuda_graph_batch_sizes} if e.cuda_graph_batch_sizes else None
        ),
        "print_iter_log": e.print_iter_log,
    }
    if e.disable_overlap_scheduler:
        cfg["disable_overlap_scheduler"] = True
    cfg["kv_cache_config"] = {
        "enable_block_reuse": e.enable_block_reuse,
        "free_gpu_memory_fraction": e.free_gpu_memory_fraction,
        "dtype": e.kv_cache_dtype,
    }
    if e.moe_backend:
        cfg["moe_config"] = {"backend": e.moe_backend}
    cfg["cache_transceiver_config"] = {
        "max_tokens_in_buffer": e.transceiver_max_tokens,
        "backend": e.transceiver_backend,
    }
    if e.stream_interval:
        cfg["stream_interval"] = e.stream_interval
    return cfg


class TensorRTLLM(Backend):
    name = "trtllm"
    module = "dynamo.trtllm"
    cache_mount = "/model-cache"
    working_dir = "/workspace/components/backends/trtllm"

    def worker_args(self, ctx: WorkerContext) -> list[str]:
        return [
            "--model-path",
            ctx.model_path,
            "--served-model-name",
            ctx.served_model_name,
            "--extra-engine-args",
            f"{CONFIG_DIR}/{engine_file(ctx.role)}",
            "--disaggregation-mode",
            ctx.role,
            *ctx.worker.extra_args,
        ]

    def container(self, ctx: WorkerContext) -> dict[str, Any]:
        """The recipe runs the worker through `sh -c` with one command line; so does this."""
        line = shlex.join(["python3", "-m", self.module, *self.worker_args(ctx)])
        out = {**super().container(ctx), "command": ["/bin/sh", "-c"], "args": [line]}
        out["startupProbe"] = WORKER_PROBE
        out["volumeMounts"] = [{"name": f"{ctx.role}-config-volume", "mountPath": CONFIG_DIR}]
        return out

    def service_extras(self, ctx: WorkerContext) -> dict[str, Any]:
        w = ctx.worker
        sized = {k: v for k, v in (("cpu", w.cpu), ("memory", w.memory)) if v}
        resources: dict[str, Any] = {"requests": dict(sized), "limits": dict(sized)} if sized else {}
        pod: dict[str, Any] = {
            "volumes": [
                {
                    "name": f"{ctx.role}-config-volume",
                    "configMap": {"name": engine_config_map_name(ctx.graph_name, ctx.role)},
                }
            ]
        }
        if ctx.compute_domain_channel:
            resources["claims"] = [{"name": CHANNEL_CLAIM}]
            pod["resourceClaims"] = [{"name": CHANNEL_CLAIM, "resourceClaimTemplateName": ctx.compute_domain_channel}]
        return {"resources": resources, "extraPodSpec": pod}

    def frontend_container(self) -> dict[str, Any]:
        return {
            "env": [{"name": "HF_HOME", "value": self.cache_mount}],
            "command": ["/bin/sh", "-c"],
            "args": ["python3 -m dynamo.frontend --http-port 8000\n"],
        }

    def config_maps(self, serving: Serving, namespace: pulumi.Input[str]) -> list[dict[str, Any]]:
        return [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": engine_config_map_name(serving.graph_name, role), "namespace": namespace},
                "data": {engine_file(role): yaml.safe_dump(engine_config(getattr(serving, role)), sort_keys=False)},
            }
            for role in ROLES
        ]

    def weight_budget(self, w: Worker) -> float:
        return WEIGHT_BUDGET

    def worker_problems(self, path: str, w: Worker, gpus: int, fabric: str) -> Iterator[Problem]:
        if w.engine is None:
            yield Problem(
                key(f"{path}.engine"), "is required for TRT-LLM.", "give the engine config (see the gb200 stack)."
            )
        yield from tp_spans_the_worker(path, w, gpus)
        yield from ep_is_one_or_tp(path, w)

    def graph_problems(self, serving: Serving) -> Iterator[Problem]:
        p, d = serving.prefill.engine, serving.decode.engine
        if p is None or d is None:
            return
        if d.max_seq_len < p.max_seq_len:
            yield Problem(
                key("serving.decode.engine.maxSeqLen"),
                f"{d.max_seq_len} is below the prefill worker's {p.max_seq_len}: decode could not take over prompts "
                "that prefill accepted.",
                f"set it to at least {p.max_seq_len} plus the longest output you want.",
            )
        for role, e in (("prefill", p), ("decode", d)):
            if e.transceiver_max_tokens < p.max_seq_len:
                yield Problem(
                    key(f"serving.{role}.engine.transceiverMaxTokens"),
                    f"{e.transceiver_max_tokens} tokens cannot hold the KV of a full prompt ({p.max_seq_len}).",
                    f"set it to at least {p.max_seq_len}.",
                )
