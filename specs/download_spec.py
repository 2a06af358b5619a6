"""The download Job's manifests: fills one model revision into the cache, once, as a hardened pod.

The logic that runs in the pod is the package `in_pod/weights/`, shipped as a ConfigMap (one key per module, mounted
back as the package's files) and run as `python -m weights`; this module only builds the Kubernetes objects around
it, and sets its parallelism.
"""

import re
import shlex
from collections.abc import Sequence
from typing import Any

import pulumi

from config import versions
from config.catalog import Model
from specs import network_policies
from specs.in_pod_files import in_pod_file, in_pod_package
from specs.job_manifest import job
from specs.model_layout import CACHE_OWNER_UID, WRITABLE_DIRS, model_dir
from specs.pod_security import restricted
from specs.security_skips import DOWNLOAD_JOB_SKIPS, checkov_annotations
from specs.serving_security import RUNTIME_UID

CACHE_ROOT = "/cache"
TOKEN_DIR = "/var/run/secrets/huggingface"
TOKEN_KEY = "token"
SCRIPT_DIR = "/opt/dsr1"
PACKAGE = "weights"
PACKAGE_FILES = in_pod_package(PACKAGE)
"""The downloader's modules, file name -> path; each is one ConfigMap key mounted at {SCRIPT_DIR}/weights/<name>."""
REQUIREMENTS = in_pod_file("requirements/download.txt")
"""huggingface_hub and every dependency, pinned with their files' hashes: the install runs beside the token."""
REQUIREMENTS_KEY = "requirements.txt"
DEPS_DIR = "/deps"
USER_ID = CACHE_OWNER_UID
"""Non-root, high UID: the download needs no privileges, only the cache directory it owns."""
DEADLINE_S = 6 * 3600
"""~690 GB at a sustained 50-200 MB/s from the Hub takes 1-4 h; six leave room for retries after rate limits."""
PROGRESS_SECONDS = 30
CONNECTIONS = 16
"""HTTP transfers in flight at once across files and ranged parts (in_pod/weights/settings.py's default). One TCP
stream from the Hub's CDN does not fill a node's link; sixteen spread the 163 shards' parts so the node's network or
the cache's write throughput sets the rate (docs/weights.md). At 512 MiB parts DeepSeek-R1 is ~1,300 resolve
requests, well under the Hub's Resolvers limit of 5,000 per 5 minutes for a free user
(huggingface.co/docs/hub/rate-limits; the figure (check)). The Hub documents no per-connection bandwidth."""
PART_BYTES = 512 * 1024**2
"""Files larger than 1.5 parts are fetched as ranged parts of this size, each resumable on its own."""
JOB_UID_LABEL = "batch.kubernetes.io/controller-uid"
"""Set by the Job controller on every pod of a Job (kubernetes.io/docs/reference/labels-annotations-taints)."""
PERMANENT_EXIT_CODE = 3
"""The downloader's exit code for faults a retry cannot cure (401/403/404, disk full, a hostile listing)."""


def job_name(model: Model, revision: str) -> str:
    """Unique per model and revision, so two checkpoints' Jobs coexist (the recipes' Jobs clash); a DNS label."""
    short = re.sub(r"[^a-z0-9-]", "-", revision.lower())[:10].strip("-")
    return f"download-{model.key}-{short}"


def script_config_map(name: str, namespace: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/name": "model-download"}},
        "data": {
            **{name: path.read_text() for name, path in PACKAGE_FILES.items()},
            REQUIREMENTS_KEY: REQUIREMENTS.read_text(),
        },
    }


