"""Each stack's time-to-endpoint estimate: exported, recomputable from resources.json, and what the summary shows."""

from collections.abc import Callable

import pytest

from offline.report import resource_entries, summary
from offline.run import Run
from specs import graph_spec
from specs.estimate import model
from specs.estimate.model import Flows
from specs.estimate.summary import estimate, nodes_from_resources
from tests.support import render, stacks


@pytest.mark.parametrize("stack", stacks())
def test_resources_json_carries_providers_and_recomputes_the_exported_estimate(
    stack: str, rendered: Callable[[str], Run]
) -> None:
    run = rendered(stack)
    exported = run.outputs["timeToEndpoint"]
    entries = resource_entries(run)
    namespace = next(e for e in entries if e["type"] == "kubernetes:core/v1:Namespace")
    assert namespace["provider"] is not None and "pulumi:providers:kubernetes" in namespace["provider"]
    # The program's own graph (a stack transformation) and the engine's (the mocks' monitor) give the same numbers.
    assert estimate(nodes_from_resources(entries), Flows(**exported["inputs"])) == exported
    assert 0 < exported["warmCacheMinutes"] < exported["coldCacheMinutes"]
    text = summary(run)
    assert "time to a passing smoke test (estimate, typical [fast-slow])" in text
    assert f"[{exported['coldCacheRange'][0]:.0f}-{exported['coldCacheRange'][1]:.0f}] cold cache" in text


def test_without_provider_edges_the_kubernetes_objects_would_start_at_once(rendered: Callable[[str], Run]) -> None:
    run = rendered("h200-sglang-8")
    entries = resource_entries(run)
    flows = Flows(**run.outputs["timeToEndpoint"]["inputs"])
    namespace = next(e["urn"] for e in entries if e["type"] == "kubernetes:core/v1:Namespace")
    with_provider = model.run(nodes_from_resources(entries), flows, warm=False).schedule
    without = model.run(nodes_from_resources([{**e, "provider": None} for e in entries]), flows, warm=False).schedule
    assert without.start[namespace] == 0.0
    # The cluster's provider is usable once the system nodes joined (cluster 10 min + node group 4 min).
    assert with_provider.start[namespace] > 14.0


@pytest.mark.parametrize(
    ("stack", "cold", "warm", "idle_cold", "on_chain"),
    [
        # Typical figures (specs/estimate/figures.py): EKS 16.2, the FSx CSI add-on 3 after the system nodes, the
        # download 12 (690 GB at the Hub's ~1,000 MB/s), so just-in-time GPUs start at once and their node group,
        # the fabric check and the graph (load 10, DeepGEMM compile 15, start 4) are the path; warm skips the compile.
        # The GPUs idle through the fabric check: the all-reduce (4) and the KV-path transfer (3).
        ("h200-sglang-8", 71, 56, 7, "gpu-nodes"),
        ("h200-sglang-16", 71, 56, 7, "gpu-nodes"),
        ("h200-vllm-16", 64, 56, 7, "gpu-nodes"),
        # A Capacity Block starts at once (no just-in-time): the 425 GB download is on the path, the nodes wait.
        ("gb200", 60, 52, 7, "model-download-job"),
        # dev: the monitoring stack (3, its CRDs) comes before the platform and the graph.
        ("dev", 32, 16, None, "observability-kube-prometheus-stack"),
    ],
)
def test_each_stacks_estimate(
    stack: str, cold: float, warm: float, idle_cold: float | None, on_chain: str, rendered: Callable[[str], Run]
) -> None:
    est = rendered(stack).outputs["timeToEndpoint"]
    assert est["coldCacheMinutes"] == pytest.approx(cold, abs=1)
    assert est["warmCacheMinutes"] == pytest.approx(warm, abs=1)
    assert est.get("gpuIdleMinutesCold") == (pytest.approx(idle_cold, abs=1) if idle_cold is not None else None)
    assert on_chain in " ".join(est["coldChain"])


@pytest.mark.parametrize("stack", stacks())
def test_every_graph_starts_well_within_its_ready_timeout(stack: str, rendered: Callable[[str], Run]) -> None:
    inputs = rendered(stack).outputs["timeToEndpoint"]["inputs"]
    # A first start at the slow end of every figure still fits the graph's Ready timeout.
    assert model.graph_start_minutes(Flows(**inputs), "slow") < graph_spec.READY_TIMEOUT_S / 60


def test_a_cache_too_slow_for_the_ready_timeout_is_warned_about() -> None:
    run = render(
        "gb200",
        'modelCache={"storage": "fsx-lustre", "sizeGib": 1200, "fsxThroughputPerTib": 125, "targetReadMinutes": 600}',
    )
    release = "dsr1:dynamo.version"  # upstream's known degradations of the release (tests/validation/test_releases.py)
    (warning,) = [w for w in run.outputs["warnings"] if not w.startswith(release)]
    assert "beyond its 120 min Ready timeout" in warning
    assert [w for w in render("gb200").outputs.get("warnings", []) if not w.startswith(release)] == []
