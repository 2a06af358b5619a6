"""ModelDownloadJob: fills the cache with one pinned revision from Hugging Face; Pulumi waits until it is done."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import jobs
from components.network_policies import network_policy
from config.catalog import Model
from specs import download_spec


@dataclass(frozen=True)
class ModelDownloadJobArgs:
    model: Model
    revision: str
    namespace: pulumi.Input[str]
    claim_name: pulumi.Input[str]
    """The cache's claim (an Output of ModelCache, so the Job starts once the cache exists)."""
    hf_token: pulumi.Input[str]
    """A Pulumi secret; it only ever reaches a Kubernetes Secret."""
    node_selector: dict[str, str]
    after: Sequence[pulumi.Resource] = ()
    """What a pod mounting the cache waits for besides the claim: the cache's CSI add-on (its node plugin mounts)."""
    placement: dict[str, Any] | None = None
    """Affinity and tolerations for the download node (specs/download_node.py); None: `node_selector`."""
    runtime_dirs: Sequence[str] = ()
    """Directories under the cache's root the serving pods' user owns: the engines' compile caches."""
    verify_hashes: bool = False
    """A rerun that finds the completion marker re-hashes every file (re-reads the checkpoint) instead of checking
    sizes. A download always checks each file's hash as its bytes arrive."""


class ModelDownloadJob(pulumi.ComponentResource):
    job_name: str
    """Name of the Job (unique per model and revision)."""
    logs_command: pulumi.Output[str]
    """How to follow the download."""

    def __init__(self, name: str, args: ModelDownloadJobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dsr1:index:ModelDownloadJob", name, None, opts)
        self.job_name = download_spec.job_name(args.model, args.revision)
        secret_name = f"{self.job_name}-hf-token"
        token = k8s.core.v1.Secret(
            f"{name}-hf-token",
            metadata={"name": secret_name, "namespace": args.namespace},
            type="Opaque",
            string_data={download_spec.TOKEN_KEY: pulumi.Output.secret(args.hf_token)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        script = download_spec.script_config_map(f"{self.job_name}-script", args.namespace)
        script_map = k8s.core.v1.ConfigMap(
            f"{name}-script", metadata=script["metadata"], data=script["data"], opts=pulumi.ResourceOptions(parent=self)
        )
        policy = download_spec.network_policy(self.job_name, args.namespace, args.model)
        allow = network_policy(f"{name}-network-policy", policy, pulumi.ResourceOptions(parent=self))
        manifest = download_spec.download_job(
            name=self.job_name,
            namespace=args.namespace,
            model=args.model,
            revision=args.revision,
            pvc_name=args.claim_name,
            token_secret=token.metadata.name,
            script_config_map=script_map.metadata.name,
            node_selector=args.node_selector,
            verify_hashes=args.verify_hashes,
            placement=args.placement,
            runtime_dirs=args.runtime_dirs,
        )
        # Pulumi waits for the Job to succeed (~690 GB at Hub speeds); a rerun after a replacement finds the marker.
        # Its egress allow exists before its pod: under the namespace's default deny the download would fail.
        jobs.awaited_job(f"{name}-job", manifest, download_spec.DEADLINE_S, self, [allow, *args.after])
        self.logs_command = pulumi.Output.concat("kubectl -n ", args.namespace, " logs -f job/", self.job_name)
        self.register_outputs({"job_name": self.job_name})