def script_items() -> list[dict[str, str]]:
    """The ConfigMap's keys back as files: the modules under weights/, the lock beside them."""
    return [
        *({"key": name, "path": f"{PACKAGE}/{name}"} for name in PACKAGE_FILES),
        {"key": REQUIREMENTS_KEY, "path": REQUIREMENTS_KEY},
    ]


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
    placement: dict[str, Any] | None = None,
    runtime_dirs: Sequence[str] = (),
) -> dict[str, Any]:
    """A batch/v1 Job (namespace, claim, secret and script may be Outputs).

    The token reaches it as a mounted file (HF_TOKEN_PATH), never as an env value or an argument.
    """
    labels = {"app.kubernetes.io/name": "model-download", "dsr1.io/model": model.key}
    target = f"{CACHE_ROOT}/{model_dir(model, revision)}"
    cache = {"name": "model-cache", "mountPath": CACHE_ROOT}
    deps = {"name": "deps", "mountPath": DEPS_DIR}
    dirs = " ".join(WRITABLE_DIRS)
    prepare_cmd = f"cd {CACHE_ROOT} && mkdir -p {dirs} && chown {USER_ID}:{USER_ID} {dirs}"
    if runtime_dirs:
        # The engines' compile caches (specs/compile_cache.py): the serving pods' user owns them, not the weights.
        owned = " ".join(shlex.quote(d) for d in runtime_dirs)
        prepare_cmd += f" && mkdir -p {owned} && chown {RUNTIME_UID}:{RUNTIME_UID} {owned}"
    prepare = {
        **_container(
            "prepare-cache",
            ["sh", "-c", prepare_cmd],
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
            "sh",
            "-c",
            # Every file checked against the lock's hashes and exactly the lock installed (--no-deps: nothing
            # resolved, so no release published after the lock can be picked); nothing built from source. Then
            # `pip check` proves the set complete (tools/locks checks the same offline). Every locked package has
            # cp312 wheels for x86_64 and aarch64 (the lock's claimed platforms, uv --only-binary).
            f"python -m pip install --no-cache-dir --disable-pip-version-check --require-hashes --no-deps "
            f"--only-binary=:all: --target {DEPS_DIR} -r {SCRIPT_DIR}/{REQUIREMENTS_KEY}"
            f" && PYTHONPATH={DEPS_DIR} python -m pip check",
        ],
        [deps, script_mount],
        env=[{"name": "HOME", "value": "/tmp"}],
        resources={"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
    )
    download = _container(
        "download",
        ["python", "-m", PACKAGE],
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
            {"name": "DSR1_CONNECTIONS", "value": str(CONNECTIONS)},
            {"name": "DSR1_PART_BYTES", "value": str(PART_BYTES)},
            # A Retry-After reaching past this fails the pod at once, saying so, instead of sleeping into the kill.
            {"name": "DSR1_DEADLINE_SECONDS", "value": str(DEADLINE_S)},
            # The Job's uid, so its pods share the deadline's clock: the Job controller labels its pods with it
            # (kubernetes/kubernetes#114930, 1.27+); the downward API passes a label's value (fieldRef).
            {
                "name": "DSR1_JOB_UID",
                "valueFrom": {"fieldRef": {"fieldPath": f"metadata.labels['{JOB_UID_LABEL}']"}},
            },
            {"name": "PYTHONPATH", "value": f"{SCRIPT_DIR}:{DEPS_DIR}"},
            {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},  # the package's mount is read-only
            {"name": "HOME", "value": "/tmp"},
            {"name": "HF_HOME", "value": "/tmp/hf"},
            {"name": "HF_TOKEN_PATH", "value": f"{TOKEN_DIR}/{TOKEN_KEY}"},
            {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"},
        ],
        # CONNECTIONS streaming HTTP transfers; each file's hash follows its head as parts complete (sha256 runs at
        # ~1 GB/s per core); no Xet client and no buffers beyond a chunk per connection, so a little memory suffices.
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
            {
                "name": "script",
                "configMap": {"name": script_config_map, "defaultMode": 0o444, "items": script_items()},
            },
            {"name": "deps", "emptyDir": {"sizeLimit": "1Gi"}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "20Gi"}},
        ],
    }
    if placement:
        pod_spec.update(placement)  # affinity to the download node (specs/download_node.py)
    elif node_selector:
        pod_spec["nodeSelector"] = node_selector
    annotations = checkov_annotations(DOWNLOAD_JOB_SKIPS)
    return job(
        name,
        namespace,
        labels,
        annotations,
        pod_spec,
        # Each pod rides out up to 1,000 transient faults and 30-minute outages in-process (in_pod/weights);
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
