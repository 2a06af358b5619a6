"""The policy pack against every stack's mocked run (inputs as the policy engine sees them: secrets decrypted),
and each policy firing on a broken input."""

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format  # noqa: F401  (pulumi-policy's protobuf pin must still load pulumi)
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties

from config import resource_types as rt
from offline.run import Run
from policy import dsr1_policies as p
from tests.conftest import RENDER_TOKEN
from tests.support import stacks

OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def resources(run: Run) -> list[PolicyResource]:
    """The run's custom resources as the engine hands them to stack policies, dependencies resolved."""
    regs = [r for r in run.registrations if r.custom]
    by_urn: dict[str, PolicyResource] = {}
    for r in regs:
        props = {k: v for k, v in deserialize_properties(r.wire_inputs).items() if not k.startswith("__")}
        by_urn[r.urn] = PolicyResource(r.type, props, r.urn, r.name, OPTS, None, None, [], {})
    for r in regs:
        by_urn[r.urn].dependencies = [by_urn[d] for d in r.dependencies if d in by_urn]
        by_urn[r.urn].property_dependencies = {
            k: [by_urn[d] for d in urns if d in by_urn] for k, urns in r.property_dependencies.items()
        }
    return list(by_urn.values())


def violations(policy: Any, items: list[PolicyResource], config: dict[str, Any] | None = None) -> list[str]:
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    if isinstance(policy, StackValidationPolicy):
        policy.validate(StackValidationArgs(items, config), report)
    else:
        assert isinstance(policy, ResourceValidationPolicy)
        for r in items:
            args = ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, OPTS, None, config)
            policy.validate(args, report)
    return found


def of_type(items: list[PolicyResource], suffix: str, name: str | None = None) -> PolicyResource:
    return next(r for r in items if r.resource_type.endswith(suffix) and name in (None, r.name))


@pytest.fixture(scope="module")
def sglang8_resources(rendered: Callable[[str], Run]) -> list[PolicyResource]:
    return resources(rendered("h200-sglang-8"))


def broken(
    items: list[PolicyResource], suffix: str, change: Callable[[dict[str, Any]], None], name: str | None = None
) -> list[PolicyResource]:
    """A copy of the stack with one resource's props changed (dependencies point at the copies)."""
    copies = copy.deepcopy(items)
    change(of_type(copies, suffix, name).props)  # type: ignore[arg-type]
    return copies


@pytest.mark.parametrize("stack", stacks())
@pytest.mark.parametrize("policy", p.POLICIES, ids=lambda x: x.name)
def test_every_policy_passes_on_every_stack(stack: str, policy: Any, rendered: Callable[[str], Run]) -> None:
    assert violations(policy, resources(rendered(stack))) == []


def test_the_token_reaches_the_policies_in_plain_text(sglang8_resources: list[PolicyResource]) -> None:
    """The engine decrypts secrets for policies: the check below is against the real token, not a mask."""
    assert of_type(sglang8_resources, ":Secret").props["stringData"]["token"] == RENDER_TOKEN


def test_efa_layout_fires_on_a_missing_interface(sglang8_resources: list[PolicyResource]) -> None:
    items = broken(sglang8_resources, ":LaunchTemplate", lambda lt: lt["networkInterfaces"].pop(), "gpu-lt")
    assert "EFA layout" in violations(p.efa_layout, items)[0]


def test_efa_layout_checks_a_capacity_block_pool_by_its_template(rendered: Callable[[str], Run]) -> None:
    """gb200's node group leaves the instance type to its launch template; the layout is still checked."""
    items = broken(resources(rendered("gb200")), ":LaunchTemplate", lambda lt: lt["networkInterfaces"].pop(), "gpu-lt")
    assert "p6e-gb200.36xlarge's EFA layout" in violations(p.efa_layout, items)[0]


