"""EndpointChecks: proves the graph answers (the smoke-test Job) and, when asked, measures it (the benchmark Job)."""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import jobs
from config.schema import Benchmark
from specs import k8s_names, smoke_spec


@dataclass(frozen=True)
class EndpointChecksArgs:
    graph_name: str
    graph_spec: dict[str, object]
    """The DynamoGraphDeployment's spec: the smoke Job is named after it, so any change to the graph reruns it."""
    namespace: pulumi.Input[str]
    url: str
    """The frontend's in-cluster base URL (without /v1)."""
    served_model_name: str
    model_dir: str
    """The checkpoint's directory in the cache (the benchmark's tokenizer)."""
    pvc_name: pulumi.Input[str]
    node_selector: dict[str, str]
    """The CPU system nodes: the checks never take a GPU node's place."""
    benchmark: Benchmark
    graph: pulumi.Resource
    """The DynamoGraphDeployment, awaited until Ready: the checks start after it."""


class EndpointChecks(pulumi.ComponentResource):
    smoke_job_name: str
    """Name of the smoke-test Job (changes with the graph)."""
    benchmark_job_name: str | None
    """Name of the benchmark Job, when enabled."""
    results_dir: str | None
    """Where the benchmark's artifacts land, relative to the cache root."""

    def __init__(self, name: str, args: EndpointChecksArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dsr1:index:EndpointChecks", name, None, opts)
        self.smoke_job_name = smoke_spec.smoke_job_name(args.graph_name, args.graph_spec)
        cm = smoke_spec.smoke_config_map(
            name=f"{args.graph_name}-smoke-client", namespace=args.namespace, graph_name=args.graph_name
        )
        client = k8s.core.v1.ConfigMap(
            f"{name}-smoke-client", metadata=cm["metadata"], data=cm["data"], opts=pulumi.ResourceOptions(parent=self)
        )
        smoke = smoke_spec.smoke_job(
            name=self.smoke_job_name,
            namespace=args.namespace,
            graph_name=args.graph_name,
            config_map=client.metadata.name,
            url=args.url,
            served_model_name=args.served_model_name,
            node_selector=args.node_selector,
        )
        # The graph is awaited until Ready; only then does a request mean anything. Pulumi waits for the Job to
        # succeed, so a wrong or silent endpoint fails `pulumi up`.
        smoke_job = jobs.awaited_job(f"{name}-smoke", smoke, smoke_spec.SMOKE_DEADLINE_S, self, [args.graph])
        self.benchmark_job_name = None
        self.results_dir = None
        if args.benchmark.enabled:
            b = args.benchmark
            self.benchmark_job_name = k8s_names.benchmark_job_name(
                args.graph_name, b.input_length, b.output_length, b.concurrency
            )
            self.results_dir = f"{smoke_spec.RESULTS_DIR}/{args.graph_name}"
            lock = smoke_spec.benchmark_config_map(
                name=f"{args.graph_name}-benchmark-requirements", namespace=args.namespace, graph_name=args.graph_name
            )
            requirements = k8s.core.v1.ConfigMap(
                f"{name}-benchmark-requirements",
                metadata=lock["metadata"],
                data=lock["data"],
                opts=pulumi.ResourceOptions(parent=self),
            )
            bench = smoke_spec.benchmark_job(
                name=self.benchmark_job_name,
                namespace=args.namespace,
                graph_name=args.graph_name,
                bench=b,
                url=args.url,
                served_model_name=args.served_model_name,
                model_dir=args.model_dir,
                pvc_name=args.pvc_name,
                node_selector=args.node_selector,
                requirements_config_map=requirements.metadata.name,
            )
            k8s.batch.v1.Job(
                f"{name}-benchmark",
                # Not awaited (skipAwait in the manifest): a measurement, not a gate; follow its logs instead.
                metadata=bench["metadata"],
                spec=bench["spec"],
                # Measuring an endpoint that failed its smoke test would only measure errors.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[smoke_job]),
            )
        self.register_outputs(
            {
                "smoke_job_name": self.smoke_job_name,
                "benchmark_job_name": self.benchmark_job_name,
                "results_dir": self.results_dir,
            }
        )
