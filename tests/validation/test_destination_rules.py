"""Every value that reaches AWS or Kubernetes is checked with its destination's rule, and every number has bounds:
each case fails if its rule is removed (the stack would then validate), and names the key and a fix."""

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import render as render_cli
from config import k8s_types as t
from config.errors import ConfigError
from offline.report import summary
from program.config_source import load_stack_config
from tests.support import ROOT, render, stack_values
from validation import rules

Edit = Callable[[dict[str, Any]], None]


def setter(path: str, value: Any) -> Edit:
    """An edit that sets `a.b.c` (list indexes as numbers) in the stack's values."""

    def edit(values: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = values
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
        node[last] = value

    return edit


CASES: list[tuple[str, str, Any, str, str]] = [
    # (stack, key path, bad value, key named, words in the message)
    ("h200-sglang-8", "serving.env", {"1BAD": "x"}, "serving.env.1BAD", "C identifier"),
    ("h200-sglang-8", "serving.prefill.env", {"MY-VAR": "x"}, "serving.prefill.env.MY-VAR", "C identifier"),
    ("dev", "gpuPool.nodeLabels", {"bad key!": "x"}, "gpuPool.nodeLabels.bad key!", "not a valid key"),
    ("dev", "gpuPool.nodeLabels", {"pool": "a" * 64}, "gpuPool.nodeLabels.pool", "not a valid label value"),
    ("dev", "gpuPool.nodeLabels", {"pool": "-x"}, "gpuPool.nodeLabels.pool", "not a valid label value"),
    ("h200-sglang-8", "gpuPool.nodeLabels", {"pool": ""}, "gpuPool.nodeLabels.pool", "non-empty value"),
    (
        "h200-sglang-8",
        "gpuPool.nodeLabels",
        {"a" * 60 + ".io/pool": "x"},
        "gpuPool.nodeLabels." + "a" * 60 + ".io/pool",
        "63",
    ),
    ("h200-sglang-8", "gpuPool.taints", [{"key": "a b", "effect": "NoSchedule"}], "gpuPool.taints.0.key", "key"),
    ("h200-sglang-8", "gpuPool.taints", [{"key": "k" * 64, "effect": "NoSchedule"}], "gpuPool.taints.0.key", "63"),
    (
        "h200-sglang-8",
        "gpuPool.taints",
        [{"key": "k", "value": "v v", "effect": "NoSchedule"}],
        "gpuPool.taints.0.value",
        "label value",
    ),
    ("h200-sglang-8", "gpuPool.taints", [{"key": "k", "effect": "NoEvict"}], "gpuPool.taints.0.effect", "NoSchedule"),
    ("gb200", "serving.prefill.cpu", "-4", "serving.prefill.cpu", "positive Kubernetes quantity"),
    ("gb200", "serving.prefill.cpu", "0", "serving.prefill.cpu", "positive Kubernetes quantity"),
    ("gb200", "serving.prefill.cpu", "four", "serving.prefill.cpu", "positive Kubernetes quantity"),
    ("gb200", "serving.prefill.memory", "0Gi", "serving.prefill.memory", "positive size"),
    ("gb200", "serving.prefill.memory", "2Ti", "serving.prefill.memory", "never be scheduled"),
    ("gb200", "serving.decode.cpu", "145", "serving.decode.cpu", "(144 vCPUs)"),
    ("h200-sglang-8", "serving.decode.sharedMemory", "3000Gi", "serving.decode.sharedMemory", "never be scheduled"),
    ("h200-sglang-8", "serving.decode.sharedMemory", "0Gi", "serving.decode.sharedMemory", "positive size"),
    ("h200-sglang-8", "serving.decode.sharedMemory", "80GB", "serving.decode.sharedMemory", "positive size"),
    ("h200-sglang-8", "serving.decode.workingDir", "workspace", "serving.decode.workingDir", "absolute path"),
    ("h200-sglang-8", "serving.decode.workingDir", "/a/../etc", "serving.decode.workingDir", "absolute path"),
    ("dev", "modelCache.storageClass", "Fast_RWX", "modelCache.storageClass", "DNS-1123 subdomain"),
    ("h200-sglang-8", "target.kubernetesVersion", "1.33.0", "target.kubernetesVersion", "EKS Kubernetes version"),
    ("h200-sglang-8", "target.kubernetesVersion", "1.20", "target.kubernetesVersion", "EKS Kubernetes version"),
    ("h200-sglang-8", "target.kubernetesVersion", "1.34", "target.kubernetesVersion", "node AMI release"),
    ("h200-sglang-8", "target.systemNodes.instanceType", "m7i 4xlarge", "target.systemNodes.instanceType", "EC2"),
    ("h200-sglang-8", "target.availabilityZones", ["us-east-1a", "zone b"], "target.availabilityZones.1", "pattern"),
    ("h200-sglang-8", "serving.graphName", "8gpu", "serving.graphName", "DNS-1035"),
    ("h200-sglang-8", "serving.namespace", "Dynamo", "serving.namespace", "DNS-1123 label"),
    ("h200-sglang-8", "model.revision", "main/../../etc", "model.revision", "'..'"),
    ("h200-sglang-8", "model.revision", "refs//main", "model.revision", "empty"),
    ("h200-sglang-8", "model.revision", "v1.lock", "model.revision", ".lock"),
    ("h200-sglang-8", "model.key", "deepseek-r1-fp4", "model.key", "H200 GPUs (hopper) run fp8, bf16 only"),
    ("h200-sglang-8", "serving.frontendReplicas", 0, "serving.frontendReplicas", "greater than or equal to 1"),
    ("h200-sglang-8", "serving.frontendReplicas", 10_000, "serving.frontendReplicas", "less than or equal to 32"),
    (
        "h200-sglang-8",
        "gpuPool.fabricCheck.minBusBandwidthGbps",
        float("inf"),
        "gpuPool.fabricCheck.minBusBandwidthGbps",
        "finite",
    ),
    (
        "h200-sglang-8",
        "gpuPool.fabricCheck.minBusBandwidthGbps",
        450.0,
        "gpuPool.fabricCheck.minBusBandwidthGbps",
        "never pass",
    ),
    ("h200-sglang-8", "modelCache.targetReadMinutes", float("inf"), "modelCache.targetReadMinutes", "finite"),
    ("h200-sglang-8", "modelCache.targetReadMinutes", 0.01, "modelCache.targetReadMinutes", "cannot be met"),
    (
        "h200-sglang-8",
        "modelCache",
        {"storage": "fsx-lustre", "sizeGib": 1200, "fsxThroughputPerTib": 125},
        "modelCache.targetReadMinutes",
        "remove modelCache.sizeGib and modelCache.fsxThroughputPerTib",
    ),
    ("h200-sglang-8", "modelCache.s3Staging", {"bucket": "my..bucket"}, "modelCache.s3Staging.bucket", "S3 bucket"),
    (
        "gb200",
        "serving.decode.engine.cudaGraphBatchSizes",
        [1, -2],
        "serving.decode.engine.cudaGraphBatchSizes.1",
        "greater than",
    ),
    ("gb200", "serving.decode.engine.maxSeqLen", 10**9, "serving.decode.engine.maxSeqLen", "less than or equal"),
    ("dev", "gpuPool.gpuMemoryGib", float("nan"), "gpuPool.gpuMemoryGib", "finite"),
    ("dev", "gpuPool.gpusPerNode", 1000, "gpuPool.gpusPerNode", "less than or equal"),
    ("dev", "gpuPool.rdmaResource", "rdma ib", "gpuPool.rdmaResource", "extended resource name"),
    ("h200-vllm-16", "serving.prefill.maxModelLen", 10**9, "serving.prefill.maxModelLen", "less than or equal"),
    (
        "h200-sglang-8",
        "serving.prefill.gpuMemoryUtilization",
        0.9,
        "serving.prefill.gpuMemoryUtilization",
        "vllm key; the sglang backend",
    ),
    ("h200-sglang-8", "serving.decode.maxModelLen", 4096, "serving.decode.maxModelLen", "vllm key; the sglang backend"),
    (
        "h200-sglang-8",
        "serving.decode.all2allBackend",
        "allgather_reducescatter",
        "serving.decode.all2allBackend",
        "vllm key; the sglang",
    ),
    ("h200-vllm-16", "serving.decode.all2allBackend", "pplx", "serving.decode.all2allBackend", "vLLM 0.23.0"),
    ("h200-vllm-16", "serving.prefill.all2allBackend", "mori_low_latency", "serving.prefill.all2allBackend", "one of"),
    (
        "h200-vllm-16",
        "serving.decode.memFractionStatic",
        0.8,
        "serving.decode.memFractionStatic",
        "sglang key; the vllm",
    ),
    ("h200-vllm-16", "serving.decode.enableDpAttention", True, "serving.decode.enableDpAttention", "the vllm backend"),
]


def problems_of(values: dict[str, Any], region: str = "us-east-1") -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as e:
        load_stack_config(values, region)
    return [(p.key, str(p)) for p in e.value.problems]


@pytest.mark.parametrize(
    ("stack", "path", "value", "named", "says"), CASES, ids=[f"{c[1]}={c[2]!r}"[:60] for c in CASES]
)
def test_a_value_its_destination_would_refuse_is_refused_with_key_and_fix(
    stack: str, path: str, value: Any, named: str, says: str
) -> None:
    values = stack_values(stack)
    setter(path, value)(values)
    found = problems_of(values)
    hits = [text for k, text in found if k == f"dsr1:{named}"]
    assert hits, found
    assert says in hits[0] and "Fix:" in hits[0], hits[0]


def test_an_engine_block_on_sglang_names_the_backend() -> None:
    values = stack_values("h200-sglang-8")
    values["serving"]["prefill"]["engine"] = stack_values("gb200")["serving"]["prefill"]["engine"]
    (hit,) = [text for k, text in problems_of(values) if k == "dsr1:serving.prefill.engine"]
    assert "trtllm key; the sglang backend would ignore it" in hit


@pytest.mark.parametrize("region", ["us-east", "US-EAST-1", "mars-north-1"])
def test_an_aws_region_that_is_no_region_code_is_refused(region: str) -> None:
    found = problems_of(stack_values("h200-sglang-8"), region=region)
    assert found[0][0] == "aws:region" and "Fix: pulumi config set aws:region" in found[0][1]


def test_every_stack_file_passes_the_destination_rules() -> None:
    for stack in ("dev", "h200-sglang-8", "h200-sglang-16", "h200-vllm-16", "gb200"):
        load_stack_config(stack_values(stack), "us-east-1")


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (t.check_dns1123_label, ["a", "a-1", "x" * 63], ["", "A", "-a", "a-", "x" * 64, "a.b"]),
        (t.check_dns1035_label, ["a", "a-1"], ["1a", "a_b", "x" * 64]),
        (t.check_dns1123_subdomain, ["gp3", "fsx.csi.aws.com"], ["Fast", "a..b", "x" * 254]),
        (t.check_qualified_name, ["a", "nvidia.com/gpu", "a_b.c-d"], ["", "/a", "a/", "a/b/c", "-a", "x" * 64]),
        (t.check_label_value, ["", "a", "a.b_c-d"], ["-a", "a b", "x" * 64]),
        (t.check_env_name, ["A", "_A1", "nccl_debug"], ["1A", "A-B", "A B", ""]),
        (t.check_positive_quantity, ["1", "0.5", "500m", "64Gi", "1e3" * 0 + "2k"], ["0", "-1", "1.5.5", "64GB", ""]),
        (t.check_absolute_path, ["/", "/workspace/a"], ["a", "", "/a/../b"]),
        (t.check_instance_type_name, ["m7i.4xlarge", "p5en.48xlarge", "c7g.metal", "t3.micro"], ["m7i", "M7i.large"]),
        (t.check_s3_bucket, ["my-bucket", "a.b.c"], ["a..b", "192.168.1.1", "xn--abc", "abc-s3alias", "AB", "ab"]),
        (t.check_aws_region, ["us-east-1", "eu-central-2", "us-gov-west-1"], ["us-east", "useast1", "EU-WEST-1"]),
    ],
)
def test_each_destination_rule_takes_what_its_destination_takes(
    check: Callable[[str], str | None], good: list[str], bad: list[str]
) -> None:
    assert [g for g in good if check(g)] == []
    assert [b for b in bad if not check(b)] == []


