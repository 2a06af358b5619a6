"""The serving graph's pods hardened: security contexts, writable scratch, CPU/memory, and the checkov skips that stay.

What the engines need, as found (each cited where it decides something):
- The Dynamo runtime images run as their `dynamo` user, UID 1000, which owns the virtualenv (/opt/dynamo/venv) and
  the workspace (ai-dynamo/dynamo#3935): non-root works as shipped; a high UID would not own them.
- Dynamo 1.3 discovers components through the Kubernetes API: every frontend and worker watches EndpointSlices and
  writes its DynamoWorkerMetadata (docs.nvidia.com/dynamo/v1.3.0 "Service Discovery"), with the service account the
  operator binds: the service-account token stays mounted.
- Capabilities added to a non-root container never become effective (Kubernetes has no ambient capabilities,
  NVIDIA/nvidia-container-toolkit#2037): IPC_LOCK would be decoration for UID 1000, so none is added. RDMA memory
  registration then depends on the node runtime's memlock limit. On EFA pools the workers are privileged with
  IPC_LOCK, as Dynamo's EFA guide requires for NIXL's fi_mr_reg on CUDA VRAM (specs/efa_worker.py), and only
  there; `serving.security.privilegedWorkers` is the switch for another fabric whose registration fails without it
  (Dynamo's own EFA deploy test runs its workers privileged: ai-dynamo/dynamo tests/deploy/efa/disagg-efa.yaml).
- With a read-only root, engines write their JIT and compile caches (Triton, FlashInfer, DeepGEMM, torch inductor)
  under ~/.cache, which is the shared cache's keyed compile-cache directory (specs/compile_cache.py), and scratch
  under HOME and /tmp, both emptyDirs. (check) not yet proven on a live engine;
  `serving.security.readOnlyRootFilesystem: false` turns it off.
- Multi-node TRT-LLM (mpirun over SSH): the operator writes keys, host keys and sshd's config under $HOME and runs
  sshd unprivileged on port 2222 (deploy/operator/internal/dynamo/backend_trtllm.go in ai-dynamo/dynamo): it works
  as UID 1000 with the writable HOME, with no capability and no privilege escalation.
"""

from dataclasses import dataclass
from typing import Any

from config.catalog import InstanceType
from config.schema import Serving, Worker
from specs import efa_worker as efa_worker_spec
from specs.security_skips import checkov_annotations

RUNTIME_UID = 1000
"""The runtime images' `dynamo` user (ai-dynamo/dynamo#3935)."""
RUNTIME_HOME = "/home/dynamo"
NODE_SHARE = 0.85
"""Share of a GPU node's vCPUs and memory its workers may request: the rest is the kubelet's reservation and the
DaemonSets (VPC CNI, kube-proxy, device plugins, CSI node plugins) every node runs."""
FRONTEND_RESOURCES = {
    "requests": {"cpu": "2", "memory": "4Gi"},
    "limits": {"cpu": "8", "memory": "16Gi"},
}
"""The frontend tokenizes and streams on CPU nodes it shares with the platform and the download Job (a 16-vCPU,
64-GiB m7i.4xlarge by default): room for bursts, bounded so it cannot starve the operator or NATS."""
HOME_SIZE_WORKER = "64Gi"
"""JIT kernels and compile caches of one worker (Triton, FlashInfer, DeepGEMM, inductor): a few GiB each, bounded
on the node's 500 GiB root volume."""
HOME_SIZE_FRONTEND = "2Gi"
TMP_SIZE = "16Gi"

TOKEN_REASON = (
    "Dynamo 1.3's Kubernetes discovery: every frontend and worker watches EndpointSlices and writes its "
    "DynamoWorkerMetadata through the API server, with the service account the operator binds to the graph"
)
UID_REASON = (
    "the Dynamo runtime images run as their dynamo user, UID 1000, which owns the virtualenv and workspace "
    "(ai-dynamo/dynamo#3935); a higher UID could not use them"
)
TAG_REASON = (
    "the runtime image is pinned to a release tag; its digest cannot be resolved offline: set serving.imageDigest "
    "to pin it by digest"
)
UNSIZED_REASON = (
    "the GPU nodes' size is unknown on an existing cluster without gpuPool.instanceType: set serving.{role}.cpu "
    "and serving.{role}.memory to bound the workers"
)
PRIVILEGED_REASON = (
    "serving.security.privilegedWorkers: the fabric's RDMA memory registration needs a privileged worker, as in "
    "Dynamo's own EFA deploy test (ai-dynamo/dynamo tests/deploy/efa/disagg-efa.yaml)"
)
WRITABLE_ROOT_REASON = "serving.security.readOnlyRootFilesystem is off: the engine writes outside HOME and /tmp"


