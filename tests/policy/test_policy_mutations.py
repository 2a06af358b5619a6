"""Every promise of the policy pack, broken once: each mutation below is one a code change could make, and the
policy that makes the promise must fire on it (and stay silent on the unbroken stack, test_policies.py).

A policy of the pack without a mutation here fails the first test, so a new promise comes with its proof.
"""

import base64
import copy
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_policy import PolicyResource

from config import resource_types as rt
from offline.run import Run
from policy import dsr1_policies as p
from tests.conftest import RENDER_TOKEN
from tests.policy.test_policies import OPTS, resources, violations

Mutation = Callable[[list[PolicyResource]], list[PolicyResource]]


def _named(items: list[PolicyResource], name: str) -> PolicyResource:
    return next(r for r in items if r.name == name)


def _chart(items: list[PolicyResource], chart: str) -> PolicyResource:
    return next(r for r in items if r.resource_type == rt.HELM_RELEASE and r.props.get("chart") == chart)


def _of_type(items: list[PolicyResource], suffix: str) -> PolicyResource:
    return next(r for r in items if r.resource_type.endswith(suffix))


def change(pick: Callable[[list[PolicyResource]], PolicyResource], edit: Callable[[Any], None]) -> Mutation:
    def mutate(items: list[PolicyResource]) -> list[PolicyResource]:
        copies = copy.deepcopy(items)
        edit(pick(copies).props)
        return copies

    return mutate


def without(name: str) -> Mutation:
    return lambda items: [r for r in copy.deepcopy(items) if r.name != name]


def plus(resource_type: str, props: dict[str, Any], name: str = "added") -> Mutation:
    return lambda items: [
        *copy.deepcopy(items),
        PolicyResource(resource_type, props, f"urn:{name}", name, OPTS, None, None, [], {}),
    ]


def _netpol(namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"namespace": namespace}, **spec}


def _outside_template(items: list[PolicyResource]) -> list[PolicyResource]:
    copies = copy.deepcopy(items)
    ng = _named(copies, "gpu-nodes")
    ng.props = {**ng.props, "launchTemplate": {"id": "lt-0123456789abcdef0", "version": "1"}}
    ng.property_dependencies = {k: v for k, v in ng.property_dependencies.items() if k != "launchTemplate"}
    return copies


def _frontend(dgd: dict[str, Any]) -> dict[str, Any]:
    return dgd["spec"]["services"]["Frontend"]  # type: ignore[no-any-return]


