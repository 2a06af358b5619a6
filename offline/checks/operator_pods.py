"""A DynamoGraphDeployment's services rendered as the Deployments the Dynamo operator would create from them.

checkov and the network-policy walk cannot see inside a custom resource; this models the operator's pod generation
(deploy/operator/internal/dynamo/graph.go, GenerateBasePodSpec, in ai-dynamo/dynamo) closely enough for both: the
service's extraPodSpec merged over the operator's base pod, its mainContainer merged over the base container (ports
and probes of the component type), the cache claim and /dev/shm mounted, the graph's labels and the service's
annotations on the pod. What the operator adds that neither check reads (env it injects, image pull secrets) is left
out.
"""

import copy
from typing import Any

GRAPH_LABEL = "nvidia.com/dynamo-graph-deployment-name"
COMPONENT_TYPE_LABEL = "nvidia.com/dynamo-component-type"
SUB_COMPONENT_TYPE_LABEL = "nvidia.com/dynamo-sub-component-type"
COMPONENT_LABEL = "nvidia.com/dynamo-component"
"""The labels the operator puts on every pod it creates (deploy/operator/internal/consts)."""
FRONTEND_PORT = 8000
SYSTEM_PORT = 9090
"""The frontend's HTTP port and the workers' system (health) port, as the operator's component defaults set them."""


def _probe(path: str, port: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": port}, "periodSeconds": 10, "timeoutSeconds": 4}


def _base_container(component_type: str) -> dict[str, Any]:
    """The operator's base container per component type: its ports and default probes."""
    if component_type == "frontend":
        port = {"name": "http", "containerPort": FRONTEND_PORT, "protocol": "TCP"}
        return {
            "ports": [port],
            "livenessProbe": _probe("/live", FRONTEND_PORT),
            "readinessProbe": _probe("/health", FRONTEND_PORT),
        }
    port = {"name": "system", "containerPort": SYSTEM_PORT, "protocol": "TCP"}
    return {
        "ports": [port],
        "livenessProbe": _probe("/live", SYSTEM_PORT),
        "readinessProbe": _probe("/health", SYSTEM_PORT),
    }


def _resources(service: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("requests", "limits"):
        given = (service.get("resources") or {}).get(kind) or {}
        values = {k: v for k, v in given.items() if k in ("cpu", "memory")}
        if "gpu" in given:
            values["nvidia.com/gpu"] = given["gpu"]
        values |= given.get("custom") or {}
        if values:
            out[kind] = values
    return out


def pod_labels(graph: str, name: str, service: dict[str, Any]) -> dict[str, str]:
    labels = {GRAPH_LABEL: graph, COMPONENT_LABEL: name, COMPONENT_TYPE_LABEL: service["componentType"]}
    if service.get("subComponentType"):
        labels[SUB_COMPONENT_TYPE_LABEL] = service["subComponentType"]
    return labels


def service_deployment(dgd: dict[str, Any], name: str) -> dict[str, Any]:
    """One service of the graph as a Deployment (a multi-node service's pods share this template)."""
    graph, namespace = dgd["metadata"]["name"], dgd["metadata"]["namespace"]
    service = dgd["spec"]["services"][name]
    extra = copy.deepcopy(service.get("extraPodSpec") or {})
    main = extra.pop("mainContainer", {})
    container = {**_base_container(service["componentType"]), **main, "name": "main"}
    resources = _resources(service)
    if resources:
        container["resources"] = resources
    env = [*(dgd["spec"].get("envs") or []), *(service.get("envs") or []), *(main.get("env") or [])]
    if env:
        container["env"] = env
    mounts = list(container.get("volumeMounts") or [])
    volumes = list(extra.pop("volumes", []))
    for m in service.get("volumeMounts") or []:
        mounts.append({"name": m["name"], "mountPath": m["mountPoint"]})
        volumes.append({"name": m["name"], "persistentVolumeClaim": {"claimName": m["name"]}})
    shm = (service.get("sharedMemory") or {}).get("size")
    if shm:
        mounts.append({"name": "shared-memory", "mountPath": "/dev/shm"})
        volumes.append({"name": "shared-memory", "emptyDir": {"medium": "Memory", "sizeLimit": shm}})
    container["volumeMounts"] = mounts
    pod = {
        **extra,
        # Kubernetes discovery: the operator binds a per-graph service account that may watch EndpointSlices.
        "serviceAccountName": f"{graph}-k8s-service-discovery",
        "containers": [container],
        "volumes": volumes,
    }
    pod.setdefault("securityContext", {"fsGroup": 1000})  # the operator's default without one
    labels = pod_labels(graph, name, service)
    annotations = dict(service.get("annotations") or {})
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": f"{graph}-{name.lower()}",
            "namespace": namespace,
            "labels": labels,
            "annotations": annotations,
        },
        "spec": {
            "replicas": service.get("replicas", 1),
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels, "annotations": annotations}, "spec": pod},
        },
    }


def graph_deployments(dgd: dict[str, Any]) -> list[dict[str, Any]]:
    return [service_deployment(dgd, name) for name in dgd["spec"]["services"]]
