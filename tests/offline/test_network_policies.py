"""The policy walk: every stack's NetworkPolicies against the pods that need to talk, and those that must not.

Each needed flow is admitted at each policed end by exactly one policy; each forbidden flow is refused at one end.
"""

import json
from collections.abc import Callable
from ipaddress import IPv4Network
from typing import Any

import pytest

from config.errors import ConfigError
from config.schema import ExistingTarget
from offline.checks.network_walk import Endpoint, allowed, flow
from offline.checks.operator_pods import graph_deployments
from offline.report import manifests, summary
from offline.run import Run
from tests.support import render, stack_config, stack_values, stacks

API_SERVER_IP = "10.40.0.10"
"""An EKS control-plane ENI in the stack's VPC (10.40.0.0/16, the default vpcCidr)."""
HUB = Endpoint("huggingface.co", None, ip="18.244.0.1")
PLATFORM = "dynamo-system"
NATS_LABELS = {"app.kubernetes.io/name": "nats", "app.kubernetes.io/component": "nats"}
NATS = Endpoint("nats", PLATFORM, NATS_LABELS, ip="10.40.2.5")
NATS_PEER = Endpoint("nats-1", PLATFORM, dict(NATS.labels), ip="10.40.2.6")
ETCD = Endpoint("etcd", PLATFORM, {"app.kubernetes.io/name": "etcd"}, ip="10.40.2.7")
OPERATOR = Endpoint("operator", PLATFORM, {"control-plane": "controller-manager"}, ip="10.40.2.8")
GROVE = Endpoint("grove-operator", PLATFORM, {"app.kubernetes.io/name": "grove"}, ip="10.40.2.9")
NOT_INTERNET = [
    Endpoint("vpc-node", None, ip="10.40.0.99"),
    Endpoint("a-pod", None, ip="10.40.7.7"),
    Endpoint("kubernetes-service", None, ip="172.20.0.1"),
    Endpoint("other-service-range", None, ip="10.100.0.1"),
    Endpoint("instance-metadata", None, ip="169.254.169.254"),
    Endpoint("pod-identity-agent", None, ip="169.254.170.23"),
    Endpoint("custom-networking-pod", None, ip="100.64.3.3"),
    Endpoint("peered-vpc", None, ip="192.168.1.1"),
]
"""Addresses the Jobs' "internet only" egress must not reach: the VPC, pods, both EKS service ranges (EKS API
KubernetesNetworkConfigRequest: 10.100.0.0/16 or 172.20.0.0/16), link-local (IMDS, the Pod Identity agent)."""
PROMETHEUS = Endpoint(
    "prometheus",
    "monitoring",
    {"app.kubernetes.io/name": "prometheus", "app.kubernetes.io/managed-by": "prometheus-operator", "prometheus": "x"},
    ip="10.40.2.90",
)
"""A Prometheus pod of the in-cluster stack (labels the Prometheus Operator sets on its pods)."""
GRAFANA = Endpoint("grafana", "monitoring", {"app.kubernetes.io/name": "grafana"}, ip="10.40.2.91")


def _pods(run: Run) -> dict[str, Endpoint]:
    docs = manifests(run)
    (dgd,) = [m for m in docs if m["kind"] == "DynamoGraphDeployment"]
    ns = dgd["metadata"]["namespace"]
    templates = [*graph_deployments(dgd), *(m for m in docs if m["kind"] == "Job")]
    pods = {}
    for i, m in enumerate(templates):
        labels = m["spec"]["template"]["metadata"]["labels"]
        name = (
            labels.get("app.kubernetes.io/name") or labels.get("nvidia.com/dynamo-component") or m["metadata"]["name"]
        )
        if "dsr1.io/fabric-check" in labels:
            name = "fabric-check"
        pods[name.lower()] = Endpoint(name.lower(), ns, labels, ip=f"10.40.1.{i + 10}")
    return pods


def _policies(run: Run) -> list[dict[str, Any]]:
    return [m for m in manifests(run) if m["kind"] == "NetworkPolicy"]