def _job_env(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job["spec"]["template"]["spec"]["containers"][0].setdefault("env", [])  # type: ignore[no-any-return]


B64_TOKEN = base64.b64encode(f"token={RENDER_TOKEN}".encode()).decode()
GRAPH_PLATFORM = "netpol-sgl-dsr1-8gpu-platform"
ALL_PORTS_EVERYONE = {"spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]}}

MUTATIONS: dict[str, dict[str, Mutation]] = {
    p.efa_layout.name: {
        "an EFA interface missing": change(lambda i: _named(i, "gpu-lt"), lambda lt: lt["networkInterfaces"].pop()),
        "no self-referencing group": change(lambda i: _named(i, "gpu-efa-sg"), lambda sg: sg.update(ingress=[])),
    },
    p.security_groups_closed.name: {
        "the EFA group open to the world": change(
            lambda i: _named(i, "gpu-efa-sg"),
            lambda sg: sg["ingress"].append(
                {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}
            ),
        ),
        "the cache's group open over IPv6": change(
            lambda i: _named(i, "model-cache-sg"),
            lambda sg: sg["ingress"].append(
                {"protocol": "tcp", "fromPort": 988, "toPort": 988, "ipv6CidrBlocks": ["::/0"]}
            ),
        ),
    },
    p.launch_template_hardened.name: {
        "IMDSv1": change(lambda i: _named(i, "gpu-lt"), lambda lt: lt["metadataOptions"].update(httpTokens="optional")),
        "hop limit 2": change(
            lambda i: _named(i, "cluster-system-lt"),
            lambda lt: lt["metadataOptions"].update(httpPutResponseHopLimit=2),
        ),
        "an unencrypted volume": change(
            lambda i: _named(i, "gpu-lt"), lambda lt: lt["blockDeviceMappings"][0]["ebs"].update(encrypted="false")
        ),
    },
    p.node_groups_templated.name: {
        "no launch template": change(lambda i: _named(i, "cluster-system-nodes"), lambda ng: ng.pop("launchTemplate")),
        "a launch template from outside the stack": _outside_template,
    },
    p.control_plane_hardened.name: {
        "audit log off": change(lambda i: _of_type(i, ":Cluster"), lambda c: c.update(enabledClusterLogTypes=["api"])),
        "no KMS": change(lambda i: _of_type(i, ":Cluster"), lambda c: c.pop("encryptionConfig")),
    },
    p.network_policy_on.name: {
        "no default deny for the graph": without("netpol-default-deny"),
        "no default deny for the platform": without("inference-netpol-platform-default-deny"),
        "an allow-all ingress beside the deny": plus(rt.NETWORK_POLICY, _netpol("dynamo", ALL_PORTS_EVERYONE)),
        "an allow-all egress to every namespace": plus(
            rt.NETWORK_POLICY,
            _netpol(
                "dynamo-system",
                {
                    "spec": {
                        "podSelector": {},
                        "policyTypes": ["Egress"],
                        "egress": [{"to": [{"namespaceSelector": {}}]}],
                    }
                },
            ),
        ),
        "the graph's egress to 0.0.0.0/0": change(
            lambda i: _named(i, GRAPH_PLATFORM),
            lambda np: np["spec"]["egress"][-1].update(to=[{"ipBlock": {"cidr": "0.0.0.0/0"}}]),
        ),
        "the graph's egress to the instance metadata": change(
            lambda i: _named(i, GRAPH_PLATFORM),
            lambda np: np["spec"]["egress"][-1]["to"].append({"ipBlock": {"cidr": "169.254.169.254/32"}}),
        ),
        "the CNI's policy agent off": change(
            lambda i: next(r for r in i if r.props.get("addonName") == "vpc-cni"),
            lambda a: a.update(configurationValues='{"enableNetworkPolicy": "false"}'),
        ),
    },
    p.images_pinned.name: {
        "a latest image": change(
            lambda i: _of_type(i, ":Job"),
            lambda j: j["spec"]["template"]["spec"]["containers"][0].update(image="python:latest"),
        ),
        "a dev image": change(
            lambda i: _of_type(i, ":Job"),
            lambda j: j["spec"]["template"]["spec"]["containers"][0].update(image="nvcr.io/x/runtime:dev"),
        ),
        "a nightly tag in Helm values": change(
            lambda i: _named(i, "inference-platform"),
            lambda r: r["values"].setdefault("nats", {}).update(container={"image": {"tag": "nightly-2026-11-30"}}),
        ),
        "a latest tag in Helm values": change(
            lambda i: _named(i, "inference-platform"),
            lambda r: r["values"].update(
                {"dynamo-operator": {"controllerManager": {"manager": {"image": {"tag": "latest"}}}}}
            ),
        ),
        "a chart version range": change(
            lambda i: _named(i, "inference-platform"), lambda r: r.update(version="^1.3.0")
        ),
        "a version range in Helm values": change(
            lambda i: _named(i, "inference-platform"), lambda r: r["values"].update(grove={"version": ">=0.1.0"})
        ),
        "no chart version": change(lambda i: _named(i, "inference-platform"), lambda r: r.pop("version")),
    },
    p.hf_token_only_in_secrets.name: {
        "a plain env value": change(
            lambda i: _of_type(i, ":Job"), lambda j: _job_env(j).append({"name": "HF_TOKEN", "value": RENDER_TOKEN})
        ),
        "an env secretKeyRef": change(
            lambda i: _of_type(i, ":Job"),
            lambda j: _job_env(j).append(
                {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "x-hf-token", "key": "token"}}}
            ),
        ),
        "base64 in a ConfigMap": change(
            lambda i: _of_type(i, ":ConfigMap"), lambda cm: cm.setdefault("data", {}).update(extra=B64_TOKEN)
        ),
    },
    p.frontend_private.name: {
        "a LoadBalancer": plus(rt.K8S_SERVICE, {"spec": {"type": "LoadBalancer"}}),
        "external IPs": plus(rt.K8S_SERVICE, {"spec": {"type": "ClusterIP", "externalIPs": ["203.0.113.7"]}}),
        "an HTTPRoute": plus("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", {"spec": {"rules": [{}]}}),
        "the graph's ingress": change(
            lambda i: _of_type(i, ":DynamoGraphDeployment"),
            lambda d: _frontend(d).update(ingress={"enabled": True, "host": "r1.example.com"}),
        ),
        "the frontend on the host network": change(
            lambda i: _of_type(i, ":DynamoGraphDeployment"),
            lambda d: _frontend(d)["extraPodSpec"].update(hostNetwork=True),
        ),
        "a host port on the frontend": change(
            lambda i: _of_type(i, ":DynamoGraphDeployment"),
            lambda d: _frontend(d)["extraPodSpec"]["mainContainer"].update(
                ports=[{"containerPort": 8000, "hostPort": 8000}]
            ),
        ),
    },
    p.cache_retained.name: {
        "a volume deleted with its claim": change(
            lambda i: _of_type(i, ":PersistentVolume"),
            lambda pv: pv["spec"].update(persistentVolumeReclaimPolicy="Delete"),
        ),
        "a claim that is not ReadWriteMany": change(
            lambda i: _of_type(i, ":PersistentVolumeClaim"), lambda c: c["spec"].update(accessModes=["ReadWriteOnce"])
        ),
    },
    p.monitoring_hardened.name: {
        "the GPU exporter with SYS_ADMIN": change(
            lambda i: _chart(i, "dcgm-exporter"),
            lambda r: r["values"]["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]),
        ),
        "the GPU exporter on the host's network": change(
            lambda i: _chart(i, "dcgm-exporter"), lambda r: r["values"].update(hostNetwork=True)
        ),
        "node-exporter on": change(
            lambda i: _chart(i, "kube-prometheus-stack"), lambda r: r["values"].update(nodeExporter={"enabled": True})
        ),
        "Prometheus as root": change(
            lambda i: _chart(i, "kube-prometheus-stack"),
            lambda r: r["values"]["prometheus"]["prometheusSpec"]["securityContext"].update(runAsNonRoot=False),
        ),
    },
}
POLICIES = {policy.name: policy for policy in p.POLICIES}


def test_every_policy_has_mutations_that_break_its_promise() -> None:
    assert set(MUTATIONS) == set(POLICIES)


@pytest.fixture(scope="module")
def items(rendered: Callable[[str], Run]) -> list[PolicyResource]:
    return resources(rendered("h200-sglang-8"))


@pytest.mark.parametrize(
    ("policy", "mutation"), [(k, m) for k, ms in MUTATIONS.items() for m in ms], ids=lambda x: str(x)
)
def test_the_policy_fires_on_the_mutation(policy: str, mutation: str, items: list[PolicyResource]) -> None:
    assert violations(POLICIES[policy], items) == []
    assert violations(POLICIES[policy], MUTATIONS[policy][mutation](items)), mutation
