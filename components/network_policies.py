"""The NetworkPolicies of the serving namespace (the graph and its callers) and of the platform namespace."""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from specs import network_policies


def network_policy(
    name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions
) -> k8s.networking.v1.NetworkPolicy:
    """One NetworkPolicy from a pure builder's manifest (specs/network_policies.py and the Jobs' own specs)."""
    return k8s.networking.v1.NetworkPolicy(name, metadata=manifest["metadata"], spec=manifest["spec"], opts=opts)


@dataclass(frozen=True)
class ServingNetworkPoliciesArgs:
    namespace: pulumi.Input[str]
    graph_name: str
    platform_namespace: str
    api_server_cidrs: list[str]
    """Where the API server's endpoints are: the VPC's CIDR on a VPC the stack creates, else anywhere."""
    benchmark: bool = False
    """Whether the benchmark Job runs (its PyPI egress is allowed only then)."""
    prometheus: tuple[str, dict[str, str]] | None = None
    """The scraping Prometheus's namespace and pod labels, when the metrics pipeline is on."""


class ServingNetworkPolicies(pulumi.ComponentResource):
    """Created before any pod they govern: what waits for this component (the graph, the fabric check) starts
    with its allows in place. The deny comes after DNS, so no pod ever sees the one without the other."""

    def __init__(self, name: str, args: ServingNetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dsr1:index:ServingNetworkPolicies", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        deny, dns = network_policies.namespace_policies(args.namespace)
        allows = [
            self._policy(dns, child),
            *(
                self._policy(p, child)
                for p in network_policies.graph_policies(
                    namespace=args.namespace,
                    graph_name=args.graph_name,
                    platform_namespace=args.platform_namespace,
                    api_server_cidrs=args.api_server_cidrs,
                    benchmark=args.benchmark,
                )
            ),
            *(
                self._policy(p, child)
                for p in (
                    network_policies.scrape_policies(
                        namespace=args.namespace,
                        graph_name=args.graph_name,
                        prometheus_namespace=args.prometheus[0],
                        prometheus_labels=args.prometheus[1],
                    )
                    if args.prometheus
                    else []
                )
            ),
        ]
        self._policy(deny, pulumi.ResourceOptions(parent=self, depends_on=allows))
        self.register_outputs({})

    @staticmethod
    def _policy(manifest: dict[str, Any], opts: pulumi.ResourceOptions) -> k8s.networking.v1.NetworkPolicy:
        return network_policy(f"netpol-{manifest['metadata']['name']}", manifest, opts)


def platform_network_policies(
    name: str,
    *,
    platform_namespace: str,
    serving_namespace: str,
    graph_name: str,
    api_server_cidrs: list[str],
    opts: pulumi.ResourceOptions,
    prometheus: tuple[str, dict[str, str]] | None = None,
) -> list[k8s.networking.v1.NetworkPolicy]:
    """The platform namespace's default deny and one allow per flow (specs/network_policies.platform_policies),
    as children of the component that owns the platform release (which creates the namespace; `opts` waits for
    it). The deny comes last, after its allows. Returns them all, for what must wait for them."""
    deny, *rest = network_policies.platform_policies(
        platform_namespace=platform_namespace,
        serving_namespace=serving_namespace,
        graph_name=graph_name,
        api_server_cidrs=api_server_cidrs,
        prometheus=prometheus,
    )
    allows = [network_policy(f"{name}-{m['metadata']['name']}", m, opts) for m in rest]
    after = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=allows))
    denial = network_policy(f"{name}-{deny['metadata']['name']}", deny, after)
    return [*allows, denial]