def _needed(pods: dict[str, Endpoint], platform_namespace: str) -> list[tuple[Endpoint, Endpoint, int, str]]:
    graph = [pods[n] for n in ("frontend", "prefill", "decode")]
    nats = NATS
    api = Endpoint("kube-apiserver", None, ip=API_SERVER_IP)
    service = Endpoint("kubernetes-service", None, ip="172.20.0.1")  # the same, before kube-proxy translates it
    dns = Endpoint("coredns", "kube-system", {"k8s-app": "kube-dns"}, ip="10.40.2.53")
    flows = [(pods["smoke-test"], pods["frontend"], 8000, "TCP")]
    if "benchmark" in pods:
        flows += [(pods["benchmark"], pods["frontend"], 8000, "TCP"), (pods["benchmark"], HUB, 443, "TCP")]
    # The request plane, NIXL's KV transfer and side channels, NCCL bootstrap: ports the runtime picks.
    flows += [(a, b, 30001, "TCP") for a in graph for b in graph if a is not b and b.name != "frontend"]
    flows += [(p, nats, 4222, "TCP") for p in graph]
    flows += [(p, api, 443, "TCP") for p in graph] + [(p, service, 443, "TCP") for p in graph]
    flows += [(p, dns, 53, "UDP") for p in pods.values()]
    flows.append((pods["model-download"], HUB, 443, "TCP"))
    if "fabric-check" in pods:
        flows.append((pods["fabric-check"], pods["fabric-check"], 2222, "TCP"))
    # The platform namespace: its controllers call the API server, the API server calls the operator's webhook,
    # the graph and the operator use NATS and etcd, NATS and etcd replicas talk among themselves.
    flows += [(p, api, 443, "TCP") for p in (OPERATOR, NATS, GROVE)]
    flows += [(api, OPERATOR, 9443, "TCP"), (OPERATOR, NATS, 4222, "TCP"), (OPERATOR, ETCD, 2379, "TCP")]
    flows += [(p, ETCD, 2379, "TCP") for p in graph]
    flows += [(NATS, NATS_PEER, 6222, "TCP")] + [(q, dns, 53, "UDP") for q in (OPERATOR, NATS, GROVE)]
    flows += [(api, GROVE, 9443, "TCP"), (GROVE, OPERATOR, 8080, "TCP"), (OPERATOR, GROVE, 8080, "TCP")]
    # The metrics pipeline's scrapes: the frontend's /metrics on its HTTP port, the workers' on their system port.
    flows += [(PROMETHEUS, pods["frontend"], 8000, "TCP")]
    flows += [(PROMETHEUS, pods[w], 9090, "TCP") for w in ("prefill", "decode")]
    flows += [(PROMETHEUS, NATS, 7777, "TCP")]  # NATS's exporter sidecar, in the platform namespace
    return flows


def _forbidden(pods: dict[str, Endpoint], api_server_anywhere: bool) -> list[tuple[Endpoint, Endpoint, int]]:
    """`api_server_anywhere`: the stack cannot know its API server's address (an existing cluster that does not
    say, a given VPC), so the graph may open :443 anywhere."""
    outsider = Endpoint("some-app", "default", {"app": "x"}, ip="10.40.3.3")
    frontend, prefill = pods["frontend"], pods["prefill"]
    out = [
        (outsider, frontend, 8000),  # every pod in the cluster could reach the frontend before
        (pods["model-download"], frontend, 8000),
        (pods["smoke-test"], prefill, 9090),
        (pods["smoke-test"], HUB, 443),
        (prefill, HUB, 80),
        (pods["model-download"], prefill, 30001),
        (frontend, pods["model-download"], 8080),
    ]
    if "fabric-check" in pods:
        out += [(pods["fabric-check"], frontend, 8000), (prefill, pods["fabric-check"], 2222)]
    if not api_server_anywhere:
        out += [(frontend, HUB, 443), (prefill, HUB, 443)]
    # NATS (no TLS, no auth) and etcd answer the graph and the operator only.
    for client in (outsider, pods["model-download"], pods["smoke-test"], GROVE):
        out += [(client, NATS, 4222), (client, ETCD, 2379)]
    # (The operator's webhook answers the API server's addresses, which on EKS share the VPC's range with the pods:
    # an address rule cannot tell them apart, so the webhook is not in this list; docs/security.md.)
    out += [(NATS, HUB, 443), (OPERATOR, HUB, 443), (prefill, NATS, 6222), (GROVE, HUB, 443)]
    # The Jobs reach the internet only: not the VPC, the pods, the Services or link-local.
    jobs = [pods["model-download"], *([pods["benchmark"]] if "benchmark" in pods else [])]
    out += [(job, target, port) for job in jobs for target in NOT_INTERNET for port in (443, 80)]
    out += [(p, target, 80) for p in (frontend, prefill) for target in NOT_INTERNET if target.ip.startswith("169.254")]
    # Prometheus scrapes, nothing more; nothing else of its namespace scrapes.
    out += [(PROMETHEUS, prefill, 30001), (PROMETHEUS, pods["model-download"], 8080), (PROMETHEUS, frontend, 9090)]
    out += [(GRAFANA, frontend, 8000), (GRAFANA, prefill, 9090), (outsider, prefill, 9090)]
    # A pod merely named prometheus (not the operator's) does not scrape.
    namesake = Endpoint("namesake", "monitoring", {"app.kubernetes.io/name": "prometheus"}, ip="10.40.2.94")
    out += [(namesake, frontend, 8000), (namesake, prefill, 9090)]
    out += [(PROMETHEUS, NATS, 4222), (PROMETHEUS, ETCD, 2379), (GRAFANA, NATS, 7777), (outsider, NATS, 7777)]
    return out


