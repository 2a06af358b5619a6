"""Readiness, the smoke-test Job, the optional benchmark Job and the cost per million tokens."""

import json
from collections.abc import Callable
from typing import Any

import kubernetes_validate
import pytest

from config import versions
from config.errors import ConfigError
from offline.report import inputs
from offline.run import Run
from specs import smoke_spec
from specs.graph_spec import READY_TIMEOUT_S
from specs.smoke_spec import cost_per_million_tokens
from tests.support import K8S_VERSION, closure, render, stack_values, stacks


def by_name(run: Run, name: str) -> Any:
    (reg,) = [r for r in run.registrations if r.name == name]
    return reg


def dgd(run: Run) -> Any:
    (reg,) = [r for r in run.registrations if r.type.endswith(":DynamoGraphDeployment")]
    return reg


@pytest.mark.parametrize("stack", stacks())
def test_graph_is_awaited_until_ready_and_the_smoke_job_waits_for_it(
    stack: str, rendered: Callable[[str], Run]
) -> None:
    run = rendered(stack)
    graph = dgd(run)
    annotations = inputs(graph)["metadata"]["annotations"]
    assert annotations["pulumi.com/waitFor"] == "condition=Ready"
    assert int(annotations["pulumi.com/timeoutSeconds"]) == READY_TIMEOUT_S >= 3600  # ~1 h multi-node loads
    smoke = by_name(run, "endpoint-checks-smoke")
    assert graph.urn in smoke.dependencies
    assert "pulumi.com/skipAwait" not in inputs(smoke)["metadata"].get("annotations", {})  # failing fails `up`


def test_smoke_job_runs_the_project_client_from_a_config_map(sglang8: Run) -> None:
    cm = inputs(by_name(sglang8, "endpoint-checks-smoke-client"))
    assert cm["data"] == {"smoke_client.py": smoke_spec.client_source()}
    job = inputs(by_name(sglang8, "endpoint-checks-smoke"))
    pod = job["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["image"] == versions.SMOKE_IMAGE and not c["image"].endswith(":latest")
    assert c["command"] == [
        "python",
        "/opt/smoke/smoke_client.py",
        "--url",
        "http://sgl-dsr1-8gpu-frontend.dynamo.svc.cluster.local:8000",
        "--model",
        "deepseek-ai/DeepSeek-R1",
    ]
    (client,) = [v for v in pod["volumes"] if "configMap" in v]
    assert client["configMap"]["name"] == cm["metadata"]["name"]
    assert pod["nodeSelector"] == {"dsr1.io/pool": "system"}


def test_smoke_pod_is_hardened(sglang8: Run) -> None:
    pod = inputs(by_name(sglang8, "endpoint-checks-smoke"))["spec"]["template"]["spec"]
    sc = pod["containers"][0]["securityContext"]
    assert sc["runAsNonRoot"] and sc["readOnlyRootFilesystem"] and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]} and sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert set(pod["containers"][0]["resources"]) == {"requests", "limits"}


def test_smoke_job_name_changes_with_the_graph() -> None:
    a = smoke_spec.smoke_job_name("g", {"services": {"decode": {"replicas": 1}}})
    b = smoke_spec.smoke_job_name("g", {"services": {"decode": {"replicas": 2}}})
    assert a != b and a.startswith("g-smoke-")


def test_benchmark_is_off_by_default(sglang8: Run) -> None:
    assert not [r for r in sglang8.registrations if r.name == "endpoint-checks-benchmark"]
    assert "benchmarkJob" not in sglang8.outputs


def test_benchmark_job_when_enabled() -> None:
    serving = stack_values("h200-sglang-8")["serving"]
    serving["benchmark"] = {"enabled": True, "inputLength": 2048, "outputLength": 512, "concurrency": 32}
    run = render("h200-sglang-8", f"serving={json.dumps(serving)}")
    bench = by_name(run, "endpoint-checks-benchmark")
    assert by_name(run, "endpoint-checks-smoke").urn in bench.dependencies
    job = inputs(bench)
    kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    script = job["spec"]["template"]["spec"]["containers"][0]["command"][2]
    assert (
        f"--require-hashes --no-deps --only-binary=:all: -r {smoke_spec.REQUIREMENTS_PATH}" in script
    )  # the lock pins aiperf
    assert "--synthetic-input-tokens-mean 2048" in script and "--output-tokens-mean 512" in script
    assert "--concurrency 32 --request-count 320" in script
    assert "/cache/results/benchmarks/sgl-dsr1-8gpu" in script
    assert run.outputs["benchmarkResultsDir"] == "results/benchmarks/sgl-dsr1-8gpu"
    assert closure(run, bench) >= {dgd(run).urn}
    # It writes results/, which the download Job's prepare-cache step hands to the cache's owner.
    security = job["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    assert (security["runAsUser"], security["runAsNonRoot"]) == (10001, True)


def test_benchmark_longer_than_the_trtllm_engines_allow_is_refused() -> None:
    serving = stack_values("gb200")["serving"]
    serving["benchmark"] = {"enabled": True, "inputLength": 1024, "outputLength": 2048}
    with pytest.raises(ConfigError) as e:
        render("gb200", f"serving={json.dumps(serving)}")
    assert [p.key for p in e.value.problems] == ["dsr1:serving.benchmark.outputLength"]


def test_benchmark_keys_are_checked() -> None:
    serving = stack_values("dev")["serving"]
    serving["benchmark"] = {"enabled": True, "concurency": 8}
    with pytest.raises(ConfigError, match="concurency"):
        render("dev", f"serving={json.dumps(serving)}")


def test_cost_per_million_tokens() -> None:
    assert cost_per_million_tokens(126.59, 5000) == pytest.approx(7.0328, abs=1e-4)
    assert cost_per_million_tokens(3.6, 1) == pytest.approx(1000.0)
    with pytest.raises(ValueError, match="must be positive"):
        cost_per_million_tokens(1.0, 0)
    with pytest.raises(ValueError, match="must be positive"):
        cost_per_million_tokens(1.0, -5)
