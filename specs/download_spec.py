"""The download Job's manifests: fills one model revision into the cache, once, as a hardened pod.

The logic that runs in the pod is `in_pod/fetch_weights.py`, shipped as a ConfigMap; this module only builds
the Kubernetes objects around it.
"""

import re
from typing import Any

import pulumi

from config import versions
from config.catalog import Model
from specs import network_policies
from specs.in_pod_files import in_pod_file
from specs.job_manifest import job
from specs.model_layout import CACHE_OWNER_UID, WRITABLE_DIRS, model_dir
from specs.pod_security import restricted
from specs.security_skips import DOWNLOAD_JOB_SKIPS, checkov_annotations

CACHE_ROOT = "/cache"
TOKEN_DIR = "/var/run/secrets/huggingface"
TOKEN_KEY = "token"
SCRIPT_DIR = "/opt/dsr1"
SCRIPT = in_pod_file("fetch_weights.py")
REQUIREMENTS = in_pod_file("requirements/download.txt")
"""huggingface_hub and every dependency, pinned with their files' hashes: the install runs beside the token."""
REQUIREMENTS_KEY = "requirements.txt"
DEPS_DIR = "/deps"
USER_ID = CACHE_OWNER_UID
"""Non-root, high UID: the download needs no privileges, only the cache directory it owns."""
DEADLINE_S = 6 * 3600
"""~690 GB at a sustained 50-200 MB/s from the Hub takes 1-4 h; six leave room for retries after rate limits."""
PROGRESS_SECONDS = 30
PERMANENT_EXIT_CODE = 3
"""fetch_weights.py's exit code for faults a retry cannot cure (401/403/404, disk full, a hostile listing)."""


def job_name(model: Model, revision: str) -> str:
    """Unique per model and revision, so two checkpoints' Jobs coexist (the recipes' Jobs clash); a DNS label."""
    short = re.sub(r"[^a-z0-9-]", "-", revision.lower())[:10].strip("-")
    return f"download-{model.key}-{short}"


def script_config_map(name: str, namespace: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/name": "model-download"}},
        "data": {SCRIPT.name: SCRIPT.read_text(), REQUIREMENTS_KEY: REQUIREMENTS.read_text()},
    }


def _container(name: str, command: list[str], mounts: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "image": versions.DOWNLOADER_IMAGE,
        "imagePullPolicy": "Always",  # a digest: Always costs one manifest check and never pulls another image
        "command": command,
        "securityContext": restricted(USER_ID),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, *mounts],
        **extra,
    }


