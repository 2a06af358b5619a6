"""The fabric check's manifests: an NCCL all-reduce across every GPU node of the pool, judged by `nccl_check.py`.

One Indexed Job, one pod per node (required anti-affinity), each pod taking all the node's GPUs and fabric
devices, so a pass proves every node's EFA (or RDMA) path. Pod 0 launches `all_reduce_perf` with Open MPI over SSH
on port 2222 (the pods reach each other by name through a headless Service); the other pods run sshd until pod 0
is done. No MPI operator is needed. Pod 0 generates the SSH key and serves only its public half to the others.
"""

from dataclasses import dataclass
from typing import Any

import pulumi

from config import versions
from specs import kv_check_spec
from specs.in_pod_files import in_pod_file
from specs.kv_check_spec import KvCheck
from specs.scheduling import EFA_RESOURCE, PoolScheduling
from specs.security_skips import FABRIC_CHECK_SKIPS, checkov_annotations

MOUNT = "/fabric-check"
SSH_PORT = 2222
KEY_PORT = 8080
DEADLINE_S = 30 * 60
"""Pulling the ~10 GB image, the SSH handshake and a 512 MiB-8 GiB sweep take minutes; half an hour is ample."""
LABEL = "dsr1.io/fabric-check"
CAPABILITIES = ("IPC_LOCK", "CHOWN", "SETUID", "SETGID", "SYS_CHROOT", "AUDIT_WRITE", "KILL")


@dataclass(frozen=True)
class FabricCheckSpec:
    name: str
    """Name of the Job, its Service and ConfigMap."""
    nodes: int
    pool: PoolScheduling
    floor_gbps: float
    kv: KvCheck | None = None
    """The KV-path Job (a NIXL transfer in the serving image, specs/kv_check_spec.py); None: NCCL only."""


RUN_SH = f"""\
set -euo pipefail
peer() {{ echo "$JOB_NAME-$1.$SERVICE"; }}
KEY_URL="http://$(peer 0):{KEY_PORT}/id.pub"
FETCH='import sys, urllib.request as u; print(u.urlopen(sys.argv[1], timeout=5).read().decode())'
fetch_key() {{ python3 -c "$FETCH" "$KEY_URL"; }}
mkdir -p /root/.ssh /run/sshd && chmod 700 /root/.ssh
ssh-keygen -A >/dev/null
if [ "$JOB_COMPLETION_INDEX" != 0 ]; then
  until fetch_key > /root/.ssh/authorized_keys 2>/dev/null; do sleep 3; done
  /usr/sbin/sshd -p {SSH_PORT}
  while fetch_key >/dev/null 2>&1; do sleep 10; done  # pod 0 stops serving its key when the test is over
  exit 0
fi
ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519
cp /root/.ssh/id_ed25519.pub /root/.ssh/authorized_keys
mkdir -p /tmp/key && cp /root/.ssh/id_ed25519.pub /tmp/key/id.pub
python3 -m http.server {KEY_PORT} --directory /tmp/key >/dev/null 2>&1 &
SERVER=$!
/usr/sbin/sshd -p {SSH_PORT}
SSH_OPTS="-p {SSH_PORT} -o StrictHostKeyChecking=no -o ConnectTimeout=5"
hosts="$(peer 0):$GPUS_PER_NODE"
for i in $(seq 1 $((NODES - 1))); do
  until ssh $SSH_OPTS "$(peer "$i")" true; do sleep 5; done
  hosts="$hosts,$(peer "$i"):$GPUS_PER_NODE"
done
set +e
exports=""; for v in PATH LD_LIBRARY_PATH $NCCL_ENV; do exports="$exports -x $v"; done
mpirun --allow-run-as-root -np $((NODES * GPUS_PER_NODE)) -H "$hosts" --bind-to none \\
  --mca plm_rsh_args "$SSH_OPTS" $exports \\
  /opt/nccl-tests/build/all_reduce_perf -b 512M -e 8G -f 2 -g 1 -c 1 -n 20 2>&1 | tee /tmp/nccl.log
python3 {MOUNT}/nccl_check.py --fabric "$FABRIC" --floor "$FLOOR_GBPS" < /tmp/nccl.log
status=$?
kill $SERVER
exit $status
"""


def config_map(spec: FabricCheckSpec, namespace: pulumi.Input[str]) -> dict[str, Any]:
    """The launcher script and the verdict's source, the same file the tests exercise."""
    data = {"run.sh": RUN_SH, "nccl_check.py": in_pod_file("nccl_check.py").read_text(encoding="utf-8")}
    if spec.kv is not None:
        data["nixl_check.py"] = in_pod_file("nixl_check.py").read_text(encoding="utf-8")
    return {"metadata": {"name": spec.name, "namespace": namespace}, "data": data}


