"""Every deliberate difference between a generated graph and the upstream recipe it follows, with its reason.

The graph builder applies exactly these; the recipe parity tests accept a difference only if it is listed here.
"""

from dataclasses import dataclass
from typing import Literal

Scope = Literal["always", "efa"]


@dataclass(frozen=True)
class Deviation:
    id: str
    what: str
    why: str
    scope: Scope
    """`always`, or only where the GPU pool's fabric is EFA."""
    paths: tuple[str, ...]
    """Where the difference shows in a flattened graph (fnmatch patterns; the recipe parity tests use them)."""


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        id="model-path-in-cache",
        what="--model-path is the pinned revision's directory in the cache, not the Hugging Face repo id; "
        "HF_HUB_OFFLINE=1 is set on every service.",
        why="The download Job fills a revision-specific directory once; engines then read exactly that revision and "
        "never reach the Hub at start (users report every gang member re-downloading the weights, "
        "modelplaneai/modelplane#112).",
        scope="always",
        paths=("spec.services.*.args.--model-path", "spec.envs.HF_HUB_OFFLINE"),
    ),
    Deviation(
        id="pvc-name",
        what="The graph mounts the cache PVC the stack creates (named by the stack) instead of `model-cache`.",
        why="The recipe expects a PVC created by hand; the stack owns its cache and names it after the model.",
        scope="always",
        paths=("spec.pvcs.*.name", "spec.services.*.volumeMounts./opt/model"),
    ),
    Deviation(
        id="gpu-pool-placement",
        what="Workers get the GPU pool's nodeSelector and tolerations; the Frontend is pinned to the system nodes.",
        why="The pool is tainted so nothing else lands on rented GPUs; the recipe assumes untainted nodes.",
        scope="always",
        paths=("spec.services.*.extraPodSpec.nodeSelector.*", "spec.services.*.extraPodSpec.tolerations"),
    ),
    Deviation(
        id="nixl-on-efa",
        what="SGLang workers add --disaggregation-transfer-backend nixl.",
        why="SGLang's default KV transfer (Mooncake) fails on p5en EFA with `Failed to create QP` "
        "(sgl-project/sglang#24838); NIXL has a libfabric path for EFA.",
        scope="efa",
        paths=("spec.services.*.args.--disaggregation-transfer-backend",),
    ),
    Deviation(
        id="efa-devices",
        what="Workers request one vpc.amazonaws.com/efa device per network card and set FI_PROVIDER=efa.",
        why="Without the EFA devices in the pod, NCCL and NIXL silently fall back to TCP sockets and hang or crawl "
        "(aws-samples/aws-do-eks#54); the recipe requests no fabric devices at all.",
        scope="efa",
        paths=("spec.services.*.resources.limits.custom.*", "spec.services.*.envs.FI_PROVIDER"),
    ),
)


def applicable(fabric: str) -> tuple[Deviation, ...]:
    return tuple(d for d in DEVIATIONS if d.scope == "always" or d.scope == fabric)
