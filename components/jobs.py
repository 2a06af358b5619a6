"""Kubernetes Jobs that Pulumi waits on: the download and the fabric check prove something before serving."""

from typing import Any

import pulumi
import pulumi_kubernetes as k8s


def awaited_job(
    name: str, manifest: dict[str, Any], deadline_s: int, parent: pulumi.Resource, after: list[pulumi.Resource]
) -> k8s.batch.v1.Job:
    """A Job whose success `pulumi up` waits for, up to the Job's own deadline."""
    return k8s.batch.v1.Job(
        name,
        metadata=manifest["metadata"],
        spec=manifest["spec"],
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=after,
            custom_timeouts=pulumi.CustomTimeouts(create=f"{deadline_s // 60}m"),
            # A Job's pod template is immutable and its name fixed: a changed spec replaces it, which must delete the
            # old Job first (its name is taken, and it may hold the GPUs the new one needs).
            delete_before_replace=True,
        ),
    )
