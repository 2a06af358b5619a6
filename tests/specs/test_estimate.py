"""The estimate on hand-made graphs: critical path, data flows, warm cache, just-in-time GPUs, idle GPU time."""

import pytest

from specs.estimate import figures
from specs.estimate.critical_path import Node, schedule
from specs.estimate.model import Flows, run
from specs.estimate.summary import estimate, nodes_from_resources

P = "urn:pulumi:s::p::"
GB = 1_000_000_000


def node(path: str, deps: tuple[str, ...] = ()) -> Node:
    """`path` is `parentType$type::name` as in a URN."""
    return Node(P + path, path.split("::")[0].split("$")[-1], frozenset(P + d for d in deps))


def flows(**kw: object) -> Flows:
    base: dict[str, object] = {"weight_bytes": 600 * GB, "cache_read_mbps": 1000.0, "cache_write_mbps": 1000.0}
    base["loading_nodes"] = 2
    base["price_per_hour_usd"] = 120.0
    return Flows(**{**base, **kw})  # type: ignore[arg-type]


CLUSTER = "aws:eks/cluster:Cluster::eks"
FSX = "dsr1:index:ModelCache$aws:fsx/lustreFileSystem:LustreFileSystem::fsx"
DOWNLOAD = "dsr1:index:ModelDownloadJob$kubernetes:batch/v1:Job::dl"
GPU = "dsr1:index:GpuNodePool$aws:eks/nodeGroup:NodeGroup::gpu"
GRAPH = "dsr1:index:DisaggInferenceGraph$kubernetes:nvidia.com/v1alpha1:DynamoGraphDeployment::graph"
SMOKE = "dsr1:index:EndpointChecks$kubernetes:batch/v1:Job::checks-smoke"


def stack(*extra: Node, graph_deps: tuple[str, ...] = (DOWNLOAD, GPU)) -> list[Node]:
    return [
        node(CLUSTER),
        node(FSX, (CLUSTER,)),
        node(DOWNLOAD, (FSX,)),
        node(GPU, (CLUSTER,)),
        node(GRAPH, graph_deps),
        node(SMOKE, (GRAPH,)),
        *extra,
    ]


def test_the_longest_chain_wins_and_unknown_dependencies_are_ignored() -> None:
    a, b, c, d = (
        Node(x, "t", frozenset(deps)) for x, deps in [("a", []), ("b", ["a"]), ("c", []), ("d", ["b", "c", "?"])]
    )
    minutes = {"a": 5.0, "b": 1.0, "c": 7.0, "d": 2.0}
    s = schedule([d, c, b, a], lambda n, _s, _f: minutes[n.urn])
    assert s.finish["d"] == 9.0
    assert s.chain("d") == ["c", "d"]  # c (7) ends after a -> b (6)


def test_cold_chain_runs_through_the_download_and_warm_through_the_gpus() -> None:
    f = flows(cache_write_mbps=800.0)
    cold, warm = run(stack(), f, warm=False), run(stack(), f, warm=True)
    fetch = 600 * GB / (800 * 1e6) / 60  # the cache's writes (800 MB/s) are slower than the Hub (1,000)
    eks, fsx = figures.MINUTES["eks-cluster"].typical, figures.MINUTES["fsx-lustre"].typical
    assert cold.schedule.finish[P + DOWNLOAD] == pytest.approx(eks + fsx + 1 + fetch + 5.4e9 / 1e9 / 60, abs=0.01)
    assert f.download_limit() == "the cache's writes"
    assert [u.rsplit("::", 1)[-1] for u in cold.schedule.chain(cold.target)] == [
        "eks",
        "fsx",
        "dl",
        "graph",
        "checks-smoke",
    ]
    assert [u.rsplit("::", 1)[-1] for u in warm.schedule.chain(warm.target)] == ["eks", "gpu", "graph", "checks-smoke"]
    gpu_ready = eks + figures.MINUTES["gpu-node-group"].typical
    assert cold.gpu_idle_minutes == pytest.approx(cold.schedule.finish[P + DOWNLOAD] - gpu_ready)
    assert warm.gpu_idle_minutes == 0.0


def test_the_download_runs_at_the_slowest_of_the_hub_the_node_and_the_cache() -> None:
    assert flows(cache_write_mbps=5000.0).download_mbps() == figures.HUB_MBPS.typical
    node = flows(cache_write_mbps=5000.0, node_internet_mbps=625.0, download_node="m7i.4xlarge")
    assert node.download_mbps() == 625.0 and node.download_limit() == "the download node (m7i.4xlarge)"
    # Every limit is named: the Hub, the downloader's own CPU, the node and the cache.
    assert set(node._limits("typical")) == {
        "the Hub",
        "the downloader's CPU",
        "the download node (m7i.4xlarge)",
        "the cache's writes",
    }
    assert node._limits("typical")["the downloader's CPU"] == figures.DOWNLOADER_MBPS.typical
    # A rate's fast end is its high value: the fast case downloads quicker than the slow one.
    assert flows().download_minutes("fast") < flows().download_minutes() < flows().download_minutes("slow")


