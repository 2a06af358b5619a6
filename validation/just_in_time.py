"""Just-in-time GPUs (gpuPool.justInTime) only where they save money and can exist."""

from collections.abc import Iterator

from config.errors import Problem
from config.keys import key
from config.schema import EksTarget, StackConfig


def problems(cfg: StackConfig) -> Iterator[Problem]:
    pool = cfg.gpu_pool
    if not pool.just_in_time:
        return
    if not isinstance(cfg.target, EksTarget):
        yield Problem(
            key("gpuPool.justInTime"),
            "starts a GPU node group the stack creates; on an existing cluster it creates none.",
            "remove gpuPool.justInTime.",
        )
    elif pool.capacity.type != "on-demand":
        yield Problem(
            key("gpuPool.justInTime"),
            f"saves nothing on a {pool.capacity.type}: it is paid from its start, and starting its nodes late only"
            " wastes its time.",
            "remove gpuPool.justInTime (the nodes start as soon as the cluster exists).",
        )
