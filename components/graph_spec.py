"""The DynamoGraphDeployment manifest (Frontend, prefill and decode) and the platform release's values."""

from dataclasses import dataclass
from typing import Any

from components import sglang, versions
from components.config import Serving, Worker
from components.model_layout import CACHE_MOUNT
from components.scheduling import POOL_LABEL, SYSTEM_LABELS, PoolScheduling

FRONTEND_PORT = 8000
DGD_API_VERSION = "nvidia.com/v1alpha1"


@dataclass(frozen=True)
class GraphSpec:
    """Plain values the graph needs: the serving config plus where the model is and where pods may run."""

    serving: Serving
    model_dir: str
    """The checkpoint's directory relative to the cache root."""
    served_model_name: str
    pvc_name: str
    pool: PoolScheduling
    system_selector: dict[str, str]
    """Labels of the CPU nodes for the Frontend; empty on an existing cluster without system nodes."""

    @property
    def image(self) -> str:
        return f"{versions.DYNAMO_RUNTIME_IMAGES[self.serving.backend]}:{self.serving.image_tag}"


def frontend_service_name(graph_name: str) -> str:
    """The Service the operator creates for the Frontend (`<graph>-frontend`)."""
    return f"{graph_name}-frontend"


def _cache_mount(spec: GraphSpec) -> list[dict[str, Any]]:
    return [{"name": spec.pvc_name, "mountPoint": CACHE_MOUNT}]


def _frontend(spec: GraphSpec) -> dict[str, Any]:
    pod: dict[str, Any] = {"mainContainer": {"image": spec.image}}
    if spec.system_selector:
        pod["nodeSelector"] = dict(spec.system_selector)
    return {
        "componentType": "frontend",
        "replicas": spec.serving.frontend_replicas,
        "volumeMounts": _cache_mount(spec),
        "extraPodSpec": pod,
    }


def _worker(spec: GraphSpec, role: sglang.Role, w: Worker) -> dict[str, Any]:
    limits: dict[str, Any] = {"gpu": str(spec.pool.gpus_per_node)}
    if spec.pool.fabric_resources:
        limits["custom"] = {k: str(v) for k, v in spec.pool.fabric_resources.items()}
    model_path = f"{CACHE_MOUNT}/{spec.model_dir}"
    service: dict[str, Any] = {
        "componentType": "worker",
        "subComponentType": role,
        "replicas": w.replicas,
        "resources": {"limits": limits},
        "volumeMounts": _cache_mount(spec),
        "sharedMemory": {"size": w.shared_memory},
        "extraPodSpec": {
            "nodeSelector": spec.pool.node_selector(),
            "tolerations": spec.pool.tolerations(),
            "mainContainer": {
                "image": spec.image,
                "workingDir": w.working_dir,
                "command": sglang.worker_command(),
                "args": sglang.worker_args(role, w, model_path, spec.served_model_name, spec.pool.fabric),
            },
        },
    }
    if w.nodes > 1:
        service["multinode"] = {"nodeCount": w.nodes}
    if spec.pool.fabric == "efa":
        service["envs"] = [{"name": "FI_PROVIDER", "value": "efa"}]  # deviation efa-devices
    return service


def graph_manifest(spec: GraphSpec) -> dict[str, Any]:
    s = spec.serving
    return {
        "apiVersion": DGD_API_VERSION,
        "kind": "DynamoGraphDeployment",
        "metadata": {"name": s.graph_name, "namespace": s.namespace},
        "spec": {
            "envs": [
                {"name": "HF_HOME", "value": CACHE_MOUNT},
                {"name": "HF_HUB_OFFLINE", "value": "1"},  # deviation model-path-in-cache
            ],
            "pvcs": [{"name": spec.pvc_name, "create": False}],
            "services": {
                "Frontend": _frontend(spec),
                "decode": _worker(spec, "decode", s.decode),
                "prefill": _worker(spec, "prefill", s.prefill),
            },
        },
    }


def multinode(serving: Serving) -> bool:
    return any(w.nodes > 1 for w in (serving.prefill, serving.decode))


def _system_affinity() -> dict[str, Any]:
    term = {"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": [SYSTEM_LABELS[POOL_LABEL]]}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


def platform_values(serving: Serving, pin_to_system_nodes: bool) -> dict[str, Any]:
    """dynamo-platform values: Grove and KAI only for multi-node workers; control plane on the CPU nodes."""
    gang = multinode(serving)
    values: dict[str, Any] = {
        "global": {
            "grove": {"install": gang, "enabled": gang},
            "kai-scheduler": {"install": gang, "enabled": gang},
        },
    }
    if pin_to_system_nodes:
        affinity = _system_affinity()
        values["dynamo-operator"] = {"controllerManager": {"affinity": affinity}}
        values["nats"] = {"podTemplate": {"merge": {"spec": {"affinity": affinity}}}}
        if gang:
            values["grove"] = {"affinity": affinity}
            values["kai-scheduler"] = {"global": {"affinity": affinity}}
    return values
