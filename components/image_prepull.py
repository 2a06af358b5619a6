"""ImagePrepull: the workers' image pulled onto the GPU nodes while the download runs (specs/prepull_spec.py)."""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.network_policies import network_policy
from specs import network_policies, prepull_spec
from specs.scheduling import PoolScheduling


@dataclass(frozen=True)
class ImagePrepullArgs:
    name: str
    namespace: pulumi.Input[str]
    image: str
    pool: PoolScheduling


class ImagePrepull(pulumi.ComponentResource):
    def __init__(self, name: str, args: ImagePrepullArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dsr1:index:ImagePrepull", name, None, opts)
        manifest = prepull_spec.daemon_set(args.name, args.namespace, args.image, args.pool)
        policy = network_policies.isolated(args.name, args.namespace, prepull_spec.labels(args.name))
        isolation = network_policy(f"{name}-network-policy", policy, pulumi.ResourceOptions(parent=self))
        k8s.apps.v1.DaemonSet(
            f"{name}-daemonset",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            # Created with the namespace, before any GPU node exists: each node pulls as it joins.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[isolation]),
        )
        self.register_outputs({})
