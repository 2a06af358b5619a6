"""Staging: nothing the weights wait for waits for GPU nodes, in every stack; with just-in-time GPUs the GPU node
group waits for the download's gate instead (issue 23, item 4)."""

from collections.abc import Callable

import pytest

from offline.run import Run
from tests.support import closure, stacks


@pytest.mark.parametrize("stack", stacks())
def test_the_download_never_waits_for_gpu_nodes(stack: str, rendered: Callable[[str], Run]) -> None:
    run = rendered(stack)
    (download,) = [
        r for r in run.registrations if r.type == "kubernetes:batch/v1:Job" and r.name == "model-download-job"
    ]
    waits = closure(run, download)
    gpu = [r.urn for r in run.registrations if "GpuNodePool$" in r.urn and r.type == "aws:eks/nodeGroup:NodeGroup"]
    assert waits and not set(gpu) & waits  # it waits for something (the claim), never for the GPUs
    assert not [u for u in waits if "FabricCheck$" in u or "ImagePrepull$" in u]
    gates = [r for r in run.registrations if r.type == "kubernetes:batch/v1:Job" and r.name == "gpu-gate-job"]
    if gates and gpu:
        (gate,) = gates
        (node_group,) = [r for r in run.registrations if r.urn in gpu]
        assert gate.urn in node_group.dependencies and not set(gpu) & closure(run, gate)