def test_idle_gpu_nodes_are_a_warning_not_an_error() -> None:
    values = stack_values("h200-sglang-8")
    values["gpuPool"]["nodeCount"] = 3
    cfg = load_stack_config(values, "us-east-1")
    release = "dsr1:dynamo.version"  # upstream's known degradations of the release (tests/validation/test_releases.py)
    (warning,) = [w for w in rules.warnings(cfg) if w.key != release]
    assert warning.key == "dsr1:gpuPool.nodeCount" and "use 2: 1 idle (~$63/h" in str(warning)
    assert [
        w for w in rules.warnings(load_stack_config(stack_values("h200-sglang-8"), "us-east-1")) if w.key != release
    ] == []


def test_idle_gpu_nodes_show_in_the_render_summary_and_the_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    logged: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda msg, *a, **kw: logged.append(msg))
    pool = {**stack_values("h200-sglang-8")["gpuPool"], "nodeCount": 3}
    run = render("h200-sglang-8", f"gpuPool={json.dumps(pool)}")
    assert "warning: dsr1:gpuPool.nodeCount: 3 GPU nodes, but the workers use 2" in summary(run)
    assert any(m.startswith("dsr1:gpuPool.nodeCount: 3 GPU nodes") for m in logged)


def test_a_refused_value_fails_the_render_cli_with_exit_2_and_nothing_written(tmp_path: Path) -> None:
    serving = stack_values("h200-sglang-8")["serving"]
    serving["decode"]["sharedMemory"] = "-1Gi"
    out = tmp_path / "out"
    args = ["--stack", "h200-sglang-8", "--out", str(out), "--config", f"serving={json.dumps(serving)}"]
    result = subprocess.run(
        [sys.executable, str(ROOT / "render.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr + result.stdout
    assert "dsr1:serving.decode.sharedMemory" in result.stderr and "Fix:" in result.stderr
    assert not out.exists()


RENDER_CASES = [
    ("serving.env", {"MY-VAR": "1"}, "serving.env.MY-VAR"),
    ("gpuPool.taints", [{"key": "k", "value": "a b", "effect": "NoSchedule"}], "gpuPool.taints.0.value"),
    ("serving.decode.sharedMemory", "0Gi", "serving.decode.sharedMemory"),
    ("serving.decode.workingDir", "sgl-workspace", "serving.decode.workingDir"),
    ("target.kubernetesVersion", "1.3", "target.kubernetesVersion"),
    ("target.systemNodes.instanceType", "big", "target.systemNodes.instanceType"),
    ("model.revision", "../../x", "model.revision"),
    ("model.key", "deepseek-r1-fp4", "model.key"),
    ("serving.frontendReplicas", 1000, "serving.frontendReplicas"),
    ("gpuPool.fabricCheck.minBusBandwidthGbps", 1000.0, "gpuPool.fabricCheck.minBusBandwidthGbps"),
    ("modelCache.targetReadMinutes", 0.01, "modelCache.targetReadMinutes"),
    ("serving.decode.gpuMemoryUtilization", 0.9, "serving.decode.gpuMemoryUtilization"),
]


@pytest.mark.parametrize(("path", "value", "named"), RENDER_CASES, ids=[c[0] for c in RENDER_CASES])
def test_the_offline_render_refuses_each_category_with_exit_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: str, value: Any, named: str
) -> None:
    values = stack_values("h200-sglang-8")
    setter(path, value)(values)
    top = path.split(".")[0]
    out = tmp_path / "out"
    code = render_cli.main(
        ["--stack", "h200-sglang-8", "--out", str(out), "--config", f"{top}={json.dumps(values[top])}"]
    )
    err = capsys.readouterr().err
    assert code == 2 and f"dsr1:{named}:" in err and "Fix:" in err and "Traceback" not in err
    assert not out.exists()
