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
  Kubernetes-native) and -> the API server :443 (discovery: EndpointSlices, DynamoWorkerMetadata); the platform
  namespace has its own default deny and allows (`platform_policies`);
- every pod -> cluster DNS :53;
- Prometheus -> the frontend's :8000 and the workers' system port :9090 (/metrics), and -> NATS's exporter :7777 in
  the platform namespace, when the metrics pipeline is on (`scrape_policies`, `platform_policies`;
  docs/observability.md). The GPUs' exporter lives outside both namespaces.
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
NATS_CLUSTER_PORT = 6222
ETCD_PORT = 2379
ETCD_PEER_PORT = 2380
OPERATOR_WEBHOOK_PORT = 9443
NATS_EXPORTER_PORT = 7777
"""The NATS chart's Prometheus exporter sidecar, port `prom-metrics` (nats-io/k8s helm/charts/nats
files/stateful-set/prom-exporter-container.yaml; promExporter.port, set explicitly in the platform's values)."""
API_SERVER_PORT = 443
OPERATOR_POD = {"control-plane": "controller-manager"}
"""The Dynamo operator's pod labels and webhook port (dynamo-platform's operator subchart, templates/
deployment.yaml: `control-plane: controller-manager`, containerPort 9443 `webhook-server`)."""
NATS_POD = {"app.kubernetes.io/name": "nats", "app.kubernetes.io/component": "nats"}
"""The NATS server's selector labels (nats-io chart `nats.selectorLabels`; client port 4222, cluster 6222)."""
ETCD_POD = {"app.kubernetes.io/name": "etcd"}
"""The bitnami etcd chart's pods (client 2379, peer 2380), installed only with global.etcd.install. (check)"""
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
"""RFC 1918: where a cluster's API server, nodes and pods live when the stack cannot know their addresses."""
NOT_INTERNET = (*PRIVATE_RANGES, "100.64.0.0/10", "169.254.0.0/16")
"""What "the internet only" leaves out. On EKS every one of the cluster's own addresses is in it: the VPC
(validation/refusals.py keeps a VPC CIDR inside RFC 1918 or 100.64.0.0/10), the pods (EKS user guide "Assign IPs
to Pods with the Amazon VPC CNI": a private address from the VPC for each Pod; 100.64.0.0/10 is the usual secondary
CIDR for custom networking), the Services (EKS picks 10.100.0.0/16 or 172.20.0.0/16 when
serviceIpv4Cidr is unset: EKS API KubernetesNetworkConfigRequest), and link-local 169.254.0.0/16 (the instance
metadata service at 169.254.169.254, the EKS Pod Identity agent at 169.254.170.23)."""
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


def internet_https() -> dict[str, Any]:
    """An egress rule: TCP 443 to public addresses only (the Hub, its CDN, PyPI), never the VPC, the cluster's pod
    and Service ranges or link-local (NOT_INTERNET)."""
    return {
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(NOT_INTERNET)}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    }


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
                    {
                        "to": [{**_in_namespace(platform_namespace), "podSelector": {"matchLabels": dict(NATS_POD)}}],
                        "ports": [{"protocol": "TCP", "port": NATS_PORT}],
                    },
                    {
                        "to": [{**_in_namespace(platform_namespace), "podSelector": {"matchLabels": dict(ETCD_POD)}}],
                        "ports": [{"protocol": "TCP", "port": ETCD_PORT}],
                    },
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
                    # aiperf is installed from PyPI at start (hash-locked); PyPI's addresses are a CDN's, so any public
                    # address on :443, nothing of the VPC or the cluster.
                    "podSelector": {
                        "matchLabels": {"app.kubernetes.io/part-of": graph_name, "app.kubernetes.io/name": "benchmark"}
                    },
                    "policyTypes": ["Egress"],
                    "egress": [internet_https()],
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


