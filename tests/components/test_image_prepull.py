"""The image pre-pull: the workers' image on every GPU node while the download runs, from a pod that does nothing."""

from collections.abc import Callable

import pytest

from offline.report import inputs, manifests
from offline.run import Run
from tests.support import closure, stacks


@pytest.mark.parametrize("stack", stacks())
def test_every_gpu_node_pulls_the_workers_image_before_the_graph_needs_it(
    stack: str, rendered: Callable[[str], Run]
) -> None:
    run = rendered(stack)
    docs = manifests(run)
    (ds,) = [d for d in docs if d["kind"] == "DaemonSet"]
    (graph,) = [d for d in docs if d["kind"] == "DynamoGraphDeployment"]
    pod = ds["spec"]["template"]["spec"]
    for service in ("prefill", "decode"):
        worker = next(s for n, s in graph["spec"]["services"].items() if n.lower().endswith(service))
        wpod = worker["extraPodSpec"]
        assert pod["containers"][0]["image"] == wpod["mainContainer"]["image"]
        assert pod["nodeSelector"] == wpod["nodeSelector"]
        assert pod["tolerations"] == wpod["tolerations"]
    assert ds["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"


def test_the_prepull_waits_for_neither_the_gpus_nor_the_download(rendered: Callable[[str], Run]) -> None:
    run = rendered("h200-sglang-8")
    (ds,) = [r for r in run.registrations if r.type == "kubernetes:apps/v1:DaemonSet"]
    names = {r.name for r in run.registrations if r.urn in closure(run, ds)}
    assert "namespace" in names
    assert not names & {"gpu-nodes", "model-download-job"}
    container = inputs(ds)["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert "nvidia.com/gpu" not in container["resources"]["limits"]
