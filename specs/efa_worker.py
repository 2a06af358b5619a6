"""What a worker pod on an EFA pool needs, each item from Dynamo's EFA guide or upstream's aws-efa component.

Sources: Dynamo docs "EFA (RDMA over AWS Fabric) on EKS" (kubernetes-deployment/cloud-provider-guides/aws/
efa-rdma-over-aws-fabric; shared reference dynamo-1.6/docs/efa-guide-2026-07-30) and upstream
recipes/addons/kustomize/aws-efa + recipes/addons/providers/aws-efa.yaml (shared reference dynamo-1.6/recipes).

Deliberately left out, with why:
- Huge pages (FI_EFA_USE_HUGE_PAGE=1 + hugepages-2Mi: 5120Mi, guide "Recommended EFA performance tuning"): optional,
  and the EKS AL2023 NVIDIA AMI pre-allocates no 2 MiB pages, so a pod asking for them would never schedule.
- LD_LIBRARY_PATH=/opt/amazon/efa/lib:...: the `-efa` images are built with the aws.Dockerfile stage that installs
  the EFA userspace there (guide, Step 3); the guide's `${LD_LIBRARY_PATH}` is not expanded by Kubernetes either.
- hostIPC ("required by some EFA setups", guide Step 5) and SYS_PTRACE (the addon only): not in the guide's required
  set; the smallest privilege is kept (see EFA_PRIVILEGE_REASON).
"""

from typing import Final

EFA_ENV: Final = {
    # Guide, Step 4 "Required EFA environment variables" (also the addon's env): libfabric on the EFA provider with
    # GPUDirect RDMA; without them NCCL and NIXL may pick TCP sockets and crawl.
    "FI_PROVIDER": "efa",
    "FI_EFA_USE_DEVICE_RDMA": "1",
    "FI_EFA_ENABLE_SHM_TRANSFER": "0",
    "FI_EFA_ENABLE_SHM": "0",
}
"""Set on every worker on an EFA pool."""

NIXL_LIBFABRIC_ENV: Final = {
    # Guide, Step 4 "Configure NIXL Backend": NIXL's default UCX lands on a TCP-speed transport on EFA; LIBFABRIC is
    # the only backend reaching EFA line rate. vLLM selects it in --kv-transfer-config (specs/backends/vllm.py).
    "sglang": {"SGLANG_DISAGGREGATION_NIXL_BACKEND": "LIBFABRIC"},
    "trtllm": {"TRTLLM_NIXL_KVCACHE_BACKEND": "LIBFABRIC"},
    "vllm": {},
}
"""Per engine, where the KV between prefill and decode crosses EFA."""

EFA_CAPABILITIES: Final = ("IPC_LOCK",)
"""Guide, Step 5: `privileged: true` plus IPC_LOCK ("IPC_LOCK alone is insufficient"); the addon adds SYS_PTRACE too,
the guide does not. (check) Registration as the images' UID 1000 (the guide's pods set no user, so they run as the
image's `dynamo` user too) has not been proven on a live node here; the fabric check's NIXL transfer is to prove it."""

EFA_PRIVILEGE_REASON: Final = (
    "EFA worker: NIXL registers CUDA VRAM with the EFA NIC through fi_mr_reg, which needs a privileged container with "
    "IPC_LOCK (Dynamo's EFA guide, Step 5: 'IPC_LOCK alone is insufficient'; upstream's aws-efa addon likewise); "
    "only the prefill and decode workers on the EFA pool get it, still as UID 1000 with RuntimeDefault seccomp"
)


def kv_over_libfabric(fabric: str, compute_domain: bool) -> bool:
    """NIXL's LIBFABRIC backend carries the KV on EFA pools, except inside one NVLink domain (GB200 ComputeDomain),
    where prefill and decode reach each other over NVLink; there libfabric's GB200 fi_mr_reg defect would also
    bite (config/known_issues.py)."""
    return fabric == "efa" and not compute_domain


def worker_env(backend: str, fabric: str, compute_domain: bool) -> dict[str, str]:
    """The fabric's environment of one worker (empty off EFA)."""
    if fabric != "efa":
        return {}
    env = dict(EFA_ENV)
    if kv_over_libfabric(fabric, compute_domain):
        env |= NIXL_LIBFABRIC_ENV[backend]
    return env
