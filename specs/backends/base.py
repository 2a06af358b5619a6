"""What every backend provides: worker command lines, container and pod extras, and its own config rules.

A backend is data plus small functions of plain values; a new recipe is a new stack file, not new code.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import pulumi

from config.errors import Problem
from config.keys import key
from config.schema import Serving, Worker

Role = Literal["prefill", "decode"]
ROLES: tuple[Role, ...] = ("prefill", "decode")


@dataclass(frozen=True)
class WorkerContext:
    """One worker's plain facts, as its backend needs them."""

    role: Role
    worker: Worker
    model_path: str
    """The checkpoint's directory inside the container."""
    served_model_name: str
    fabric: str
    gpus_per_node: int
    """GPUs of one pod (one node's share of the worker)."""
    graph_name: str
    compute_domain_channel: str | None = None
    """Resource claim template of the IMEX channel (GB200), or None."""

    @property
    def gpus(self) -> int:
        return self.worker.nodes * self.gpus_per_node


class Backend:
    """Defaults shared by the backends; each subclass states its recipe's constants and overrides what differs."""

    name: str
    module: str
    """Python module the worker runs (`python3 -m <module>`)."""
    cache_mount: str
    """Where the recipes mount the model cache."""
    working_dir: str
    backend_framework: bool = True
    """Whether the recipes set spec.backendFramework."""

    def worker_args(self, ctx: WorkerContext) -> list[str]:
        raise NotImplementedError

    def container(self, ctx: WorkerContext) -> dict[str, Any]:
        """The worker's mainContainer, less its image."""
        out: dict[str, Any] = {
            "workingDir": ctx.worker.working_dir or self.working_dir,
            "command": ["python3", "-m", self.module],
            "args": self.worker_args(ctx),
        }
        if ctx.worker.env:
            out["env"] = [{"name": k, "value": v} for k, v in ctx.worker.env.items()]
        return out

    def service_extras(self, ctx: WorkerContext) -> dict[str, Any]:
        """Additions to the worker's service: resource requests, claims, pod volumes."""
        return {}

    def frontend_container(self) -> dict[str, Any]:
        return {}

    def graph_env(self) -> dict[str, str]:
        return {}

    def config_maps(self, serving: Serving, namespace: pulumi.Input[str]) -> list[dict[str, Any]]:
        return []

    def weight_budget(self, w: Worker) -> float:
        """Share of a GPU's memory the weights may take."""
        raise NotImplementedError

    def worker_problems(self, path: str, w: Worker, gpus: int, fabric: str) -> Iterator[Problem]:
        """Rules of one worker; `path` is its config path (`serving.decode`), `gpus` its GPUs in all."""
        return iter(())

    def graph_problems(self, serving: Serving) -> Iterator[Problem]:
        """Rules across the two workers."""
        return iter(())


def tp_spans_the_worker(path: str, w: Worker, gpus: int) -> Iterator[Problem]:
    """SGLang and TRT-LLM shard the model over all of a worker's GPUs: tp must equal them."""
    if w.tp != gpus:
        yield Problem(
            key(f"{path}.tp"),
            f"tp={w.tp} does not match the worker's GPUs: nodes ({w.nodes}) x GPUs per node ({gpus // w.nodes})"
            f" = {gpus}.",
            f"set {path}.tp to {gpus} or change {path}.nodes.",
        )


def ep_is_one_or_tp(path: str, w: Worker) -> Iterator[Problem]:
    if w.ep not in (1, w.tp):
        yield Problem(key(f"{path}.ep"), f"ep={w.ep} must be 1 or equal tp={w.tp}.", f"set ep to 1 or {w.tp}.")
