"""The envelope every Job of the stack shares: metadata with its checkov annotations, a retry budget, a deadline,
and a pod template labelled like the Job; what differs (the pod, extra Job fields) is the caller's."""

from typing import Any

import pulumi


def job(
    name: str,
    namespace: pulumi.Input[str],
    labels: dict[str, str],
    annotations: dict[str, str],
    pod: dict[str, Any],
    *,
    backoff_limit: int,
    deadline_s: int,
    **extra_spec: Any,
) -> dict[str, Any]:
    """A batch/v1 Job; `extra_spec` adds Job spec fields (e.g. podFailurePolicy)."""
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "labels": labels, "annotations": annotations},
        "spec": {
            "backoffLimit": backoff_limit,
            "activeDeadlineSeconds": deadline_s,
            **extra_spec,
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }
