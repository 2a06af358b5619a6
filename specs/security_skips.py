"""Checkov checks a workload deliberately does not meet, each with its reason, as annotations on the object.

checkov reads `checkov.io/skipN: CHECK_ID=reason` from an object's metadata; the security-scan test fails on any
failed check that is not skipped here, and on any skip without a reason.
"""

ENDPOINT_CHECK_SKIPS: dict[str, str] = {}
"""The smoke-test and benchmark Jobs: non-root, read-only root, no capabilities, and their own NetworkPolicies
(specs/network_policies.py): nothing to skip."""

DOWNLOAD_JOB_SKIPS = {
    "CKV_K8S_25": "the prepare-cache init container adds CHOWN (every other capability dropped) to give the non-root "
    "downloader the models directory on a file system whose root belongs to root",
}
"""The model download Job (specs/download_spec.py): non-root, read-only root, digest-pinned; one exception."""


FABRIC_CHECK_SKIPS = {
    "CKV_K8S_23": "Open MPI launches the ranks over SSH; sshd in AWS's nccl-tests image runs as root",
    "CKV_K8S_40": "as CKV_K8S_23: sshd and mpirun (--allow-run-as-root) run as root in a Job that lives minutes",
    "CKV_K8S_22": "sshd generates host keys and authorized_keys at start, under /etc/ssh and /root/.ssh",
    "CKV_K8S_25": "drop ALL, then only what privilege-separated sshd needs (CHOWN, SETUID, SETGID, SYS_CHROOT, "
    "AUDIT_WRITE, KILL) and IPC_LOCK, which EFA's memory registration needs",
    "CKV_K8S_43": "AWS's nccl-tests image is pinned to a tag that names every component version (CUDA, EFA "
    "installer, aws-ofi-nccl, NCCL, nccl-tests); no public source gives its digest",
}
"""The NCCL fabric check (specs/fabric_check_spec.py): what an SSH-launched MPI job cannot meet."""


def checkov_annotations(skips: dict[str, str]) -> dict[str, str]:
    """`{"checkov.io/skip1": "CKV_K8S_15=reason", ...}` in a stable order."""
    return {f"checkov.io/skip{i}": f"{check}={reason}" for i, (check, reason) in enumerate(sorted(skips.items()), 1)}


IMAGE_PREPULL_SKIPS = {
    "CKV_K8S_8": "the pod runs `sleep` to keep the workers' image on the node: there is nothing to probe",
    "CKV_K8S_9": "as CKV_K8S_8: no service, no readiness to report",
}
"""The image pre-pull DaemonSet (specs/prepull_spec.py); its NetworkPolicy isolates it (no CKV2_K8S_6 skip)."""
IMAGE_BY_TAG_SKIP = {
    "CKV_K8S_43": "the image is the workers' own, by tag until serving.imageDigest pins it (then this skip goes)"
}
"""Only while the workers' image is pinned by tag: with serving.imageDigest the pre-pull pulls by digest."""

GPU_GATE_SKIPS = {
    "CKV_K8S_8": "a Job that watches a directory and exits: no service to probe",
    "CKV_K8S_9": "as CKV_K8S_8",
}
"""The just-in-time GPU gate Job (specs/gate_spec.py); its NetworkPolicy isolates it (no CKV2_K8S_6 skip)."""