def kv_job(spec: FabricCheckSpec, namespace: pulumi.Input[str]) -> dict[str, Any] | None:
    """The NIXL transfer's Job, under this check's Service and NetworkPolicy (its pods carry the check's label)."""
    if spec.kv is None:
        return None
    return kv_check_spec.job(spec.name, spec.kv, spec.pool, MOUNT, {LABEL: spec.name}, namespace)


def service(spec: FabricCheckSpec, namespace: pulumi.Input[str]) -> dict[str, Any]:
    """Headless: gives each indexed pod a DNS name (`<job>-<index>.<service>`) for SSH and the key."""
    return {
        "metadata": {"name": spec.name, "namespace": namespace},
        "spec": {
            "clusterIP": "None",
            "selector": {LABEL: spec.name},
            "ports": [{"name": "ssh", "port": SSH_PORT}, {"name": "key", "port": KEY_PORT}],
        },
    }


def nccl_env(spec: FabricCheckSpec) -> dict[str, str]:
    """What every rank runs with: NCCL's debug output (the verdict reads it) and the fabric's transport."""
    values = {
        "NCCL_DEBUG": "INFO",
        # Across nodes only the fabric counts: GB200's multi-node NVLink would otherwise carry the all-reduce.
        "NCCL_MNNVL_ENABLE": "0",
    }
    if EFA_RESOURCE in spec.pool.fabric_resources:
        values |= {"FI_PROVIDER": "efa", "FI_EFA_USE_DEVICE_RDMA": "1"}
    elif spec.pool.fabric in ("infiniband", "roce"):
        values["NCCL_NET"] = "IB"  # NCCL's verbs transport, not the image's libfabric plugin
    return values


def env(spec: FabricCheckSpec) -> dict[str, str]:
    nccl = nccl_env(spec)
    return {
        "JOB_NAME": spec.name,
        "SERVICE": spec.name,
        "NODES": str(spec.nodes),
        "GPUS_PER_NODE": str(spec.pool.gpus_per_node),
        "FABRIC": spec.pool.fabric,
        "FLOOR_GBPS": str(spec.floor_gbps),
        "NCCL_ENV": " ".join(nccl),
        **nccl,
    }


def job(spec: FabricCheckSpec, namespace: pulumi.Input[str]) -> dict[str, Any]:
    labels = {LABEL: spec.name}
    limits = {"nvidia.com/gpu": str(spec.pool.gpus_per_node)}
    limits |= {name: str(count) for name, count in spec.pool.fabric_resources.items()}
    limits |= {"cpu": "16", "memory": "64Gi"}  # 8 ranks' host buffers for 8 GiB messages, plus sshd and mpirun
    container = {
        "name": "nccl",
        "image": versions.NCCL_TESTS_IMAGE,
        "imagePullPolicy": "Always",
        "command": ["bash", f"{MOUNT}/run.sh"],
        "env": [{"name": k, "value": v} for k, v in env(spec).items()],
        "resources": {"limits": limits, "requests": limits},
        # sshd (as root, privilege-separated) needs these; EFA's memory registration needs IPC_LOCK; nothing else.
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"], "add": list(CAPABILITIES)},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "scripts", "mountPath": MOUNT}, {"name": "shm", "mountPath": "/dev/shm"}],
    }
    anti_affinity = {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": labels}, "topologyKey": "kubernetes.io/hostname"}
        ]
    }
    pod: dict[str, Any] = {
        "subdomain": spec.name,
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "nodeSelector": spec.pool.node_selector(),
        "tolerations": spec.pool.tolerations(),
        "affinity": {"podAntiAffinity": anti_affinity},
        "containers": [container],
        "volumes": [
            {"name": "scripts", "configMap": {"name": spec.name}},
            {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "64Gi"}},
        ],
    }
    return {
        "metadata": {
            "name": spec.name,
            "namespace": namespace,
            "labels": labels,
            "annotations": checkov_annotations(FABRIC_CHECK_SKIPS),
        },
        "spec": {
            "completionMode": "Indexed",
            "completions": spec.nodes,
            "parallelism": spec.nodes,
            "backoffLimit": 0,
            "activeDeadlineSeconds": DEADLINE_S,
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }


def network_policy(spec: FabricCheckSpec, namespace: pulumi.Input[str]) -> dict[str, Any]:
    """The check's pods talk to each other (SSH, the key, Open MPI's own ports) and to nothing else (DNS comes from
    the namespace's allow-dns, specs/network_policies.py)."""
    peers = [{"podSelector": {"matchLabels": {LABEL: spec.name}}}]
    return {
        "metadata": {"name": spec.name, "namespace": namespace},
        "spec": {
            "podSelector": {"matchLabels": {LABEL: spec.name}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": peers}],
            "egress": [{"to": peers}],
        },
    }
