"""A Capacity Block's window: staged before its start, everything after, refused once ended or too short."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from config import catalog
from config import resource_types as rt
from config.errors import ConfigError
from config.schema import Capacity
from offline import report
from offline.mocks import CAPACITY_BLOCK
from offline.run import Run
from specs import capacity
from tests.support import ROOT, as_output, block_time, render

GB200 = catalog.INSTANCE_TYPES["p6e-gb200.36xlarge"]
GPU_PHASE = ("dsr1:index:FabricCheck", "kubernetes:nvidia.com/v1alpha1:DynamoGraphDeployment")


def gb200(start: str, end: str) -> Run:
    return render("gb200", f"gpuPool.capacity.startTime='{start}'", f"gpuPool.capacity.endTime='{end}'")


def types(run: Run) -> Counter[str]:
    return Counter(r.type for r in run.registrations)


def node_groups(run: Run) -> list[str]:
    return sorted(r.name for r in run.registrations if r.type == rt.NODE_GROUP)


@pytest.fixture(scope="module")
def staged() -> Run:
    return gb200(block_time(1), block_time(3))


def test_before_the_start_everything_but_the_gpus_is_built(staged: Run) -> None:
    found = types(staged)
    assert found[rt.EKS_CLUSTER] == 1 and found[rt.LUSTRE] == 1 and found[rt.SUBNET] == 5
    jobs = [r.name for r in staged.registrations if r.type == "kubernetes:batch/v1:Job"]
    assert jobs == ["model-download-job"]
    # Nothing that waits for GPU nodes: no GPU node group, launch template, fabric check, pre-pull or graph.
    assert node_groups(staged) == ["cluster-download-nodes", "cluster-system-nodes"]
    assert not [r for r in staged.registrations if r.type in GPU_PHASE or r.name.startswith(("gpu-", "image-prepull"))]
    assert not [r for r in staged.registrations if r.type == "kubernetes:batch/v1:Job" and "smoke" in r.name]


def test_before_the_start_no_gpu_daemonset_waits_for_nodes(staged: Run) -> None:
    releases = [r.name for r in staged.registrations if r.type == rt.HELM_RELEASE]
    assert not [n for n in releases if "device-plugin" in n or "dra-driver" in n]


def test_the_window_comes_from_ec2_when_the_config_has_none() -> None:
    """Online the preflight reads StartDate and EndDate (DescribeCapacityReservations); the file carries no dates."""
    start, end = block_time(2), block_time(4)
    run = render("gb200", invokes={CAPACITY_BLOCK: {"state": "scheduled", "startDate": start, "endDate": end}})
    assert node_groups(run) == ["cluster-download-nodes", "cluster-system-nodes"]  # the download needs no GPU: staged
    assert f"starts at {as_output(start)}" in run.outputs["capacityStage"]
    assert run.outputs["capacityEndTime"] == as_output(end)


def test_the_summary_says_when_to_run_up_again(staged: Run) -> None:
    start = as_output(block_time(1))
    notice = staged.outputs["capacityStage"]
    assert f"Run `pulumi up` again at or after {start}" in notice
    assert "no GPU node group, fabric check or graph yet" in notice
    assert f"capacity not started: Capacity Block cr-0123456789abcdef0 starts at {start}" in report.summary(staged)
    assert "frontendUrl" not in staged.outputs and "smokeJob" not in staged.outputs
    assert "time to the staged stack (GPU phase after the block starts)" in report.summary(staged)


def test_after_the_start_everything_is_built() -> None:
    run = gb200(block_time(-1), block_time(3))
    found = types(run)
    assert node_groups(run) == ["cluster-download-nodes", "cluster-system-nodes", "gpu-nodes"]
    assert all(found[t] == 1 for t in GPU_PHASE)
    assert "capacityStage" not in run.outputs and run.outputs["capacityEndTime"] == as_output(block_time(3))


def test_an_ended_block_is_refused_with_the_fix() -> None:
    # EC2 reports an ended block as expired (the mocks answer so for an end in the past).
    with pytest.raises(ConfigError) as e:
        gb200(block_time(-3), block_time(-1))
    (problem,) = e.value.problems
    assert problem.key == "dsr1:gpuPool.capacity.id" and "is expired" in problem.message
    assert "purchase-capacity-block" in problem.fix


def test_a_block_past_its_end_is_refused_even_if_ec2_says_active() -> None:
    end = block_time(-1)
    with pytest.raises(ConfigError) as e:
        render(
            "gb200",
            f"gpuPool.capacity.startTime='{block_time(-3)}'",
            f"gpuPool.capacity.endTime='{end}'",
            invokes={CAPACITY_BLOCK: {"state": "active"}},
        )
    (problem,) = e.value.problems
    assert f"ended at {as_output(end)}" in problem.message and "purchase-capacity-block" in problem.fix


def test_a_block_ending_before_the_endpoint_could_be_up_is_refused() -> None:
    # Running, and ending in 90 minutes: EC2 terminates an UltraServer's instances 60 minutes before the end, and the
    # GPU phase (node group, fabric check, the graph's start, smoke test) takes longer than the 30 left.
    end = (datetime.now(UTC) + timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(ConfigError) as e:
        gb200(block_time(-1), end)
    (problem,) = e.value.problems
    assert "before the endpoint could be up" in problem.message
    assert "purchase-capacity-block-extension" in problem.fix


def test_window_problems_are_relative_to_now() -> None:
    cap = Capacity.model_validate({"type": "capacity-block", "id": "cr-0123456789abcdef0", "instanceCount": 9})
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    day = timedelta(days=1)
    window = capacity.Window(now + day, now + 3 * day)
    assert window.staged(now) and not window.staged(now + 2 * day)
    assert capacity.window_problems(cap, window, GB200, now, 45) == []
    # The first `up` after the start, 45 min of GPU phase: fine until 45 min + the 60-minute lead before the end.
    late = now + 3 * day - timedelta(minutes=110)
    assert capacity.window_problems(cap, window, GB200, late, 45) == []
    assert capacity.window_problems(cap, window, GB200, late + timedelta(minutes=10), 45)
    assert "ended at" in capacity.window_problems(cap, window, GB200, now + 3 * day, 45)[0].message
    # Nothing is known (offline, no dates): nothing is refused and nothing staged.
    assert capacity.window_problems(cap, capacity.Window(), GB200, now, 45) == []
    assert not capacity.Window().staged(now)


def test_the_committed_gb200_carries_no_dates() -> None:
    text = (ROOT / "Pulumi.gb200.yaml").read_text()
    config = [line.split("#", 1)[0] for line in text.splitlines()]
    assert not any(k in line for line in config for k in ("endTime", "startTime", "2026-", "2027-"))


def test_the_committed_gb200_renders_without_a_date_warning() -> None:
    run = render("gb200")
    assert "capacityStage" not in run.outputs and "capacityEndTime" not in run.outputs
    assert "`pulumi up` reads them from EC2" in run.outputs["capacityWindow"]
    assert "capacity window: Capacity Block cr-0123456789abcdef0: start and end not known offline" in report.summary(
        run
    )
    assert not any("ended" in w or "past" in w for w in run.outputs.get("warnings", []))


def test_a_start_time_that_is_not_the_blocks_is_refused() -> None:
    with pytest.raises(ConfigError) as e:
        render(
            "gb200",
            f"gpuPool.capacity.startTime='{block_time(1)}'",
            invokes={CAPACITY_BLOCK: {"state": "scheduled", "startDate": block_time(2)}},
        )
    (problem,) = e.value.problems
    assert problem.key == "dsr1:gpuPool.capacity.startTime" and f"set it to {block_time(2)}" in problem.fix