def platform_policies(
    *,
    platform_namespace: str,
    serving_namespace: str,
    graph_name: str,
    api_server_cidrs: list[str],
    prometheus: tuple[str, dict[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """The platform namespace: default deny, DNS, then one allow per flow. NATS (no TLS, no auth by default) and
    etcd answer the graph's pods and the operator only, not every pod of the cluster.

    Flows: every platform pod -> the API server :443 (the operator, Grove, KAI and the chart's hook Jobs are
    controllers); the API server -> the controllers' webhooks (the operator's :9443; Grove's and KAI's, whose ports
    this stack does not pin, on gang stacks) and the controllers among themselves, any port; graph and operator ->
    NATS :4222 and etcd :2379; NATS <-> NATS :6222 and etcd <-> etcd :2380 (their clusters, when scaled out).
    NATS and etcd are the stores: they are not controllers, so nothing but their own allows reaches them."""
    ns = platform_namespace
    graph = {**_in_namespace(serving_namespace), "podSelector": _graph(graph_name)}
    operator = {"podSelector": {"matchLabels": dict(OPERATOR_POD)}}
    deny, dns = namespace_policies(ns)
    api = [{"ipBlock": {"cidr": c}} for c in api_server_cidrs]

    def tcp(port: int) -> list[dict[str, Any]]:
        return [{"protocol": "TCP", "port": port}]

    def store(name: str, pod: dict[str, str], port: int, peer_port: int) -> dict[str, Any]:
        selector = {"matchLabels": dict(pod)}
        return _policy(
            f"platform-{name}",
            ns,
            {
                "podSelector": selector,
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [
                    {"from": [graph, operator], "ports": tcp(port)},
                    {"from": [{"podSelector": selector}], "ports": tcp(peer_port)},
                ],
                "egress": [{"to": [{"podSelector": selector}], "ports": tcp(peer_port)}],
            },
        )

    controllers = {
        "matchExpressions": [
            {
                "key": "app.kubernetes.io/name",
                "operator": "NotIn",
                "values": [NATS_POD["app.kubernetes.io/name"], ETCD_POD["app.kubernetes.io/name"]],
            }
        ]
    }
    return [
        {**deny, "metadata": {**deny["metadata"], "name": "platform-default-deny"}},
        {**dns, "metadata": {**dns["metadata"], "name": "platform-allow-dns"}},
        _policy(
            "platform-api-server",
            ns,
            {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": api, "ports": tcp(API_SERVER_PORT)}]},
        ),
        _policy(
            "platform-controllers",
            ns,
            {
                "podSelector": controllers,
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": api}, {"from": [{"podSelector": controllers}]}],
                "egress": [{"to": [{"podSelector": controllers}]}],
            },
        ),
        _policy(
            "platform-operator",
            ns,
            {
                "podSelector": operator["podSelector"],
                "policyTypes": ["Egress"],
                "egress": [
                    {"to": [{"podSelector": {"matchLabels": dict(NATS_POD)}}], "ports": tcp(NATS_PORT)},
                    {"to": [{"podSelector": {"matchLabels": dict(ETCD_POD)}}], "ports": tcp(ETCD_PORT)},
                ],
            },
        ),
        store("nats", NATS_POD, NATS_PORT, NATS_CLUSTER_PORT),
        store("etcd", ETCD_POD, ETCD_PORT, ETCD_PEER_PORT),
        *([_nats_metrics(ns, *prometheus)] if prometheus else []),
    ]


def _nats_metrics(namespace: str, prometheus_namespace: str, prometheus_labels: dict[str, str]) -> dict[str, Any]:
    """The metrics pipeline's Prometheus pods -> NATS's exporter sidecar, nothing else of NATS."""
    source = {**_in_namespace(prometheus_namespace), "podSelector": {"matchLabels": dict(prometheus_labels)}}
    return _policy(
        "platform-nats-metrics",
        namespace,
        {
            "podSelector": {"matchLabels": dict(NATS_POD)},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [source], "ports": [{"protocol": "TCP", "port": NATS_EXPORTER_PORT}]}],
        },
    )


def isolated(name: str, namespace: pulumi.Input[str], labels: dict[str, str]) -> dict[str, Any]:
    """No traffic either way for the pods with `labels` (the image pre-pull, the GPU gate: they open no connection
    and listen on none). The namespace's default deny already says so; this says it of these pods by name, so it
    holds even if that deny goes, and checkov's CKV2_K8S_6 sees a policy selecting them instead of a skip."""
    return _policy(
        name, namespace, {"podSelector": {"matchLabels": dict(labels)}, "policyTypes": ["Ingress", "Egress"]}
    )
