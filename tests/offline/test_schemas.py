"""Every rendered object of every stack against real schemas: Kubernetes at the EKS stacks' version (strict) for
built-ins, the Dynamo CRD for DynamoGraphDeployments."""

import json
from collections.abc import Callable
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from offline.report import manifests
from offline.run import Run
from tests.support import K8S_VERSION, ROOT, crd_validator, stacks, strict_schema

CUSTOM = {"helm.sh/v3", "nvidia.com/v1alpha1", "resource.nvidia.com/v1beta1", "monitoring.coreos.com/v1"}
RULE_CRD = ROOT / "specs" / "observability" / "upstream_files" / "crd-prometheusrule-v1.schema.json"
"""The PrometheusRule CRD of the pinned kube-prometheus-stack (tools/pinned_sources.py)."""


def builtins(run: Run) -> list[dict[str, Any]]:
    return [m for m in manifests(run) if m["apiVersion"] not in CUSTOM]


def dgds(run: Run) -> list[dict[str, Any]]:
    return [m for m in manifests(run) if m["kind"] == "DynamoGraphDeployment"]


def test_there_are_builtin_objects_to_check(sglang8: Run) -> None:
    names = sorted(f"{m['kind']}/{m['metadata']['name']}" for m in builtins(sglang8))
    # the platform claims' StorageClass, the network policies (three for the metrics scrapes), the GPU gate, the
    # pre-pull, the dashboards' two ConfigMaps
    assert len(names) == 37
    for expected in (
        "Job/fabric-check-kv",
        "Job/gpu-gate-deepseek-r1-56d4cbbb4d",
        "DaemonSet/sgl-dsr1-8gpu-image-prepull",
        "Job/download-deepseek-r1-56d4cbbb4d",
        "Job/fabric-check",
        "NetworkPolicy/default-deny",
        "NetworkPolicy/allow-dns",
        "NetworkPolicy/sgl-dsr1-8gpu-internal",
        "NetworkPolicy/platform-default-deny",
        "NetworkPolicy/platform-nats",
        "PersistentVolumeClaim/model-cache-deepseek-r1",
    ):
        assert expected in names


@pytest.mark.parametrize("stack", stacks())
def test_builtin_objects_are_valid_kubernetes(stack: str, rendered: Callable[[str], Run]) -> None:
    objects = builtins(rendered(stack))
    assert objects
    for m in objects:
        kubernetes_validate.validate(m, K8S_VERSION, strict=True)


@pytest.mark.parametrize("stack", stacks())
def test_graph_is_valid_against_the_crd(stack: str, rendered: Callable[[str], Run]) -> None:
    (dgd,) = dgds(rendered(stack))
    crd_validator().validate(dgd)


def test_strict_validation_catches_a_misspelt_field(sglang8: Run) -> None:
    (job,) = [m for m in builtins(sglang8) if m["kind"] == "Job" and m["metadata"]["name"].startswith("download-")]
    job["spec"]["backofLimit"] = 3
    with pytest.raises(kubernetes_validate.ValidationError, match="backofLimit"):
        kubernetes_validate.validate(job, K8S_VERSION, strict=True)


def test_crd_check_catches_a_snake_case_field(sglang8: Run) -> None:
    (dgd,) = dgds(sglang8)
    dgd["spec"]["services"]["decode"]["shared_memory"] = {"size": "80Gi"}
    with pytest.raises(jsonschema.ValidationError, match="shared_memory"):
        crd_validator().validate(dgd)


def _rule_validator() -> Any:
    schema = strict_schema(json.loads(RULE_CRD.read_text())["schema"])
    return jsonschema.validators.validator_for(schema)(schema)


@pytest.mark.parametrize("stack", stacks())
def test_alert_rules_are_valid_against_the_prometheusrule_crd(stack: str, rendered: Callable[[str], Run]) -> None:
    (rule,) = [m for m in manifests(rendered(stack)) if m["kind"] == "PrometheusRule"]
    _rule_validator().validate(rule)


def test_the_rule_crd_check_catches_a_misspelt_field(sglang8: Run) -> None:
    (rule,) = [m for m in manifests(sglang8) if m["kind"] == "PrometheusRule"]
    rule["spec"]["groups"][0]["rules"][0]["annotation"] = {}
    with pytest.raises(jsonschema.ValidationError, match="annotation"):
        _rule_validator().validate(rule)
