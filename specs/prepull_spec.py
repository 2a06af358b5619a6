"""A DaemonSet that pulls the workers' image onto every GPU node as it joins, while the weights still download.

The graph's workers then start with the image on the node (a tag's default pull policy, IfNotPresent, uses it; with
Always, as the operator may set (check), the kubelet only compares the manifest and reuses the layers), so
the ~20 GB pull leaves the path from `pulumi up` to the endpoint. The pod only sleeps: no GPU, no network, no
token, a few MiB; `pulumi.com/skipAwait` keeps `pulumi up` from waiting on a rollout that is not on any path.
"""

from typing import Any

import pulumi

from specs.pod_security import restricted
from specs.scheduling import PoolScheduling
from specs.security_skips import IMAGE_BY_TAG_SKIP, IMAGE_PREPULL_SKIPS, checkov_annotations

USER_ID = 65534
"""nobody: `sleep` needs no identity."""


def name(graph_name: str) -> str:
    return f"{graph_name}-image-prepull"


def _skips(image: str) -> dict[str, str]:
    return IMAGE_PREPULL_SKIPS if "@sha256:" in image else {**IMAGE_PREPULL_SKIPS, **IMAGE_BY_TAG_SKIP}


def labels(ds_name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "image-prepull", "app.kubernetes.io/instance": ds_name}


def daemon_set(ds_name: str, namespace: pulumi.Input[str], image: str, pool: PoolScheduling) -> dict[str, Any]:
    selected = labels(ds_name)
    container = {
        "name": "pull",
        "image": image,
        # Always: one manifest check per start; the layers are pulled once and shared with the workers.
        "imagePullPolicy": "Always",
        "command": ["sleep", "infinity"],  # GNU coreutils' sleep in the Ubuntu-based runtime images (check)
        "resources": {
            "requests": {"cpu": "10m", "memory": "16Mi"},
            "limits": {"cpu": "50m", "memory": "32Mi"},
        },
        "securityContext": restricted(USER_ID),
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": ds_name,
            "namespace": namespace,
            "labels": selected,
            "annotations": {"pulumi.com/skipAwait": "true", **checkov_annotations(_skips(image))},
        },
        "spec": {
            "selector": {"matchLabels": selected},
            "template": {
                "metadata": {"labels": selected},
                "spec": {
                    "nodeSelector": pool.node_selector(),
                    "tolerations": pool.tolerations(),
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "terminationGracePeriodSeconds": 1,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": USER_ID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                },
            },
        },
    }
