"""ModelDownloadJob: fills the cache with one pinned revision from Hugging Face; Pulumi waits until it is done."""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import download_spec
from components.catalog import Model
from components.security_skips import DOWNLOAD_JOB_SKIPS, checkov_annotations


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
        manifest = download_spec.download_job(
            name=self.job_name,
            namespace=args.namespace,
            model=args.model,
            revision=args.revision,
            pvc_name=args.claim_name,
            token_secret=token.metadata.name,
            node_selector=args.node_selector,
        )
        # The checks the Job does not meet yet, each with its reason (components/security_skips.py).
        metadata: Any = {**manifest["metadata"], "annotations": checkov_annotations(DOWNLOAD_JOB_SKIPS)}
        k8s.batch.v1.Job(
            f"{name}-job",
            metadata=metadata,
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions(
                parent=self,
                # Pulumi waits for the Job to succeed: ~690 GB at Hub speeds; the Job's own deadline is the same.
                custom_timeouts=pulumi.CustomTimeouts(create=f"{download_spec.DEADLINE_S // 60}m"),
            ),
        )
        self.logs_command = pulumi.Output.concat("kubectl -n ", args.namespace, " logs -f job/", self.job_name)
        self.register_outputs({"job_name": self.job_name})
