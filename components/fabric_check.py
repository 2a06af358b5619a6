"""FabricCheck: an NCCL all-reduce across the GPU pool, then a NIXL transfer between two GPU nodes in the serving
image (the KV path), both of which must pass before the serving graph is created."""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import jobs
from specs import fabric_check_spec, kv_check_spec
from specs.fabric_check_spec import FabricCheckSpec


@dataclass(frozen=True)
class FabricCheckArgs:
    spec: FabricCheckSpec
    namespace: pulumi.Input[str]
    after: list[pulumi.Resource]
    """The GPU pool (nodes joined) and, on EKS, the cluster (device plugins advertise GPUs and EFA devices)."""


class FabricCheck(pulumi.ComponentResource):
    job_name: str
    """The Job whose success proves the fabric; its pod 0's log has NCCL's transport and bandwidth."""
    kv_job_name: str | None
    """The NIXL transfer's Job (None: a single-node pool); each pod's log ends in a `nixl-check:` verdict."""

    def __init__(self, name: str, args: FabricCheckArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dsr1:index:FabricCheck", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)
        cm = fabric_check_spec.config_map(spec, args.namespace)
        scripts = k8s.core.v1.ConfigMap(f"{name}-scripts", metadata=cm["metadata"], data=cm["data"], opts=child)
        svc = fabric_check_spec.service(spec, args.namespace)
        peers = k8s.core.v1.Service(f"{name}-peers", metadata=svc["metadata"], spec=svc["spec"], opts=child)
        policy = fabric_check_spec.network_policy(spec, args.namespace)
        allow = k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy", metadata=policy["metadata"], spec=policy["spec"], opts=child
        )
        manifest = fabric_check_spec.job(spec, args.namespace)
        # Its pods need the GPU nodes and their device plugins (not data the Job reads), the scripts and the peers'
        # DNS names; Pulumi then waits for the Job to succeed, which is the proof.
        nccl = jobs.awaited_job(
            f"{name}-job", manifest, fabric_check_spec.DEADLINE_S, self, [*args.after, scripts, peers, allow]
        )
        self.job_name = spec.name
        kv = fabric_check_spec.kv_job(spec, args.namespace)
        self.kv_job_name = kv["metadata"]["name"] if kv else None
        if kv is not None:
            # After the all-reduce, which holds every GPU of every node; the KV pods need one each on two nodes.
            jobs.awaited_job(f"{name}-kv-job", kv, kv_check_spec.DEADLINE_S, self, [nccl, scripts, peers, allow])
        self.register_outputs({"job_name": self.job_name, "kv_job_name": self.kv_job_name})
