"""Cluster consistency over a render: every claim binds, every pod fits a node group, every NetworkPolicy is
enforced, every name is valid for its kind. Plain functions over manifests.yaml and resources.json.

On an existing cluster (no EKS records) what only the cluster knows (its default StorageClass, its CNI, its nodes)
is not proved: it is listed in `render.statements`, which `python -m offline.checks` prints.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from config import catalog
from config.resource_types import EKS_ADDON, LAUNCH_TEMPLATE, NODE_GROUP
from config.vpc_cni import network_policy_enabled
from offline.checks.render_data import Finding, Render
from specs import eks_addon_spec, k8s_names

DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
SRC_PVC = 'Kubernetes "Persistent Volumes": a claim binds to a matching volume or its class provisions one'
SRC_DEFAULT = 'Kubernetes "Storage Classes": a claim without storageClassName takes the default class'
SRC_PLATFORM = "dynamo-platform 1.3.0 values.yaml: NATS JetStream fileStore PVC (10Gi), etcd.persistence when installed"
SRC_FIT = 'Kubernetes "Assigning Pods to Nodes" and "Taints and Tolerations"; requests fit allocatable resources'
SRC_NP = 'EKS user guide "Configure your cluster for Kubernetes network policies": vpc-cni enableNetworkPolicy "true"'
SRC_NAMES = 'Kubernetes "Object Names and IDs": DNS-1123 labels and subdomains, DNS-1035 labels for Services'
EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
GPU = "nvidia.com/gpu"
EFA = "vpc.amazonaws.com/efa"


def _f(rule: str, what: str, message: str, source: str) -> Finding:
    return Finding(rule, what, message, source)


def _get(d: Any, *path: str, default: Any = None) -> Any:
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return default
        d = d[p]
    return d


@dataclass(frozen=True)
class Claim:
    what: str
    storage_class: str | None
    """None: the default class; "": a static volume only."""
    volume: str | None = None


def _claims(render: Render) -> Iterator[Claim]:
    for m in render.manifests:
        if m["kind"] == "PersistentVolumeClaim":
            spec = m.get("spec") or {}
            yield Claim(
                f"PersistentVolumeClaim {m['metadata']['name']}", spec.get("storageClassName"), spec.get("volumeName")
            )
        elif m["kind"] == "Release" and _get(m, "chart", "name") == "dynamo-platform":
            yield from _platform_claims(m.get("values") or {})


def _platform_claims(values: dict[str, Any]) -> Iterator[Claim]:
    """The claims the dynamo-platform chart makes from its values (defaults of 1.3.0's values.yaml)."""
    nats_on = _get(values, "global", "nats", "install", default=True)
    js = _get(values, "nats", "config", "jetstream", default={})
    store = _get(js, "fileStore", default={})
    on = [nats_on, _get(js, "enabled", default=True), _get(store, "enabled", default=True)]
    if all(on) and _get(store, "pvc", "enabled", default=True):
        yield Claim("dynamo-platform NATS JetStream claim", _get(store, "pvc", "storageClassName") or None)
    if _get(values, "global", "etcd", "install", default=False) and _get(
        values, "etcd", "persistence", "enabled", default=True
    ):
        yield Claim("dynamo-platform etcd claim", _get(values, "etcd", "persistence", "storageClass") or None)


def _provisioners(render: Render) -> set[str]:
    names = {r["inputs"].get("addonName") for r in render.of_type(EKS_ADDON)}
    return {s.provisioner for n, s in eks_addon_spec.ADDONS.items() if n in names and s.provisioner}


def claims_bind(render: Render) -> Iterator[Finding]:
    classes = {m["metadata"]["name"]: m for m in render.manifests if m["kind"] == "StorageClass"}
    volumes = {m["metadata"]["name"]: m for m in render.manifests if m["kind"] == "PersistentVolume"}
    defaults = [c for c in classes.values() if _get(c, "metadata", "annotations", DEFAULT_CLASS) == "true"]
    installed = _provisioners(render)
    eks = render.on_eks
    for c in _claims(render):
        if c.volume:
            pv = volumes.get(c.volume)
            if pv is None:
                yield _f("pvc-binds", c.what, f"names the volume {c.volume}, which the stack does not create", SRC_PVC)
            elif eks and _get(pv, "spec", "csi", "driver") not in installed:
                driver = _get(pv, "spec", "csi", "driver")
                yield _f("pvc-binds", c.what, f"its volume needs the CSI driver {driver}, not installed", SRC_PVC)
            continue
        if c.storage_class:
            sc = classes.get(c.storage_class)
            if sc is None and not eks:
                render.statements.append(f"{c.what}: assumes the cluster has the StorageClass {c.storage_class}")
            elif sc is None:
                yield _f("pvc-binds", c.what, f"StorageClass {c.storage_class} does not exist", SRC_PVC)
            elif sc.get("provisioner") not in installed:
                yield _f(
                    "pvc-binds",
                    c.what,
                    f"{c.storage_class}'s provisioner {sc.get('provisioner')} is not installed",
                    SRC_PVC,
                )
            continue
        if c.storage_class == "":
            yield _f("pvc-binds", c.what, "asks for no class and names no volume", SRC_PVC)
        elif not defaults and not eks:
            render.statements.append(f"{c.what}: assumes the existing cluster has a default StorageClass")
        elif not defaults:
            source = SRC_PLATFORM if c.what.startswith("dynamo-platform") else SRC_DEFAULT
            yield _f("pvc-binds", c.what, "takes the default StorageClass, and the stack has none", source)
        elif defaults[0].get("provisioner") not in installed:
            yield _f(
                "pvc-binds",
                c.what,
                f"the default class's provisioner {defaults[0].get('provisioner')} is not installed",
                SRC_PVC,
            )


@dataclass(frozen=True)
class NodeGroup:
    name: str
    labels: dict[str, str]
    taints: list[tuple[str, str | None, str]]
    resources: dict[str, float]
    """Capacity per node where the catalog knows the instance type (GPUs, EFA devices, CPUs, memory GiB)."""


def _node_groups(render: Render) -> list[NodeGroup]:
    templates = render.by_id(LAUNCH_TEMPLATE)
    groups = []
    for r in render.of_type(NODE_GROUP):
        i = r["inputs"]
        lt = templates.get(str(_get(i, "launchTemplate", "id")))
        types = i.get("instanceTypes") or [_get(lt, "inputs", "instanceType")]
        itype = catalog.INSTANCE_TYPES.get(str(types[0]))
        resources: dict[str, float] = {GPU: 0}
        if itype is not None:
            resources = {GPU: itype.gpus, EFA: itype.efa_devices, "cpu": itype.vcpus, "memory": itype.memory_gib}
        taints = [(t["key"], t.get("value"), EFFECTS.get(t["effect"], t["effect"])) for t in i.get("taints") or []]
        groups.append(NodeGroup(r["name"], dict(i.get("labels") or {}), taints, resources))
    return groups


@dataclass(frozen=True)
class PodShape:
    what: str
    node_selector: dict[str, str]
    tolerations: list[dict[str, Any]]
    requests: dict[str, float]


def _quantity(value: Any, resource: str) -> float:
    s = str(value)
    if resource == "cpu":
        return float(s[:-1]) / 1000 if s.endswith("m") else float(s)
    if resource == "memory":
        units = {"Ki": 2**-20, "Mi": 2**-10, "Gi": 1, "Ti": 2**10}
        for u, f in units.items():
            if s.endswith(u):
                return float(s[: -len(u)]) * f
        return float(s) / 2**30
    return float(s)


def _requests(limits: dict[str, Any], requests: dict[str, Any]) -> dict[str, float]:
    merged = {**limits, **requests}
    return {k: _quantity(v, k) for k, v in merged.items() if k in ("cpu", "memory", GPU, EFA)}


def _pods(render: Render) -> Iterator[PodShape]:
    for m in render.manifests:
        if m["kind"] == "Job":
            spec = _get(m, "spec", "template", "spec", default={})
            need: dict[str, float] = {}
            for c in spec.get("containers", []):
                for k, v in _requests(
                    _get(c, "resources", "limits", default={}), _get(c, "resources", "requests", default={})
                ).items():
                    need[k] = need.get(k, 0) + v
            yield PodShape(
                f"Job {m['metadata']['name']}", spec.get("nodeSelector") or {}, spec.get("tolerations") or [], need
            )
        elif m["kind"] == "Release" and isinstance(_get(m, "values", "nodeSelector"), dict):
            # A chart's DaemonSet pinned by top-level values (the device plugins): it must land on some node group.
            values = m["values"]
            yield PodShape(
                f"Release {m['metadata']['name']}", values["nodeSelector"], values.get("tolerations") or [], {}
            )
        elif m["kind"] == "DynamoGraphDeployment":
            for name, svc in (_get(m, "spec", "services", default={}) or {}).items():
                eps = svc.get("extraPodSpec") or {}
                res = svc.get("resources") or {}
                limits = {**{k: v for k, v in (res.get("limits") or {}).items() if k != "custom"}}
                limits.update((res.get("limits") or {}).get("custom") or {})
                if "gpu" in limits:
                    limits[GPU] = limits.pop("gpu")
                yield PodShape(
                    f"DynamoGraphDeployment {m['metadata']['name']} service {name}",
                    eps.get("nodeSelector") or {},
                    eps.get("tolerations") or [],
                    _requests(limits, res.get("requests") or {}),
                )


def _tolerates(tolerations: list[dict[str, Any]], taint: tuple[str, str | None, str]) -> bool:
    key, value, effect = taint
    for t in tolerations:
        if t.get("effect") not in (None, "", effect):
            continue
        if t.get("operator") == "Exists" and t.get("key") in (None, "", key):
            return True
        if t.get("key") == key and (t.get("value") or "") == (value or ""):
            return True
    return False


def _fits(pod: PodShape, group: NodeGroup) -> str | None:
    """Why the pod cannot run on the group's nodes, or None."""
    for k, v in pod.node_selector.items():
        if group.labels.get(k) != v:
            return f"nodeSelector {k}={v}"
    for taint in group.taints:
        if taint[2] in ("NoSchedule", "NoExecute") and not _tolerates(pod.tolerations, taint):
            return f"taint {taint[0]}={taint[1]}:{taint[2]}"
    for resource, need in pod.requests.items():
        have = group.resources.get(resource)
        if have is not None and need > have:
            return f"{resource} {need:g} > {have:g} per node"
    return None


def pods_fit(render: Render) -> Iterator[Finding]:
    groups = _node_groups(render)
    if not groups:
        render.statements.append("existing cluster: pods' selectors, tolerations and requests are the cluster's to fit")
        return
    for pod in _pods(render):
        reasons = {g.name: _fits(pod, g) for g in groups}
        if all(reasons.values()):
            why = "; ".join(f"{n}: {r}" for n, r in reasons.items())
            yield _f("pod-fits", pod.what, f"fits no node group ({why})", SRC_FIT)


def network_policies_enforced(render: Render) -> Iterator[Finding]:
    policies = [m["metadata"]["name"] for m in render.manifests if m["kind"] == "NetworkPolicy"]
    if not policies:
        return
    if not render.on_eks:
        render.statements.append(
            f"existing cluster: {', '.join(policies)} hold only if its CNI enforces NetworkPolicies, which"
            " target.networkPolicyEnforced states (the render summary's network policies line says which)"
        )
        return
    cni = [r for r in render.of_type(EKS_ADDON) if r["inputs"].get("addonName") == eks_addon_spec.VPC_CNI]
    on = any(network_policy_enabled(r["inputs"].get("configurationValues")) for r in cni)
    if not on:
        for p in policies:
            yield _f("network-policy-enforced", f"NetworkPolicy {p}", "the VPC CNI does not enforce it", SRC_NP)


def names_valid(render: Render) -> Iterator[Finding]:
    for m in render.manifests:
        name = _get(m, "metadata", "name")
        if m["kind"] == "Release" or not isinstance(name, str):
            continue
        why = k8s_names.problem(name, k8s_names.rule_of_kind(m["kind"]))
        if why:
            yield _f("name-valid", f"{m['kind']} {name}", why, SRC_NAMES)
        if m["kind"] == "DynamoGraphDeployment":
            service = k8s_names.frontend_service_name(name)
            why = k8s_names.problem(service, "dns1035-label")
            if why:
                yield _f("name-valid", f"Service {service} (made by the operator)", why, SRC_NAMES)


RULES: list[Callable[[Render], Iterator[Finding]]] = [claims_bind, pods_fit, network_policies_enforced, names_valid]


def check(render: Render) -> list[Finding]:
    return [f for rule in RULES for f in rule(render)]
