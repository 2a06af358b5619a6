"""GpuGate: a Job that completes when the download is a lead time from done (specs/gate_spec.py); the GPU node group
depends on it, so on-demand GPUs are not paid while the weights download."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components import jobs
from components.network_policies import network_policy
from specs import gate_spec, network_policies


@dataclass(frozen=True)
class GpuGateArgs:
    name: str
    namespace: pulumi.Input[str]
    claim_name: pulumi.Input[str]
    """The cache's claim (an Output of ModelCache): the gate starts with the download."""
    model_dir: str
    weight_bytes: int
    node_selector: dict[str, str]
    after: Sequence[pulumi.Resource] = ()
    """The cache's CSI add-on: the gate's pod mounts the cache too."""


class GpuGate(pulumi.ComponentResource):
    job: pulumi.Resource
    """What the GPU node group depends on."""

    def __init__(self, name: str, args: GpuGateArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dsr1:index:GpuGate", name, None, opts)
        manifest = gate_spec.gate_job(
            args.name, args.namespace, args.claim_name, args.model_dir, args.weight_bytes, args.node_selector
        )
        policy = network_policies.isolated(args.name, args.namespace, gate_spec.LABELS)
        isolation = network_policy(f"{name}-network-policy", policy, pulumi.ResourceOptions(parent=self))
        self.job = jobs.awaited_job(f"{name}-job", manifest, gate_spec.DEADLINE_S, self, [isolation, *args.after])
        self.register_outputs({})