def test_a_warm_start_skips_the_compile_only_when_the_caches_persist() -> None:
    compile_ = figures.COMPILE_MINUTES["sglang"].typical
    assert flows().engine_minutes(first_start=True) - flows().engine_minutes(first_start=False) == compile_
    assert flows(compile_cache=False).engine_minutes(first_start=False) == flows().engine_minutes(first_start=True)
    cold, warm = run(stack(), flows(), warm=False), run(stack(), flows(), warm=True)
    cold_took, warm_took = (r.schedule.finish[P + GRAPH] - r.schedule.start[P + GRAPH] for r in (cold, warm))
    assert cold_took - warm_took == pytest.approx(compile_)


def test_a_restarted_worker_loads_alone_and_compiles_only_on_a_first_start() -> None:
    f = flows(loading_nodes=4)
    assert f.load_minutes(nodes=1) == pytest.approx(f.load_minutes() / 4)
    later = f.restart_minutes(first_start=False)
    assert later == pytest.approx(f.load_minutes(nodes=1) + figures.ENGINE_START_MINUTES.typical)
    assert f.restart_minutes(first_start=True) - later == pytest.approx(figures.COMPILE_MINUTES["sglang"].typical)


def test_every_figure_has_a_range_and_a_source_or_says_it_is_an_assumption() -> None:
    found = figures.all_figures()
    assert "minutes.eks-cluster" in found and "compile.sglang" in found
    for name, f in found.items():
        assert f.low is not None and f.high is not None, name
        assert f.low <= f.typical <= f.high, name
        assert f.source.strip(), name
        if not f.sourced:
            assert f.source.startswith("assumption"), name


def test_the_range_brackets_the_typical_estimate() -> None:
    cases = {case: run(stack(), flows(), warm=False, case=case).minutes for case in figures.CASES}
    assert cases["fast"] < cases["typical"] < cases["slow"]
    est = estimate(stack(), flows())
    assert est["coldCacheRange"][0] < est["coldCacheMinutes"] < est["coldCacheRange"][1]
    assert est["warmCacheRange"][0] < est["warmCacheMinutes"] < est["warmCacheRange"][1]


def test_a_pod_mounting_the_cache_waits_for_its_csi_add_on() -> None:
    csi = node("dsr1:index:EksCluster$aws:eks/addon:Addon::cluster-aws-fsx-csi-driver", (CLUSTER,))
    dl = node(DOWNLOAD, (FSX, csi.urn.removeprefix(P)))
    nodes = [n for n in stack() if n.urn != P + DOWNLOAD] + [csi, dl]
    r = run(nodes, flows(), warm=False)
    assert r.schedule.finish[csi.urn] - r.schedule.start[csi.urn] == figures.CSI_ADDON.typical
    assert r.schedule.start[P + DOWNLOAD] == max(r.schedule.finish[P + FSX], r.schedule.finish[csi.urn])


def test_a_second_hash_pass_rereads_every_byte() -> None:
    overlapped = flows().download_minutes()
    second_pass = flows(verify_while_downloading=False).download_minutes()
    assert second_pass - overlapped == pytest.approx((600 * GB - 5.4e9) / 1e9 / 60)  # at the cache's 1000 MB/s


def test_concurrent_loaders_share_the_cache_and_efs_clients_do_not() -> None:
    assert flows(loading_nodes=1).load_minutes() == pytest.approx(10.0)
    assert flows(loading_nodes=9).load_minutes() == pytest.approx(90.0)
    assert flows(loading_nodes=9, per_client=True, cache_read_mbps=270.0).load_minutes() == pytest.approx(
        600 * GB / 270e6 / 60
    )


def test_prepulled_images_leave_the_graph_only_load_and_warmup() -> None:
    prepull = node("dsr1:index:ImagePrepull$kubernetes:apps/v1:DaemonSet::prepull", (CLUSTER,))
    f = flows()
    without, with_ = run(stack(), f, warm=False), run(stack(prepull), f, warm=False)
    took = with_.schedule.finish[P + GRAPH] - with_.schedule.start[P + GRAPH]
    assert took == pytest.approx(f.load_minutes() + f.engine_minutes(first_start=True))
    assert without.minutes - with_.minutes == pytest.approx(figures.IMAGE_PULL_MINUTES.value)


def test_just_in_time_gpus_come_up_as_the_download_ends() -> None:
    gate = node("dsr1:index:GpuGate$kubernetes:batch/v1:Job::gate", (FSX,))
    gpu = node(GPU, (CLUSTER, "dsr1:index:GpuGate$kubernetes:batch/v1:Job::gate"))
    nodes = [n for n in stack() if n.urn != P + GPU] + [gate, gpu]
    f = flows(jit_lead_minutes=8.0)  # the node group's own time: ready as the last byte lands
    r = run(nodes, f, warm=False)
    assert r.schedule.finish[P + GPU] == pytest.approx(r.schedule.finish[P + DOWNLOAD])
    assert r.gpu_idle_minutes == pytest.approx(0.0)
    assert r.minutes == pytest.approx(run(stack(), f, warm=False).minutes)


def test_estimate_prices_idle_gpus_and_reads_resources_json() -> None:
    entries = [{"urn": n.urn, "type": n.type, "dependsOn": sorted(n.deps), "provider": None} for n in stack()]
    est = estimate(nodes_from_resources(entries), flows())
    assert est["gpuIdleUsdCold"] == round(est["gpuIdleMinutesCold"] / 60 * 120, 0)
    assert est["coldChain"][0].startswith(f"eks ({figures.MINUTES['eks-cluster'].typical:.0f} min")
