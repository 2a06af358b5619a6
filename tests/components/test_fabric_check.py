"""The fabric check: its verdict on NCCL logs, its Job on every node of the pool, and the graph waiting for it."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from config import catalog, versions
from config.errors import ConfigError
from in_pod import nccl_check
from offline.report import inputs
from offline.run import Run
from specs import fabric_defaults
from tests.support import closure, render, stack_values, stacks_where

HEADER = """\
# nThread 1 nGpus 1 minBytes 536870912 maxBytes 8589934592 step: 2(factor) warmup iters: 5 iters: 20
#       size         count      type   redop    root     time   algbw   busbw #wrong     time   algbw   busbw #wrong
#        (B)    (elements)                               (us)  (GB/s)  (GB/s)            (us)  (GB/s)  (GB/s)
"""
OFI = """\
node-0:41:41 [0] NCCL INFO NET/OFI Initializing aws-ofi-nccl 1.16.3
node-0:41:41 [0] NCCL INFO NET/OFI Selected provider is efa, fabric is efa-direct (found 16 nics)
node-0:41:41 [0] NCCL INFO Using network Libfabric
"""
SOCKET = """\
node-0:41:41 [0] NCCL INFO NET/Plugin: Could not find: libnccl-net.so. Using internal network plugin.
node-0:41:41 [0] NCCL INFO NET/Socket : Using [0]eth0:10.40.1.7<0>
node-0:41:41 [0] NCCL INFO Using network Socket
"""

HOST = {"cpu": "16", "memory": "64Gi"}
"""What every check pod asks for besides its GPUs and fabric devices."""


def row(size: int, busbw: float, wrong: int) -> str:
    half = f"3000.0  178.96  {busbw}  {wrong}"
    return f"{size:>12} {size // 4:>12}  float  sum  -1  {half}  {half}\n"


def rows(busbw: float, wrong: int = 0) -> str:
    return (
        row(536870912, 335.5, 0)
        + row(8589934592, busbw, wrong)
        + "# Out of bounds values : 0 OK\n# Avg bus bandwidth    : 350.2\n"
    )


def test_efa_over_ofi_at_full_bandwidth_passes() -> None:
    assert nccl_check.failures(OFI + HEADER + rows(402.6), "efa", 100.0) == []
    assert nccl_check.main_exit_code(OFI + HEADER + rows(402.6), "efa", 100.0) == 0


def test_socket_fallback_fails_even_when_fast_enough() -> None:
    found = nccl_check.failures(SOCKET + HEADER + rows(150.0), "efa", 100.0)
    assert any("fell back to TCP sockets" in f for f in found)
    assert nccl_check.main_exit_code(SOCKET + HEADER + rows(150.0), "efa", 100.0) == 1


def test_low_bandwidth_fails() -> None:
    (reason,) = nccl_check.failures(OFI + HEADER + rows(23.4), "efa", 100.0)
    assert "23.4 GB/s at 8589934592 bytes is below the floor of 100.0 GB/s" in reason


def test_libfabric_over_tcp_fails() -> None:
    log = OFI.replace("provider is efa", "provider is tcp") + HEADER + rows(402.6)
    (reason,) = nccl_check.failures(log, "efa", 100.0)
    assert "provider ['tcp'], not efa" in reason


def test_wrong_results_and_missing_rows_fail() -> None:
    assert any("wrong results" in f for f in nccl_check.failures(OFI + HEADER + rows(402.6, 3), "efa", 100.0))
    assert any("no all_reduce_perf result rows" in f for f in nccl_check.failures(OFI, "efa", 100.0))


def test_infiniband_needs_nccls_ib_transport() -> None:
    ib = "node-0:41:41 [0] NCCL INFO Using network IB\n"
    assert nccl_check.failures(ib + HEADER + rows(180.0), "infiniband", 100.0) == []
    (reason,) = nccl_check.failures(OFI + HEADER + rows(180.0), "infiniband", 100.0)
    assert "not IB" in reason


def test_every_gpu_instance_type_has_a_floor() -> None:
    assert all(t.nccl_busbw_floor_gbps > 0 for t in catalog.INSTANCE_TYPES.values())


def fabric_job(run: Run) -> dict[str, Any]:
    (job,) = [r for r in run.registrations if r.type == "kubernetes:batch/v1:Job" and r.name == "fabric-check-job"]
    return inputs(job)


@pytest.mark.parametrize("stack", stacks_where(lambda c: fabric_defaults.enabled(c.gpu_pool, c.serving)))
def test_every_multi_node_stacks_graph_waits_for_the_fabric_check(stack: str, rendered: Callable[[str], Run]) -> None:
    run = rendered(stack)
    (job,) = [r for r in run.registrations if r.name == "fabric-check-job"]
    (dgd,) = [r for r in run.registrations if r.type.endswith(":DynamoGraphDeployment")]
    assert job.urn in closure(run, dgd)
    (gpu_nodes,) = [r for r in run.registrations if r.name == "gpu-nodes"]
    assert gpu_nodes.urn in closure(run, job)  # the check runs on the GPU nodes, once they have joined
    assert job.options["customTimeouts"]["create"] == "30m"


def test_the_check_runs_one_pod_per_node_with_all_its_gpus_and_efa_devices(rendered: Callable[[str], Run]) -> None:
    spec = fabric_job(rendered("h200-vllm-16"))["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"] == 4
    assert spec["backoffLimit"] == 0
    pod = spec["template"]["spec"]
    (term,) = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert pod["nodeSelector"] == {"dsr1.io/pool": "gpu"}
    assert pod["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]
    (c,) = pod["containers"]
    assert c["image"] == versions.NCCL_TESTS_IMAGE and not c["image"].endswith(":latest")
    assert c["resources"]["limits"] == {"nvidia.com/gpu": "8", "vpc.amazonaws.com/efa": "16", **HOST}
    env = {e["name"]: e["value"] for e in c["env"]}
    assert env["NCCL_DEBUG"] == "INFO" and env["FI_PROVIDER"] == "efa" and env["FLOOR_GBPS"] == "100.0"


def test_the_verdict_shipped_to_the_pod_is_the_tested_parser(rendered: Callable[[str], Run]) -> None:
    (cm,) = [r for r in rendered("gb200").registrations if r.name == "fabric-check-scripts"]
    data = inputs(cm)["data"]
    assert data["nccl_check.py"] == Path(nccl_check.__file__).read_text()
    assert "all_reduce_perf" in data["run.sh"] and "nccl_check.py --fabric" in data["run.sh"]
    assert fabric_job(rendered("gb200"))["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {
        "nvidia.com/gpu": "4",
        "vpc.amazonaws.com/efa": "4",
        **HOST,
    }


def test_dev_without_a_fabric_runs_no_check(rendered: Callable[[str], Run]) -> None:
    assert rendered("dev").outputs["fabricCheck"] == "off"
    assert not [r for r in rendered("dev").registrations if r.type == "dsr1:index:FabricCheck"]


def infiniband_dev(**check: Any) -> str:
    pool = {
        **stack_values("dev")["gpuPool"],
        "fabric": "infiniband",
        "rdmaResource": "rdma/ib",
        "rdmaPerNode": 1,
        "fabricCheck": check,
    }
    return f"gpuPool={json.dumps(pool)}"


def test_an_existing_infiniband_cluster_checks_with_its_rdma_resource() -> None:
    run = render("dev", infiniband_dev(minBusBandwidthGbps=20))
    c = fabric_job(run)["spec"]["template"]["spec"]["containers"][0]
    assert c["resources"]["limits"] == {"nvidia.com/gpu": "1", "rdma/ib": "1", **HOST}
    env = {e["name"]: e["value"] for e in c["env"]}
    assert env["NCCL_NET"] == "IB" and "FI_PROVIDER" not in env and env["FLOOR_GBPS"] == "20.0"
    releases = [inputs(r)["name"] for r in run.registrations if r.type == "kubernetes:helm.sh/v3:Release"]
    assert "dynamo-platform" in releases and not [r for r in releases if "fabric" in r or "nccl" in r]  # no chart


def test_an_existing_cluster_check_needs_a_floor() -> None:
    with pytest.raises(ConfigError) as e:
        render("dev", infiniband_dev())
    assert [p.key for p in e.value.problems] == ["dsr1:gpuPool.fabricCheck.minBusBandwidthGbps"]


def test_a_check_without_a_fabric_is_refused() -> None:
    pool = {**stack_values("dev")["gpuPool"], "fabricCheck": {"enabled": True}}
    with pytest.raises(ConfigError) as e:
        render("dev", f"gpuPool={json.dumps(pool)}")
    assert [p.key for p in e.value.problems] == ["dsr1:gpuPool.fabricCheck.enabled"]


def test_the_check_can_be_turned_off() -> None:
    pool = {**stack_values("h200-sglang-8")["gpuPool"], "fabricCheck": {"enabled": False}}
    run = render("h200-sglang-8", f"gpuPool={json.dumps(pool)}")
    assert run.outputs["fabricCheck"] == "off"
    assert not [r for r in run.registrations if r.type == "dsr1:index:FabricCheck"]
