"""Each stack's time-to-endpoint estimate: exported, recomputable from resources.json, and what the summary shows."""

from collections.abc import Callable

import pytest

from offline.report import resource_entries, summary
from offline.run import Run
from specs import graph_spec
from specs.estimate import figures, model
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
    # Equal when the download is off the critical path (dev's 16 GB is done before the monitoring stack and platform).
    assert 0 < exported["warmCacheMinutes"] <= exported["coldCacheMinutes"]
    assert "time to a passing smoke test (estimate)" in summary(run)


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
    ("stack", "cold", "warm", "idle_cold"),
    [
        # Download 58 min (690 GB at 200 MB/s) after cluster, the add-ons the nodes need (VPC CNI, Pod Identity
        # Agent) and the system nodes (~15.5); graph 18 (load 10 + warm-up 8).
        ("h200-sglang-8", 93, 51, 7),
        ("h200-sglang-16", 93, 51, 7),
        ("h200-vllm-16", 93, 51, 7),
        # A Capacity Block starts at once (no just-in-time): its nodes wait through the 425 GB download.
        ("gb200", 75, 50, 33),
        # dev: the monitoring stack (its CRDs) before the platform, then the graph: ~2 + 2 + 15 + 1.
        ("dev", 19, 19, None),
    ],
)
def test_each_stacks_estimate(
    stack: str, cold: float, warm: float, idle_cold: float | None, rendered: Callable[[str], Run]
) -> None:
    est = rendered(stack).outputs["timeToEndpoint"]
    assert est["coldCacheMinutes"] == pytest.approx(cold, abs=1)
    assert est["warmCacheMinutes"] == pytest.approx(warm, abs=1)
    assert est.get("gpuIdleMinutesCold") == (pytest.approx(idle_cold, abs=1) if idle_cold is not None else None)
    critical = "model-download-job" in " ".join(est["coldChain"])
    assert critical or est["coldCacheMinutes"] == est["warmCacheMinutes"]


@pytest.mark.parametrize("stack", stacks())
def test_every_graph_starts_well_within_its_ready_timeout(stack: str, rendered: Callable[[str], Run]) -> None:
    inputs = rendered(stack).outputs["timeToEndpoint"]["inputs"]
    minutes = Flows(**inputs).load_minutes() + figures.IMAGE_PULL_MINUTES.value + figures.WARMUP_MINUTES.value
    assert minutes < graph_spec.READY_TIMEOUT_S / 60 / 2


def test_a_cache_too_slow_for_the_ready_timeout_is_warned_about() -> None:
    run = render(
        "gb200",
        'modelCache={"storage": "fsx-lustre", "sizeGib": 1200, "fsxThroughputPerTib": 125, "targetReadMinutes": 600}',
    )
    (warning,) = run.outputs["warnings"]
    assert "beyond its 120 min Ready timeout" in warning
    assert "warnings" not in render("gb200").outputs
