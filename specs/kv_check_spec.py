"""The fabric check's KV-path Job: a NIXL transfer between two GPU nodes, judged by `in_pod/nixl_check.py`.

The NCCL all-reduce proves the fabric with AWS's image; disaggregation moves the KV with NIXL, from the serving
image, under the workers' security context. This Job runs exactly that: two pods on two GPU nodes, each built from
the graph's own decode worker (graph_spec.worker_service: the same image selection, security context, fabric devices
and fabric environment the graph gets, so it follows whatever those become), one GPU each, NIXL's LIBFABRIC backend
on EFA (the backend the workers' KV transfer uses there) and UCX on InfiniBand/RoCE (NIXL's default).
"""

from dataclasses import dataclass
from typing import Any

import pulumi

from specs import graph_spec
from specs.graph_spec import GraphSpec
from specs.scheduling import EFA_RESOURCE, PoolScheduling
from specs.security_skips import checkov_annotations

PORT = 5555
"""The target's NIXL listener (nixl's DEFAULT_COMM_PORT, upstream's basic_two_peers.py)."""
DEADLINE_S = 45 * 60
"""Both pods pull the ~20 GB serving image (the prepull DaemonSet pulls it at the same time), then seconds of work."""
LABEL = "dsr1.io/kv-check"
HOST = {"cpu": "4", "memory": "32Gi"}
"""Host memory for the agent and one staging copy of the buffer; the transfer itself is GPU to GPU."""
SIZE_MIB = 256


@dataclass(frozen=True)
class KvCheck:
    """What the check's pods take from the graph's decode worker."""

    image: str
    pod_security: dict[str, Any]
    container_security: dict[str, Any]
    env: dict[str, str]
    fabric_limits: dict[str, str]
    """Fabric devices of one worker pod (`vpc.amazonaws.com/efa: 16`): the NIC the KV crosses."""
    volumes: list[dict[str, Any]]
    mounts: list[dict[str, Any]]
    annotations: dict[str, str]
    backend: str
    """NIXL backend: LIBFABRIC on EFA, UCX on InfiniBand/RoCE."""
    memory: str
    """`auto` (GPU memory, the KV's own) or `dram`: on an NVLink-domain pool (GB200) the workers' KV never crosses
    libfabric, and libfabric there cannot register CUDA memory (EFAULT: ofiwg/libfabric#12019, ai-dynamo/nixl#1609),
    so host memory proves the EFA path without failing on a path the graph does not use."""


def from_graph(spec: GraphSpec) -> KvCheck:
    """The decode worker's pod, as the graph builds it, less the engine: image, security, fabric devices and env."""
    service = graph_spec.worker_service(spec, "decode")
    pod = service["extraPodSpec"]
    main = pod["mainContainer"]
    scratch = [v for v in pod.get("volumes", []) if "emptyDir" in v]
    names = {v["name"] for v in scratch}
    return KvCheck(
        image=main["image"],
        pod_security=dict(pod["securityContext"]),
        container_security=dict(main["securityContext"]),
        env={e["name"]: e["value"] for e in service.get("envs", [])},
        fabric_limits=dict(service["resources"]["limits"].get("custom", {})),
        volumes=scratch,
        mounts=[m for m in main.get("volumeMounts", []) if m["name"] in names],
        annotations=_skips(service.get("annotations", {})),
        backend="LIBFABRIC" if EFA_RESOURCE in spec.pool.fabric_resources else "UCX",
        memory="dram" if spec.compute_domain else "auto",
    )


NOT_HERE = {"CKV_K8S_38"}
"""The workers' skips that do not apply: the check's pods mount no service-account token (automount off)."""


def _skips(annotations: dict[str, str]) -> dict[str, str]:
    """The worker's checkov skips that still hold for the check's pods, renumbered."""
    found = dict(v.split("=", 1) for k, v in annotations.items() if k.startswith("checkov.io/skip"))
    return checkov_annotations({check: why for check, why in found.items() if check not in NOT_HERE})


def job_name(check_name: str) -> str:
    return f"{check_name}-kv"


def job(
    check_name: str,
    kv: KvCheck,
    pool: PoolScheduling,
    scripts_mount: str,
    labels: dict[str, str],
    namespace: pulumi.Input[str],
) -> dict[str, Any]:
    """Two indexed pods on two nodes: 0 the target, 1 the initiator, which reaches 0 by its DNS name under the fabric
    check's headless Service (`labels` put the pods under it and under its NetworkPolicy)."""
    name = job_name(check_name)
    own = {**labels, LABEL: name}
    limits = {"nvidia.com/gpu": "1", **kv.fabric_limits, **HOST}
    args = ["--peer", f"{name}-0.{check_name}", "--port", str(PORT), "--backend", kv.backend, "--memory", kv.memory]
    container = {
        "name": "nixl",
        "image": kv.image,
        "imagePullPolicy": "Always",
        "command": ["python3", f"{scripts_mount}/nixl_check.py", *args, "--size-mib", str(SIZE_MIB)],
        "env": [{"name": k, "value": v} for k, v in kv.env.items()],
        "resources": {"limits": limits, "requests": limits},
        "securityContext": kv.container_security,
        "volumeMounts": [{"name": "scripts", "mountPath": scripts_mount}, *kv.mounts],
    }
    anti_affinity = {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {LABEL: name}}, "topologyKey": "kubernetes.io/hostname"}
        ]
    }
    pod = {
        "subdomain": check_name,
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": kv.pod_security,
        "nodeSelector": pool.node_selector(),
        "tolerations": pool.tolerations(),
        "affinity": {"podAntiAffinity": anti_affinity},
        "containers": [container],
        "volumes": [{"name": "scripts", "configMap": {"name": check_name}}, *kv.volumes],
    }
    return {
        "metadata": {"name": name, "namespace": namespace, "labels": own, "annotations": kv.annotations},
        "spec": {
            "completionMode": "Indexed",
            "completions": 2,
            "parallelism": 2,
            "backoffLimit": 0,
            "activeDeadlineSeconds": DEADLINE_S,
            "template": {"metadata": {"labels": own}, "spec": pod},
        },
    }