def test_efa_layout_fires_without_the_self_referencing_group(sglang8_resources: list[PolicyResource]) -> None:
    def open_group(sg: dict[str, Any]) -> None:
        sg["ingress"] = [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/8"]}]

    items = copy.deepcopy(sglang8_resources)
    for r in items:
        if r.name == "gpu-efa-sg":
            open_group(r.props)  # type: ignore[arg-type]
    assert any("itself" in v for v in violations(p.efa_layout, items))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda lt: lt["metadataOptions"].update(httpTokens="optional"), "IMDSv2"),
        (lambda lt: lt["blockDeviceMappings"][0]["ebs"].update(encrypted="false"), "encrypted"),
        (lambda lt: lt["metadataOptions"].update(httpPutResponseHopLimit=2), "hop limit"),
    ],
)
@pytest.mark.parametrize("template", ["gpu-lt", "cluster-system-lt"])
def test_launch_template_policy_fires(
    sglang8_resources: list[PolicyResource], change: Callable[[dict[str, Any]], None], message: str, template: str
) -> None:
    items = broken(sglang8_resources, ":LaunchTemplate", change, template)
    assert message in " ".join(violations(p.launch_template_hardened, items))


def test_node_group_policy_fires_without_a_launch_template(sglang8_resources: list[PolicyResource]) -> None:
    items = broken(sglang8_resources, ":NodeGroup", lambda ng: ng.pop("launchTemplate"), "cluster-system-nodes")
    assert "no launch template" in violations(p.node_groups_templated, items)[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(enabledClusterLogTypes=["api"]), "audit"),
        (lambda c: c.pop("encryptionConfig"), "KMS"),
    ],
)
def test_control_plane_policy_fires(
    sglang8_resources: list[PolicyResource], change: Callable[[dict[str, Any]], None], message: str
) -> None:
    items = broken(sglang8_resources, ":Cluster", change)
    assert message in " ".join(violations(p.control_plane_hardened, items))


def test_network_policy_policy_fires_without_the_default_deny(sglang8_resources: list[PolicyResource]) -> None:
    items = [r for r in copy.deepcopy(sglang8_resources) if r.name != "netpol-default-deny"]
    assert "default-deny" in violations(p.network_policy_on, items)[0]


def test_network_policy_policy_fires_on_a_cni_without_the_agent(sglang8_resources: list[PolicyResource]) -> None:
    addon = PolicyResource(
        "aws:eks/addon:Addon",
        {"addonName": "vpc-cni", "configurationValues": '{"enableNetworkPolicy": "false"}'},
        "urn:vpc-cni",
        "vpc-cni",
        OPTS,
        None,
        None,
        [],
        {},
    )
    assert "inert" in violations(p.network_policy_on, [*sglang8_resources, addon])[0]
    for enabled in ('{"enableNetworkPolicy": "true"}', '{"enableNetworkPolicy":"true","nodeAgent":{}}'):
        addon.props = {"addonName": "vpc-cni", "configurationValues": enabled}
        assert violations(p.network_policy_on, [*sglang8_resources, addon]) == []


@pytest.mark.parametrize(
    ("value", "enforced"),
    [("true", True), (True, False), ("True", False), ("false", False), (False, False)],
)
def test_network_policy_policy_takes_only_the_documented_string(
    sglang8_resources: list[PolicyResource], value: object, enforced: bool
) -> None:
    """The same rule as the offline checks (config.vpc_cni): the EKS user guide documents the string "true" only."""
    items = copy.deepcopy(sglang8_resources)
    cni = next(r for r in items if r.props.get("addonName") == "vpc-cni")
    cni.props = {**cni.props, "configurationValues": json.dumps({"enableNetworkPolicy": value})}
    assert (violations(p.network_policy_on, items) == []) is enforced


def test_network_policy_policy_fires_without_the_cni_add_on(sglang8_resources: list[PolicyResource]) -> None:
    """An EKS cluster of the stack runs the self-managed CNI, agent off, unless the stack's add-on turns it on."""
    items = [r for r in copy.deepcopy(sglang8_resources) if r.props.get("addonName") != "vpc-cni"]
    assert any(r.resource_type == rt.NETWORK_POLICY for r in items)
    assert "no vpc-cni add-on" in " ".join(violations(p.network_policy_on, items))
    without_cluster = [r for r in items if r.resource_type != rt.EKS_CLUSTER]
    assert violations(p.network_policy_on, without_cluster) == []