@pytest.mark.parametrize("stack", stacks())
def test_each_needed_flow_is_allowed_by_exactly_one_policy_at_each_end(
    stack: str, rendered: Callable[[str], Run]
) -> None:
    run = rendered(stack)
    policies, pods = _policies(run), _pods(run)
    needed = list(_needed(pods, "dynamo-system"))
    assert needed, stack  # the walk has flows to check
    for src, dst, port, protocol in needed:
        result = flow(policies, src, dst, port, protocol)
        assert any(names is not None for names in result.values()), (stack, src.name, dst.name, port)
        for side, names in result.items():
            if names is not None:
                assert len(names) == 1, (stack, src.name, dst.name, port, side, names)


def _api_server_unknown(stack: str) -> bool:
    """The stack's config cannot place the API server: an existing cluster's `apiServerCidrs` left open, or a given
    VPC without its `vpcCidr`; the graph's :443 egress is then open to any address (and the summary says so)."""
    t = stack_config(stack).target
    if isinstance(t, ExistingTarget):
        return IPv4Network("0.0.0.0/0") in t.api_server_cidrs
    return t.network is not None and t.network.vpc_cidr is None


@pytest.mark.parametrize("stack", stacks())
def test_everything_else_is_refused(stack: str, rendered: Callable[[str], Run]) -> None:
    run = rendered(stack)
    policies, pods = _policies(run), _pods(run)
    anywhere = "0.0.0.0/0" in str([p["spec"] for p in policies if p["metadata"]["name"].endswith("-platform")])
    assert not anywhere  # no stack's graph may open an internet address, dev included
    for src, dst, port in _forbidden(pods, anywhere):
        assert not allowed(flow(policies, src, dst, port)), (stack, src.name, dst.name, port)


def test_every_pod_of_the_namespace_is_isolated_both_ways(sglang8: Run) -> None:
    policies, pods = _policies(sglang8), _pods(sglang8)
    for pod in pods.values():
        result = flow(policies, pod, pod, 1)
        assert result["Egress"] is not None and result["Ingress"] is not None, pod.name


def test_the_walk_catches_a_missing_allow(sglang8: Run) -> None:
    """Without the graph's internal policy, prefill cannot reach decode: the walk is not vacuous."""
    pods = _pods(sglang8)
    policies = [p for p in _policies(sglang8) if not p["metadata"]["name"].endswith("-internal")]
    assert not allowed(flow(policies, pods["prefill"], pods["decode"], 30001))
    assert allowed(flow(_policies(sglang8), pods["prefill"], pods["decode"], 30001))


def _in_existing_vpc(**network: Any) -> Run:
    target = {
        **stack_values("h200-sglang-8")["target"],
        "availabilityZones": None,
        "network": {
            "vpcId": "vpc-0123456789abcdef0",
            "privateSubnetIds": ["subnet-0aaaaaaaa", "subnet-0bbbbbbbb"],
            **network,
        },
    }
    return render("h200-sglang-8", f"target={json.dumps(target)}")