@dataclass(frozen=True)
class PodHardening:
    """What one DGD service gets: pod- and container-level settings, scratch volumes, and the skips that stay."""

    pod_security: dict[str, Any]
    container_security: dict[str, Any]
    volumes: list[dict[str, Any]]
    mounts: list[dict[str, Any]]
    annotations: dict[str, str]


def image(serving: Serving, repository: str, tag: str) -> str:
    """`repo:tag@sha256:...` with a configured digest (the digest decides, the tag documents), else `repo:tag`."""
    ref = f"{repository}:{tag}"
    return f"{ref}@{serving.image_digest}" if serving.image_digest else ref


def _scratch(home_size: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    volumes = [
        {"name": "dsr1-home", "emptyDir": {"sizeLimit": home_size}},
        {"name": "dsr1-tmp", "emptyDir": {"sizeLimit": TMP_SIZE}},
    ]
    mounts = [{"name": "dsr1-home", "mountPath": RUNTIME_HOME}, {"name": "dsr1-tmp", "mountPath": "/tmp"}]
    return volumes, mounts


def harden(serving: Serving, *, worker: bool, unsized_role: str | None = None, efa: bool = False) -> PodHardening:
    """The service's settings; `unsized_role` names a worker left without CPU/memory bounds (its skip says why);
    `efa`: a worker on an EFA pool, which gets the privilege EFA memory registration needs (specs/efa_worker.py)."""
    sec = serving.security
    efa_worker = worker and efa
    privileged = worker and (sec.privileged_workers or efa_worker)
    skips = {"CKV_K8S_38": TOKEN_REASON, "CKV_K8S_40": UID_REASON}
    if not serving.image_digest:
        skips["CKV_K8S_43"] = TAG_REASON
    container: dict[str, Any] = {
        "allowPrivilegeEscalation": privileged,
        "privileged": privileged,
        "readOnlyRootFilesystem": sec.read_only_root_filesystem,
        "runAsNonRoot": True,
        "runAsUser": RUNTIME_UID,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if efa_worker:
        # EFA wins over the hardening on EFA pools only: privileged + IPC_LOCK, nothing more (specs/efa_worker.py).
        container["capabilities"] = {"drop": ["ALL"], "add": list(efa_worker_spec.EFA_CAPABILITIES)}
        reason = efa_worker_spec.EFA_PRIVILEGE_REASON
        skips |= {c: reason for c in ("CKV_K8S_16", "CKV_K8S_20", "CKV_K8S_23", "CKV_K8S_25", "CKV_K8S_37")}
    elif privileged:
        skips |= {"CKV_K8S_16": PRIVILEGED_REASON, "CKV_K8S_20": PRIVILEGED_REASON}
    if not sec.read_only_root_filesystem:
        skips["CKV_K8S_22"] = WRITABLE_ROOT_REASON
    if unsized_role:
        reason = UNSIZED_REASON.format(role=unsized_role)
        # The CPU and memory limits: what checkov fails without a skip (its request checks pass on these pods).
        skips |= {c: reason for c in ("CKV_K8S_11", "CKV_K8S_13")}
    volumes, mounts = _scratch(HOME_SIZE_WORKER if worker else HOME_SIZE_FRONTEND)
    pod = {
        "runAsNonRoot": True,
        "runAsUser": RUNTIME_UID,
        # The operator's own default (fsGroup 1000) is dropped once a pod securityContext is given: kept here.
        "fsGroup": RUNTIME_UID,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    return PodHardening(pod, container, volumes, mounts, checkov_annotations(skips))


def worker_resources(w: Worker, gpus_per_pod: int, instance: InstanceType | None) -> dict[str, str]:
    """CPU and memory of one worker pod (requests = limits): the stack's values, else its share of the node."""
    sized: dict[str, str] = {}
    if instance is not None:
        share = NODE_SHARE * gpus_per_pod / instance.gpus
        sized = {"cpu": str(int(instance.vcpus * share)), "memory": f"{int(instance.memory_gib * share)}Gi"}
    if w.cpu:
        sized["cpu"] = w.cpu
    if w.memory:
        sized["memory"] = w.memory
    return sized