def download_job(
    *,
    name: str,
    namespace: pulumi.Input[str],
    model: Model,
    revision: str,
    pvc_name: pulumi.Input[str],
    token_secret: pulumi.Input[str],
    script_config_map: pulumi.Input[str],
    node_selector: dict[str, str],
    verify_hashes: bool = False,
) -> dict[str, Any]:
    """A batch/v1 Job (namespace, claim, secret and script may be Outputs).

    The token reaches it as a mounted file (HF_TOKEN_PATH), never as an env value or an argument.
    """
    labels = {"app.kubernetes.io/name": "model-download", "dsr1.io/model": model.key}
    target = f"{CACHE_ROOT}/{model_dir(model, revision)}"
    cache = {"name": "model-cache", "mountPath": CACHE_ROOT}
    deps = {"name": "deps", "mountPath": DEPS_DIR}
    dirs = " ".join(WRITABLE_DIRS)
    prepare = {
        **_container(
            "prepare-cache",
            ["sh", "-c", f"cd {CACHE_ROOT} && mkdir -p {dirs} && chown {USER_ID}:{USER_ID} {dirs}"],
            [cache],
            resources={"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}},
        ),
        "securityContext": {
            **restricted(0),
            "runAsNonRoot": False,
            "capabilities": {"drop": ["ALL"], "add": ["CHOWN"]},
        },
    }
    script_mount = {"name": "script", "mountPath": SCRIPT_DIR, "readOnly": True}
    install = _container(
        "install-client",
        [
            "python",
            "-m",
            "pip",
            "install",
            "--no-cache-dir",
            "--disable-pip-version-check",
            # Every file checked against the lock's hashes; nothing resolved, nothing built from source. Every locked
            # package has cp312 wheels for x86_64 and aarch64 (checked with `pip download --only-binary=:all:
            # --require-hashes` for both platforms).
            "--require-hashes",
            "--no-deps",
            "--only-binary=:all:",
            "--target",
            DEPS_DIR,
            "-r",
            f"{SCRIPT_DIR}/{REQUIREMENTS_KEY}",
        ],
        [deps, script_mount],
        env=[{"name": "HOME", "value": "/tmp"}],
        resources={"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
    )
    download = _container(
        "download",
        ["python", f"{SCRIPT_DIR}/{SCRIPT.name}"],
        [
            cache,
            deps,
            script_mount,
            {"name": "hf-token", "mountPath": TOKEN_DIR, "readOnly": True},
        ],
        env=[
            {"name": "DSR1_REPO", "value": model.hf_id},
            {"name": "DSR1_REVISION", "value": revision},
            {"name": "DSR1_TARGET", "value": target},
            # Hashes are always checked while the bytes arrive; this is the fast path's check of a marked revision.
            {"name": "DSR1_VERIFY", "value": "hashes" if verify_hashes else "size"},
            {"name": "DSR1_PROGRESS_SECONDS", "value": str(PROGRESS_SECONDS)},
            {"name": "PYTHONPATH", "value": DEPS_DIR},
            {"name": "HOME", "value": "/tmp"},
            {"name": "HF_HOME", "value": "/tmp/hf"},
            {"name": "HF_TOKEN_PATH", "value": f"{TOKEN_DIR}/{TOKEN_KEY}"},
            {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"},
        ],
        # Eight streaming HTTP transfers, each hashed as it arrives (sha256 runs at ~1 GB/s per core, well above the
        # Hub's rate); no Xet client and no in-memory buffers beyond 64 KiB reads, so a little memory suffices.
        resources={"requests": {"cpu": "2", "memory": "1Gi"}, "limits": {"cpu": "8", "memory": "4Gi"}},
    )
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        # fsGroup makes the token file (0440) readable by the non-root user; the cache's ownership comes from
        # prepare-cache, since CSI drivers skip fsGroup on ReadWriteMany volumes.
        "securityContext": {
            "seccompProfile": {"type": "RuntimeDefault"},
            "fsGroup": USER_ID,
            "fsGroupChangePolicy": "OnRootMismatch",
        },
        "initContainers": [prepare, install],
        "containers": [download],
        "volumes": [
            {"name": "model-cache", "persistentVolumeClaim": {"claimName": pvc_name}},
            {"name": "hf-token", "secret": {"secretName": token_secret, "defaultMode": 0o440}},
            {"name": "script", "configMap": {"name": script_config_map, "defaultMode": 0o444}},
            {"name": "deps", "emptyDir": {"sizeLimit": "1Gi"}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "20Gi"}},
        ],
    }
    if node_selector:
        pod_spec["nodeSelector"] = node_selector
    annotations = checkov_annotations(DOWNLOAD_JOB_SKIPS)
    return job(
        name,
        namespace,
        labels,
        annotations,
        pod_spec,
        # Each pod rides out up to 1,000 transient faults and 30-minute outages in-process (fetch_weights.py);
        # the backoffLimit covers what kills a pod (node loss, OOM) and exhausted budgets, each pod resuming.
        backoff_limit=6,
        deadline_s=DEADLINE_S,
        # Pod failure policy (kubernetes.io/docs/tasks/job/pod-failure-policy, stable in 1.31): a permanent
        # fault fails the Job at once instead of burning retries; a node drain or preemption is not counted.
        podFailurePolicy={
            "rules": [
                {
                    "action": "FailJob",
                    "onExitCodes": {"containerName": "download", "operator": "In", "values": [PERMANENT_EXIT_CODE]},
                },
                {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
            ]
        },
    )


def network_policy(name: str, namespace: pulumi.Input[str], model: Model) -> dict[str, Any]:
    """No ingress at all; egress only to HTTPS on public addresses (the Hub and its CDN; never the VPC, the cluster
    or link-local: network_policies.NOT_INTERNET) and DNS (the namespace's allow-dns)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "model-download", "dsr1.io/model": model.key}},
            "policyTypes": ["Ingress", "Egress"],
            "egress": [network_policies.internet_https()],
        },
    }