def _api_server_blocks(run: Run) -> list[str]:
    (platform,) = [p for p in _policies(run) if p["metadata"]["name"].endswith("-platform")]
    (to_api,) = [e for e in platform["spec"]["egress"] if any("ipBlock" in t for t in e["to"])]
    return [t["ipBlock"]["cidr"] for t in to_api["to"]]


def test_an_existing_vpc_with_its_cidr_narrows_the_api_server_egress() -> None:
    """target.network.vpcCidr: the graph opens :443 inside the VPC (and to the `kubernetes` Service), not anywhere."""
    run = _in_existing_vpc(vpcCidr="10.40.0.0/16")
    assert _api_server_blocks(run) == ["10.40.0.0/16", "172.20.0.1/32"]
    assert "vpcCidr" not in run.outputs["networkPolicies"]
    policies, pods = _policies(run), _pods(run)
    for src, dst, port, protocol in _needed(pods, "dynamo-system"):
        assert allowed(flow(policies, src, dst, port, protocol)), (src.name, dst.name, port)
    for src, dst, port in _forbidden(pods, api_server_anywhere=False):
        assert not allowed(flow(policies, src, dst, port)), (src.name, dst.name, port)


def test_an_existing_vpc_without_its_cidr_opens_443_to_private_addresses_only_and_says_so() -> None:
    run = _in_existing_vpc()
    assert _api_server_blocks(run) == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
    policies, pods = _policies(run), _pods(run)
    assert not allowed(flow(policies, pods["prefill"], HUB, 443))
    assert "set target.network.vpcCidr" in run.outputs["networkPolicies"]
    assert "set target.network.vpcCidr" in summary(run, width=1000)


@pytest.mark.parametrize("cidr", ["10.0.0.0/8", "10.0.0.1/16", "10.0.0.0/29", "not-a-cidr"])
def test_a_vpc_cidr_that_is_no_vpc_block_is_refused(cidr: str) -> None:
    with pytest.raises(ConfigError) as e:
        _in_existing_vpc(vpcCidr=cidr)
    assert "target.network.vpcCidr" in str(e.value)


def test_the_benchmarks_pypi_egress_exists_only_when_the_benchmark_runs(rendered: Callable[[str], Run]) -> None:
    def pypi_policies(run: Run) -> list[str]:
        names = [m["metadata"]["name"] for m in manifests(run) if m["kind"] == "NetworkPolicy"]
        return [n for n in names if n.endswith("-benchmark-pypi")]

    assert pypi_policies(rendered("h200-sglang-8")) == []
    serving = stack_values("h200-sglang-8")["serving"]
    serving["benchmark"] = {"enabled": True}
    assert pypi_policies(render("h200-sglang-8", f"serving={json.dumps(serving)}")) == ["sgl-dsr1-8gpu-benchmark-pypi"]


def test_without_the_metrics_pipeline_nothing_scrapes(rendered: Callable[[str], Run]) -> None:
    run = render("h200-sglang-8", 'observability={"enabled": false}')
    policies, pods = _policies(run), _pods(run)
    assert not allowed(flow(policies, PROMETHEUS, pods["frontend"], 8000))
    assert not allowed(flow(policies, PROMETHEUS, pods["decode"], 9090))
    assert not allowed(flow(policies, PROMETHEUS, NATS, 7777))
    assert not any(p["metadata"]["name"].endswith("-metrics") for p in policies)


def test_an_existing_prometheus_is_admitted_by_its_namespace_and_labels() -> None:
    """dev with the cluster's own Prometheus (observability.prometheus: existing): its pods, no other."""
    obs = {"prometheus": "existing", "namespace": "obs", "prometheusPodLabels": {"app": "prom"}}
    run = render("dev", f"observability={json.dumps(obs)}")
    policies, pods = _policies(run), _pods(run)
    theirs = Endpoint("their-prometheus", "obs", {"app": "prom"}, ip="10.40.2.92")
    assert allowed(flow(policies, theirs, pods["frontend"], 8000))
    assert allowed(flow(policies, theirs, pods["prefill"], 9090))
    assert not allowed(flow(policies, PROMETHEUS, pods["prefill"], 9090))  # the wrong namespace
    assert not allowed(flow(policies, Endpoint("x", "obs", {"app": "other"}, ip="10.40.2.93"), pods["decode"], 9090))