def test_resource_type_tokens_are_defined_once() -> None:
    """The policy pack and the offline checks take their type tokens from config.resource_types, none of their own."""
    token = re.compile(r"""^[A-Z_]+ = ["'](aws|kubernetes):[^"']+["']""", re.M)
    root = Path(__file__).resolve().parents[2]
    for path in [root / "policy" / "dsr1_policies.py", *sorted((root / "offline" / "checks").glob("*.py"))]:
        assert not token.findall(path.read_text()), path


@pytest.mark.parametrize("image", ["python:latest", "python", "my-registry/sglang-runtime:my-tag"])
def test_images_pinned_fires(sglang8_resources: list[PolicyResource], image: str) -> None:
    def change(job: dict[str, Any]) -> None:
        job["spec"]["template"]["spec"]["containers"][0]["image"] = image

    assert violations(p.images_pinned, broken(sglang8_resources, ":Job", change))


def test_images_pinned_fires_on_an_unpinned_chart(sglang8_resources: list[PolicyResource]) -> None:
    assert violations(p.images_pinned, broken(sglang8_resources, ":Release", lambda r: r.pop("version")))


def test_hf_token_policy_fires_outside_a_secret(sglang8_resources: list[PolicyResource]) -> None:
    def leak(job: dict[str, Any]) -> None:
        job["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "HF_TOKEN", "value": RENDER_TOKEN})

    found = violations(p.hf_token_only_in_secrets, broken(sglang8_resources, ":Job", leak))
    assert any("outside a Kubernetes Secret" in v for v in found) and any("plain env value" in v for v in found)


def test_frontend_policy_fires_on_a_load_balancer_unless_allowed() -> None:
    svc = PolicyResource(
        "kubernetes:core/v1:Service",
        {"spec": {"type": "LoadBalancer"}},
        "urn:svc",
        "frontend",
        OPTS,
        None,
        None,
        [],
        {},
    )
    assert violations(p.frontend_private, [svc])
    assert violations(p.frontend_private, [svc], {"allowPublicFrontend": True}) == []


def test_frontend_policy_fires_on_a_graph_ingress(sglang8_resources: list[PolicyResource]) -> None:
    def expose(dgd: dict[str, Any]) -> None:
        dgd["spec"]["services"]["Frontend"]["ingress"] = {"enabled": True, "host": "r1.example.com"}

    assert violations(p.frontend_private, broken(sglang8_resources, ":DynamoGraphDeployment", expose))


def test_cache_policy_fires_on_a_deleting_volume(sglang8_resources: list[PolicyResource]) -> None:
    items = broken(
        sglang8_resources, ":PersistentVolume", lambda pv: pv["spec"].update(persistentVolumeReclaimPolicy="Delete")
    )
    assert "deleted with the claim" in violations(p.cache_retained, items)[0]


def test_cache_policy_fires_on_a_deleting_storage_class(rendered: Callable[[str], Run]) -> None:
    items = broken(
        resources(rendered("dev")), ":PersistentVolumeClaim", lambda c: c["spec"].update(storageClassName="x")
    )
    sc = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "x"},
        "reclaimPolicy": "Delete",
    }
    items.append(
        PolicyResource("kubernetes:storage.k8s.io/v1:StorageClass", sc, "urn:sc", "x", OPTS, None, None, [], {})
    )
    assert "deleted with the claim" in violations(p.cache_retained, items)[0]


@pytest.mark.parametrize(
    ("chart", "change", "message"),
    [
        ("dcgm-exporter", lambda v: v["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]), "capabilities"),
        ("dcgm-exporter", lambda v: v["securityContext"].update(runAsNonRoot=False), "runAsNonRoot"),
        ("dcgm-exporter", lambda v: v.update(hostNetwork=True), "hostNetwork"),
        ("kube-prometheus-stack", lambda v: v.update(nodeExporter={"enabled": True}), "nodeExporter"),
        (
            "kube-prometheus-stack",
            lambda v: v["grafana"]["containerSecurityContext"].update(allowPrivilegeEscalation=True),
            "allowPrivilegeEscalation",
        ),
    ],
)
def test_monitoring_policy_fires(
    sglang8_resources: list[PolicyResource], chart: str, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    items = copy.deepcopy(sglang8_resources)
    (release,) = [r for r in items if r.resource_type.endswith(":Release") and r.props.get("chart") == chart]
    change(release.props["values"])
    assert message in " ".join(violations(p.monitoring_hardened, items))
