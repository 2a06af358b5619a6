"""SGLang worker command lines, from typed worker config: the flags the recipes pass, generated."""

from typing import Literal

from components.config import Worker

Role = Literal["prefill", "decode"]
BOOTSTRAP_PORT = 30001
"""Port the prefill worker's KV bootstrap server listens on (the recipes' value)."""
WATCHDOG_TIMEOUT_S = 3600
"""Loading ~690 GB of weights takes longer than SGLang's default watchdog allows (the recipes' value)."""


def worker_command() -> list[str]:
    return ["python3", "-m", "dynamo.sglang"]


def worker_args(role: Role, w: Worker, model_path: str, served_model_name: str, fabric: str) -> list[str]:
    """The argument list of one SGLang worker, in the recipe's order; `extra_args` go before the watchdog."""
    args = ["--model-path", model_path, "--served-model-name", served_model_name, "--tp", str(w.tp)]
    if w.dp > 1:
        args += ["--dp", str(w.dp)]
    if w.enable_dp_attention:
        args.append("--enable-dp-attention")
    if w.ep > 1:
        args += ["--ep-size", str(w.ep)]
    args += [
        "--trust-remote-code",
        "--disaggregation-mode",
        role,
        "--disaggregation-bootstrap-port",
        str(BOOTSTRAP_PORT),
    ]
    if fabric == "efa":
        args += ["--disaggregation-transfer-backend", "nixl"]  # deviation nixl-on-efa
    args += ["--mem-fraction-static", str(w.mem_fraction_static), "--host", "0.0.0.0"]
    args += w.extra_args
    args += ["--watchdog-timeout", str(WATCHDOG_TIMEOUT_S)]
    return args
