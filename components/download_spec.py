"""The download Job's manifest: fills one model revision into the cache, once."""

import shlex
from typing import Any

import pulumi

from components import versions
from components.catalog import Model
from components.model_layout import COMPLETE_MARKER, model_dir

CACHE_ROOT = "/cache"
TOKEN_DIR = "/var/run/secrets/huggingface"
TOKEN_KEY = "token"
DEADLINE_S = 6 * 3600
"""~690 GB at a sustained 50-200 MB/s from the Hub takes 1-4 h; six leave room for retries after rate limits."""


def job_name(model: Model, revision: str) -> str:
    """Unique per model and revision, so two checkpoints' Jobs coexist (the recipes' Jobs clash)."""
    return f"download-{model.key}-{revision[:10]}"


def download_script(model: Model, revision: str) -> str:
    """Skip when the marker is there; otherwise download (hf resumes partial files) and write the marker last."""
    target = f"{CACHE_ROOT}/{model_dir(model, revision)}"
    q = shlex.quote
    return "\n".join(
        [
            "set -eu",
            f"if [ -f {q(target)}/{COMPLETE_MARKER} ]; then echo 'complete: {model.hf_id}@{revision}'; exit 0; fi",
            f"pip install --no-cache-dir --user huggingface_hub=={versions.HUGGINGFACE_HUB_VERSION}",
            f"mkdir -p {q(target)}",
            f"$HOME/.local/bin/hf download {q(model.hf_id)} --revision {q(revision)} --local-dir {q(target)}",
            f"echo '{model.hf_id}@{revision}' > {q(target)}/{COMPLETE_MARKER}",
        ]
    )


def download_job(
    *,
    name: str,
    namespace: pulumi.Input[str],
    model: Model,
    revision: str,
    pvc_name: pulumi.Input[str],
    token_secret: pulumi.Input[str],
    node_selector: dict[str, str],
) -> dict[str, Any]:
    """A batch/v1 Job (namespace, claim and secret may be Outputs).

    The token reaches it as a mounted file (HF_TOKEN_PATH), never as an env value or an argument.
    """
    labels = {"app.kubernetes.io/name": "model-download", "dsr1.io/model": model.key}
    container = {
        "name": "download",
        "image": versions.DOWNLOADER_IMAGE,
        "command": ["sh", "-c", download_script(model, revision)],
        "env": [
            {"name": "HOME", "value": "/tmp"},
            {"name": "HF_TOKEN_PATH", "value": f"{TOKEN_DIR}/{TOKEN_KEY}"},
            {"name": "HF_HUB_ENABLE_HF_TRANSFER", "value": "0"},
            # High-performance Xet buffers take up to 64 GB; the 8 GB mode fits the CPU system nodes.
            {"name": "HF_XET_HIGH_PERFORMANCE", "value": "0"},
        ],
        "resources": {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"cpu": "8", "memory": "12Gi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [
            {"name": "model-cache", "mountPath": CACHE_ROOT},
            {"name": "hf-token", "mountPath": TOKEN_DIR, "readOnly": True},
        ],
    }
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "containers": [container],
        "volumes": [
            {"name": "model-cache", "persistentVolumeClaim": {"claimName": pvc_name}},
            {"name": "hf-token", "secret": {"secretName": token_secret, "defaultMode": 0o440}},
        ],
    }
    if node_selector:
        pod_spec["nodeSelector"] = node_selector
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "backoffLimit": 6,
            "activeDeadlineSeconds": DEADLINE_S,
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }
