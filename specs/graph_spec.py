"""The DynamoGraphDeployment (Frontend, prefill and decode), its ComputeDomain, and the platform release's values.

What differs between engines comes from `specs/backends/`; what this module adds is the same for all:
the cache, the pool's placement and fabric devices, and the graph-wide environment.
"""

from dataclasses import dataclass
from typing import Any

import pulumi

from config import versions
from config.catalog import InstanceType
from config.schema import Serving, Worker
from specs import compile_cache, dynamo_release, efa_worker, eks_addon_spec, k8s_names, serving_security
from specs.backends import BACKENDS, Backend
from specs.backends.base import ROLES, Role, WorkerContext
from specs.scheduling import POOL_LABEL, SYSTEM_LABELS, PoolScheduling

FRONTEND_PORT = 8000
DGD_API_VERSION = "nvidia.com/v1alpha1"
"""v1alpha1, deprecated but still served by 1.6 (its CRD: v1alpha1 served, deprecated, storage v1beta1 since 1.5.0,
converted by the operator's webhook; shared reference dynamo-1.6 CRD excerpt). v1beta1 (spec.components[] /
podTemplate, the 1.6.1 wheel's DGD templates) is not used: its full schema could not be obtained, so a v1beta1 graph
could not be validated offline. 1.5.0 also removed the v1alpha1 admission webhook endpoints (Dynamo "Releases
(machine-readable)", v1.5.0 delta): the offline CRD check here is the graph's validation before the operator's.
Move when the 1.6 CRD is in the reference; when v1alpha1 stops being served was not found (check)."""
COMPUTE_DOMAIN_API_VERSION = "resource.nvidia.com/v1beta1"
READY_TIMEOUT_S = 2 * 3600
"""How long `pulumi up` waits for the graph's Ready condition. A multi-node R1 start is: pulling the ~20 GB runtime
image on every node (~5-10 min), gang scheduling, loading ~690 GB of weights from the cache into every worker (up
to ~1 h on multi-node graphs; ~43 min from slow shared storage was reported, modelplaneai/modelplane#204), then
CUDA-graph capture and warm-up (~5-15 min). Two hours covers that with margin; a graph stuck longer is broken."""
READINESS_ANNOTATIONS = {
    # The operator sets condition Ready=True once status.state is successful (every service's pods ready).
    "pulumi.com/waitFor": "condition=Ready",
    "pulumi.com/timeoutSeconds": str(READY_TIMEOUT_S),
}
"""pulumi-kubernetes await annotations: `pulumi up` returns only once the graph serves."""


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
    compute_domain: bool = False
    """The pool is one NVLink domain across nodes (GB200): workers claim a ComputeDomain's IMEX channel."""
    instance: InstanceType | None = None
    """The GPU nodes' type from the catalog (None on an existing cluster without one): sizes the workers."""
    dynamo_version: str = versions.DYNAMO_RELEASE
    """The stack's Dynamo release (dynamo.version): every image's tag."""

    @property
    def backend(self) -> Backend:
        return BACKENDS[self.serving.backend]

    @property
    def release(self) -> versions.DynamoRelease:
        return dynamo_release.release(self.dynamo_version)

    @property
    def image(self) -> str:
        """The graph's image: `-efa` on an EFA pool (the EFA userspace NIXL's LIBFABRIC backend needs)."""
        tag = dynamo_release.worker_tag(self.release, self.serving.backend, self.pool.fabric)
        return serving_security.image(self.serving, versions.DYNAMO_RUNTIME_IMAGES[self.serving.backend], tag)

    @property
    def efa_workers(self) -> bool:
        return self.pool.fabric == "efa"

    @property
    def compute_domain_name(self) -> str:
        return f"{self.serving.graph_name}-compute-domain"

    @property
    def compute_domain_channel(self) -> str | None:
        return f"{self.compute_domain_name}-channel" if self.compute_domain else None


frontend_service_name = k8s_names.frontend_service_name


def worker_gpus_per_node(w: Worker, pool: PoolScheduling) -> int:
    return w.gpus_per_node or pool.gpus_per_node


def graph_nodes(serving: Serving) -> int:
    """Nodes the workers span in all: a ComputeDomain's numNodes."""
    return sum(w.replicas * w.nodes for w in (serving.prefill, serving.decode))


def _context(spec: GraphSpec, role: Role) -> WorkerContext:
    w: Worker = getattr(spec.serving, role)
    return WorkerContext(
        role=role,
        worker=w,
        model_path=f"{spec.backend.cache_mount}/{spec.model_dir}",
        served_model_name=spec.served_model_name,
        fabric=spec.pool.fabric,
        gpus_per_node=worker_gpus_per_node(w, spec.pool),
        graph_name=spec.serving.graph_name,
        compute_domain_channel=spec.compute_domain_channel,
    )


def _cache_mount(spec: GraphSpec) -> list[dict[str, Any]]:
    return [{"name": spec.pvc_name, "mountPoint": spec.backend.cache_mount}]


def _hardened(pod: dict[str, Any], h: serving_security.PodHardening) -> dict[str, Any]:
    """The service's extraPodSpec with its security contexts and scratch volumes merged in."""
    main = dict(pod["mainContainer"])
    main["imagePullPolicy"] = "Always"  # a re-check of the manifest at each start, never a silent stale image
    main["securityContext"] = h.container_security
    main["volumeMounts"] = [*main.get("volumeMounts", []), *h.mounts]
    return {
        **pod,
        "securityContext": h.pod_security,
        "volumes": [*pod.get("volumes", []), *h.volumes],
        "mainContainer": main,
    }


def _with_compile_cache(spec: GraphSpec, pod: dict[str, Any]) -> dict[str, Any]:
    """The worker's JIT caches on the shared cache (specs/compile_cache.py): its keyed directory mounted as ~/.cache
    and every engine cache variable pointing there; a variable the stack sets itself (serving.<role>.env) wins."""
    main = dict(pod["mainContainer"])
    own = main.get("env", [])
    named = {e["name"] for e in own}
    cache_env = [{"name": k, "value": v} for k, v in compile_cache.env(spec.serving.backend).items() if k not in named]
    main["env"] = [*cache_env, *own]
    main["volumeMounts"] = [
        *main.get("volumeMounts", []),
        compile_cache.mount(spec.pvc_name, spec.serving, spec.instance),
    ]
    return {**pod, "mainContainer": main}


def _frontend(spec: GraphSpec) -> dict[str, Any]:
    # The graph's one image, `-efa` included on EFA pools: serving.imageDigest pins exactly one image, and the EFA
    # userspace sits unused on the system nodes (no FI_* env, no EFA devices there).
    container = {"image": spec.image, **spec.backend.frontend_container()}
    container["resources"] = {k: dict(v) for k, v in serving_security.FRONTEND_RESOURCES.items()}
    pod: dict[str, Any] = {"mainContainer": container}
    if spec.system_selector:
        pod["nodeSelector"] = dict(spec.system_selector)
    h = serving_security.harden(spec.serving, worker=False)
    return {
        "componentType": "frontend",
        "replicas": spec.serving.frontend_replicas,
        "annotations": h.annotations,
        "volumeMounts": _cache_mount(spec),
        "extraPodSpec": _hardened(pod, h),
    }


def _fabric_limits(spec: GraphSpec, ctx: WorkerContext) -> dict[str, str]:
    """Fabric devices in proportion to the node's GPUs the worker takes (all of them, for the recipes)."""
    return {
        name: str(max(1, count * ctx.gpus_per_node // spec.pool.gpus_per_node))
        for name, count in spec.pool.fabric_resources.items()
    }


def _worker(spec: GraphSpec, role: Role) -> dict[str, Any]:
    ctx = _context(spec, role)
    w = ctx.worker
    extras = spec.backend.service_extras(ctx)
    resources: dict[str, Any] = dict(extras.get("resources", {}))
    # Requests equal limits (Guaranteed QoS): a worker holding GPUs is the last pod the kubelet should evict.
    sized = serving_security.worker_resources(w, ctx.gpus_per_node, spec.instance)
    requests: dict[str, Any] = {**resources.get("requests", {}), **sized}
    limits: dict[str, Any] = {**resources.get("limits", {}), **sized, "gpu": str(ctx.gpus_per_node)}
    fabric = _fabric_limits(spec, ctx)
    if fabric:
        limits["custom"] = fabric
    if requests:
        resources["requests"] = requests
    resources["limits"] = limits
    unsized = None if {"cpu", "memory"} <= sized.keys() else role
    h = serving_security.harden(spec.serving, worker=True, unsized_role=unsized, efa=spec.efa_workers)
    pod = {
        "nodeSelector": spec.pool.node_selector(),
        "tolerations": spec.pool.tolerations(),
        "mainContainer": {"image": spec.image, **spec.backend.container(ctx)},
        **extras.get("extraPodSpec", {}),
    }
    service: dict[str, Any] = {
        "componentType": "worker",
        "subComponentType": role,
        "replicas": w.replicas,
        "annotations": h.annotations,
        "resources": resources,
        "volumeMounts": _cache_mount(spec),
        "sharedMemory": {"size": w.shared_memory},
        "extraPodSpec": _with_compile_cache(spec, _hardened(pod, h)),
    }
    if w.nodes > 1:
        service["multinode"] = {"nodeCount": w.nodes}
    env = efa_worker.worker_env(spec.serving.backend, spec.pool.fabric, spec.compute_domain)
    if env:
        service["envs"] = [{"name": k, "value": v} for k, v in env.items()]  # deviations efa-devices, nixl-libfabric
    return service


def graph_manifest(spec: GraphSpec, namespace: pulumi.Input[str]) -> dict[str, Any]:
    s = spec.serving
    env = {**spec.backend.graph_env(), **s.env, "HF_HUB_OFFLINE": "1"}  # deviation model-path-in-cache
    body: dict[str, Any] = {}
    if spec.backend.backend_framework:
        body["backendFramework"] = s.backend
    body["envs"] = [{"name": k, "value": v} for k, v in env.items()]
    body["pvcs"] = [{"name": spec.pvc_name, "create": False}]
    body["services"] = {"Frontend": _frontend(spec), **{role: _worker(spec, role) for role in ROLES}}
    return {
        "apiVersion": DGD_API_VERSION,
        "kind": "DynamoGraphDeployment",
        "metadata": {"name": s.graph_name, "namespace": namespace, "annotations": dict(READINESS_ANNOTATIONS)},
        "spec": body,
    }


def compute_domain_manifest(spec: GraphSpec, namespace: pulumi.Input[str]) -> dict[str, Any]:
    """The IMEX domain of a GB200 graph: numNodes is every node its workers span (prefill + decode)."""
    return {
        "apiVersion": COMPUTE_DOMAIN_API_VERSION,
        "kind": "ComputeDomain",
        "metadata": {"name": spec.compute_domain_name, "namespace": namespace},
        "spec": {
            "numNodes": graph_nodes(spec.serving),
            "channel": {"resourceClaimTemplate": {"name": spec.compute_domain_channel}},
        },
    }


def multinode(serving: Serving) -> bool:
    return any(w.nodes > 1 for w in (serving.prefill, serving.decode))


def _system_affinity() -> dict[str, Any]:
    term = {"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": [SYSTEM_LABELS[POOL_LABEL]]}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def platform_values(
    serving: Serving,
    pin_to_system_nodes: bool,
    storage_class: str | None = None,
    dynamo_version: str = versions.DYNAMO_RELEASE,
) -> dict[str, Any]:
    """dynamo-platform values: Grove and KAI only for multi-node workers; NATS as the release needs it; control plane
    on the CPU nodes; NATS and etcd claims on `storage_class` (None: the cluster's default, as the chart does)."""
    gang = multinode(serving)
    values: dict[str, Any] = {
        "global": {
            "grove": {"install": gang, "enabled": gang},
            "kai-scheduler": {"install": gang, "enabled": gang},
        },
    }
    values = _merged(values, dynamo_release.release_values(dynamo_release.release(dynamo_version), gang))
    if pin_to_system_nodes:
        # Required affinity to the CPU system nodes and no tolerations (so never the GPU taint): the control plane
        # stays off rented GPUs and in the GPU pool's zone (NVIDIA/aicr#255). etcd is pinned too, for whoever turns
        # on global.etcd.install. No security-group rules are needed: the system and GPU node groups share the EKS
        # cluster security group, which allows all traffic between its members.
        affinity = _system_affinity()
        placed = {"affinity": affinity, "tolerations": []}
        values["dynamo-operator"] = {"controllerManager": dict(placed)}
        values["nats"] = {"podTemplate": {"merge": {"spec": dict(placed)}}}
        values["etcd"] = dict(placed)
        if gang:
            values["grove"] = dict(placed)
            values = _merged(values, {"kai-scheduler": {"global": dict(placed)}})
    if storage_class is not None:
        values = _merged(values, eks_addon_spec.platform_storage_values(storage_class))
    return values
