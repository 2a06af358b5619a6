"""The serving namespace's NetworkPolicies: deny everything, then allow exactly what each part needs, once.

Every flow below is allowed by one policy at each end (egress where it leaves, ingress where it arrives); the test
(tests/offline/test_network_policies.py) walks them against the pods the stack runs. The parts' own policies
(the download's HTTPS egress, the fabric check's peers) live beside their Jobs; DNS is allowed here for all.

Flows, from Dynamo 1.3's communication planes (docs.nvidia.com/dynamo, "Service Discovery", "Discovery Plane"):
- clients -> frontend :8000: the smoke-test and benchmark Jobs only; anything else is the user's to allow;
- frontend <-> workers and worker <-> worker, any port: the request plane (TCP, ports the runtime picks), NIXL's KV
  transfer and its side channels (SGLang's bootstrap port, vLLM's), NCCL's bootstrap between a multi-node worker's
  pods. EFA's OS-bypass data path does not cross the pods' IP stack at all;
- graph pods -> NATS :4222 in the platform namespace (the event plane; etcd is not installed: discovery is
  Kubernetes-native) and -> the API server :443 (discovery: EndpointSlices, DynamoWorkerMetadata);
- every pod -> cluster DNS :53;
- Prometheus -> the frontend's :8000 and the workers' system port :9090 (/metrics), when the metrics pipeline is on
  (`scrape_policies`; docs/observability.md). NATS and the GPUs' exporter live outside this namespace.
The kubelet's probes need no rule: the VPC CNI's policy agent always admits the node's own address
(aws/aws-network-policy-agent#65), as other CNIs do.
"""

from typing import Any

import pulumi

from specs.graph_spec import FRONTEND_PORT

GRAPH_LABEL = "nvidia.com/dynamo-graph-deployment-name"
COMPONENT_TYPE_LABEL = "nvidia.com/dynamo-component-type"
"""Labels the Dynamo operator puts on the pods it creates (deploy/operator/internal/consts in ai-dynamo/dynamo)."""
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace (Kubernetes >= 1.22): selects a namespace by name."""
NATS_PORT = 4222
SYSTEM_PORT = 9090
"""The workers' system port (/metrics, /health): `DynamoSystemPort = 9090`, named `system`, in ai-dynamo/dynamo
deploy/operator/internal/consts/consts.go; the operator's PodMonitors scrape it and the frontend's `http` port."""
API_SERVER_PORT = 443
ENDPOINT_CHECKS = ("smoke-test", "benchmark")
"""`app.kubernetes.io/name` of the Jobs that call the frontend (specs/smoke_spec.py)."""
DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def _policy(name: str, namespace: pulumi.Input[str], spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def _graph(graph_name: str, component_type: str | None = None) -> dict[str, Any]:
    labels = {GRAPH_LABEL: graph_name}
    if component_type:
        labels[COMPONENT_TYPE_LABEL] = component_type
    return {"matchLabels": labels}


def _endpoint_checks(graph_name: str) -> dict[str, Any]:
    return {
        "matchLabels": {"app.kubernetes.io/part-of": graph_name},
        "matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In", "values": list(ENDPOINT_CHECKS)}],
    }


def _in_namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: name}}}


def namespace_policies(namespace: pulumi.Input[str]) -> list[dict[str, Any]]:
    """Default deny for every pod of the namespace, and DNS for all of them (the one thing every pod needs)."""
    kube_dns = {**_in_namespace("kube-system"), "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
    return [
        _policy("default-deny", namespace, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        _policy(
            "allow-dns",
            namespace,
            {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [kube_dns], "ports": DNS_PORTS}]},
        ),
    ]


def graph_policies(
    *,
    namespace: pulumi.Input[str],
    graph_name: str,
    platform_namespace: str,
    api_server_cidrs: list[str],
    benchmark: bool = False,
) -> list[dict[str, Any]]:
    """What the graph's pods and the Jobs that call it may do; the benchmark's PyPI egress only when it runs."""
    everyone = _graph(graph_name)
    frontend_port = [{"protocol": "TCP", "port": FRONTEND_PORT}]
    policies = [
        _policy(
            f"{graph_name}-internal",
            namespace,
            {
                "podSelector": everyone,
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": everyone}]}],
                "egress": [{"to": [{"podSelector": everyone}]}],
            },
        ),
        _policy(
            f"{graph_name}-platform",
            namespace,
            {
                "podSelector": everyone,
                "policyTypes": ["Egress"],
                "egress": [
                    {"to": [_in_namespace(platform_namespace)], "ports": [{"protocol": "TCP", "port": NATS_PORT}]},
                    {
                        "to": [{"ipBlock": {"cidr": c}} for c in api_server_cidrs],
                        "ports": [{"protocol": "TCP", "port": API_SERVER_PORT}],
                    },
                ],
            },
        ),
        _policy(
            f"{graph_name}-frontend-clients",
            namespace,
            {
                "podSelector": _graph(graph_name, "frontend"),
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"podSelector": _endpoint_checks(graph_name)}], "ports": frontend_port}],
            },
        ),
        _policy(
            f"{graph_name}-endpoint-checks",
            namespace,
            {
                "podSelector": _endpoint_checks(graph_name),
                "policyTypes": ["Ingress", "Egress"],
                "egress": [{"to": [{"podSelector": _graph(graph_name, "frontend")}], "ports": frontend_port}],
            },
        ),
    ]
    if benchmark:
        policies.append(
            _policy(
                f"{graph_name}-benchmark-pypi",
                namespace,
                {
                    # aiperf is installed from PyPI at start (hash-locked); PyPI's addresses are a CDN's, so any :443.
                    "podSelector": {
                        "matchLabels": {"app.kubernetes.io/part-of": graph_name, "app.kubernetes.io/name": "benchmark"}
                    },
                    "policyTypes": ["Egress"],
                    "egress": [{"ports": [{"protocol": "TCP", "port": 443}]}],
                },
            )
        )
    return policies


def scrape_policies(
    *, namespace: pulumi.Input[str], graph_name: str, prometheus_namespace: str, prometheus_labels: dict[str, str]
) -> list[dict[str, Any]]:
    """Prometheus's scrapes of the graph, one allow per flow: the frontend's HTTP port, the workers' system port.
    Only the Prometheus pods of their namespace are admitted; Prometheus's own egress is its namespace's business."""
    prometheus = {**_in_namespace(prometheus_namespace), "podSelector": {"matchLabels": dict(prometheus_labels)}}

    def ingress(name: str, component_type: str, port: int) -> dict[str, Any]:
        return _policy(
            f"{graph_name}-{name}",
            namespace,
            {
                "podSelector": _graph(graph_name, component_type),
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [prometheus], "ports": [{"protocol": "TCP", "port": port}]}],
            },
        )

    return [ingress("frontend-metrics", "frontend", FRONTEND_PORT), ingress("worker-metrics", "worker", SYSTEM_PORT)]
