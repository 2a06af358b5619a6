"""The Local Zone's limits over a render: EBS volume types, and the weights' path across its link in the estimate."""

import copy
from collections.abc import Callable

from config import resource_types as rt
from offline import report
from offline.checks.local_zone import local_zone_volumes
from offline.checks.render_data import Render
from offline.run import Run
from specs.estimate import figures
from specs.estimate.model import Flows


def test_gb200_gpu_roots_use_the_local_zone_type(rendered: Callable[[str], Run]) -> None:
    r = Render.from_run(rendered("gb200"))
    assert list(local_zone_volumes(r)) == []
    gpu_lt = next(x for x in r.of_type(rt.LAUNCH_TEMPLATE) if x["name"] == "gpu-lt")
    assert [m["ebs"]["volumeType"] for m in gpu_lt["inputs"]["blockDeviceMappings"]] == ["gp2"]
    # The system nodes stay in the Region, on gp3.
    system_lt = next(x for x in r.of_type(rt.LAUNCH_TEMPLATE) if x["name"] == "cluster-system-lt")
    assert [m["ebs"]["volumeType"] for m in system_lt["inputs"]["blockDeviceMappings"]] == ["gp3"]


def test_a_gp3_root_in_the_local_zone_is_found(rendered: Callable[[str], Run]) -> None:
    """What every launch template asked for before issue 21."""
    r = copy.deepcopy(Render.from_run(rendered("gb200")))
    gpu_lt = next(x for x in r.of_type(rt.LAUNCH_TEMPLATE) if x["name"] == "gpu-lt")
    gpu_lt["inputs"]["blockDeviceMappings"][0]["ebs"]["volumeType"] = "gp3"
    (found,) = local_zone_volumes(r)
    assert found.rule == "local-zone-ebs" and "gp3 volume in us-east-1-dfw-2a" in found.message


def test_region_stacks_keep_gp3(rendered: Callable[[str], Run]) -> None:
    r = Render.from_run(rendered("h200-sglang-8"))
    kinds = {
        m["ebs"]["volumeType"] for lt in r.of_type(rt.LAUNCH_TEMPLATE) for m in lt["inputs"]["blockDeviceMappings"]
    }
    assert kinds == {"gp3"}


def test_the_gb200_summary_includes_the_local_zone_path_with_its_source(rendered: Callable[[str], Run]) -> None:
    run = rendered("gb200")
    link = run.outputs["timeToEndpoint"]["localZoneLink"]
    assert link["perNodeMbps"] == figures.LOCAL_ZONE_READ_MBPS_PER_NODE.value
    assert 'EC2 "Amazon EC2 instance network bandwidth"' in link["source"]
    text = report.summary(run)
    assert "weights across the Local Zone link: ~11 min per GPU node at 625 MB/s each" in text
    assert "Amazon EC2 instance network bandwidth" in text
    assert "root volumes: 4500 GB gp2" in text
    # Region stacks read the cache in their own zone: no link.
    assert "localZoneLink" not in rendered("h200-sglang-8").outputs["timeToEndpoint"]


def test_a_slow_link_bounds_the_load() -> None:
    base = Flows(weight_bytes=400_000_000_000, cache_read_mbps=40_000, cache_write_mbps=40_000, loading_nodes=9)
    linked = Flows(**{**base.__dict__, "link_mbps_per_node": 625.0})
    assert base.load_minutes() < 2  # 9 x 400 GB at 40 GB/s: 1.5 min
    assert round(linked.load_minutes(), 1) == round(400e9 / 625e6 / 60, 1)  # each node's 400 GB at 625 MB/s
    # A cache slower than the link stays the bound.
    slow_cache = Flows(**{**linked.__dict__, "cache_read_mbps": 1000.0})
    assert slow_cache.load_minutes() == slow_cache.weight_bytes * 9 / 1e9 / 60
