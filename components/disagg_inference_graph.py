"""DisaggInferenceGraph: the Dynamo platform release and the DynamoGraphDeployment it runs, and their endpoint."""

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import helm
from components.network_policies import platform_network_policies
from config.versions import Chart
from specs import graph_spec, network_policies
from specs.graph_spec import GraphSpec
from specs.observability import charts


@dataclass(frozen=True)
class DisaggInferenceGraphArgs:
    spec: GraphSpec
    namespace: pulumi.Input[str]
    """The graph's namespace (an Output of the Namespace resource, so everything here is created after it)."""
    platform: Chart
    """The dynamo-platform chart at the configured release."""
    platform_namespace: str
    pin_control_plane: bool
    """Pin the operator and NATS to the CPU system nodes (EKS), never onto rented GPUs."""
    after: list[pulumi.Resource]
    """What the graph itself must wait for: the download Job (weights complete), the GPU pool (nodes joined) and,
    on EKS, the cluster (its device plugins advertise the GPUs and EFA devices; its DRA driver serves
    ComputeDomains)."""
    platform_storage_class: str | None = None
    """The StorageClass of the platform's own claims (NATS, etcd); None: the cluster's default (an existing one)."""
    api_server_cidrs: list[str] = field(default_factory=lambda: list(network_policies.PRIVATE_RANGES))
    """Where the API server is (the platform's controllers call it; it calls the operator's webhook)."""
    platform_values: dict[str, Any] = field(default_factory=dict)
    """Values laid over the platform's own (the metrics pipeline's PodMonitors and NATS exporter)."""
    platform_after: list[pulumi.Resource] = field(default_factory=list)
    """What the platform release waits for (the Prometheus Operator's CRDs its PodMonitors need)."""
    prometheus: tuple[str, dict[str, str]] | None = None
    """The metrics pipeline's Prometheus (namespace, pod labels): admitted to NATS's exporter."""


def _custom_resource(name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions) -> pulumi.Resource:
    return k8s.apiextensions.CustomResource(
        name,
        api_version=manifest["apiVersion"],
        kind=manifest["kind"],
        metadata=manifest["metadata"],
        spec=manifest["spec"],
        opts=opts,
    )


class DisaggInferenceGraph(pulumi.ComponentResource):
    graph_name: str
    """Name of the DynamoGraphDeployment."""
    frontend_url: str
    """In-cluster URL of the OpenAI-compatible endpoint."""
    port_forward_command: str
    """How to reach the endpoint from a laptop."""
    graph: pulumi.Resource
    """The DynamoGraphDeployment, awaited until its Ready condition is True (what the endpoint checks wait for)."""
    graph_spec: dict[str, Any]
    """The graph's spec as sent (plain values)."""
    base_url: str
    """In-cluster URL of the frontend, without the /v1 path."""

    def __init__(self, name: str, args: DisaggInferenceGraphArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dsr1:index:DisaggInferenceGraph", name, None, opts)
        spec = args.spec
        platform = helm.pinned_release(
            f"{name}-platform",
            args.platform,
            args.platform_namespace,
            charts.merged(
                graph_spec.platform_values(
                    spec.serving, args.pin_control_plane, args.platform_storage_class, spec.dynamo_version
                ),
                args.platform_values,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=args.platform_after),
            create_namespace=True,
        )
        namespace = args.namespace
        child = pulumi.ResourceOptions(parent=self)
        # Engine configs and the IMEX domain exist before the workers that mount and claim them.
        platform_policies = platform_network_policies(
            f"{name}-netpol",
            platform_namespace=args.platform_namespace,
            serving_namespace=spec.serving.namespace,
            graph_name=spec.serving.graph_name,
            api_server_cidrs=args.api_server_cidrs,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[platform]),
            prometheus=args.prometheus,
        )
        prerequisites: list[pulumi.Resource] = [platform, *platform_policies]
        for cm in spec.backend.config_maps(spec.serving, namespace):
            prerequisites.append(
                k8s.core.v1.ConfigMap(
                    f"{name}-{cm['metadata']['name']}", metadata=cm["metadata"], data=cm["data"], opts=child
                )
            )
        if spec.compute_domain:
            domain = graph_spec.compute_domain_manifest(spec, namespace)
            # `after` holds the cluster, whose DRA driver brings the ComputeDomain CRD and serves it.
            after = pulumi.ResourceOptions(parent=self, depends_on=args.after)
            prerequisites.append(_custom_resource(f"{name}-compute-domain", domain, after))
        manifest = graph_spec.graph_manifest(spec, namespace)
        # The manifest's readiness annotations make Pulumi wait for condition Ready (graph_spec.READY_TIMEOUT_S).
        self.graph = _custom_resource(
            f"{name}-graph",
            manifest,
            # The operator that installs the CRD comes with the platform release; workers that start before the
            # weights are complete crash-loop while GPUs are billed (children do not inherit a component's depends_on).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*prerequisites, *args.after]),
        )
        s = spec.serving
        service = graph_spec.frontend_service_name(s.graph_name)
        port = graph_spec.FRONTEND_PORT
        self.graph_name = s.graph_name
        self.graph_spec = manifest["spec"]
        self.base_url = f"http://{service}.{s.namespace}.svc.cluster.local:{port}"
        self.frontend_url = f"{self.base_url}/v1"
        self.port_forward_command = f"kubectl -n {s.namespace} port-forward svc/{service} {port}:{port}"
        self.register_outputs(
            {
                "graph_name": self.graph_name,
                "frontend_url": self.frontend_url,
                "port_forward": self.port_forward_command,
            }
        )
