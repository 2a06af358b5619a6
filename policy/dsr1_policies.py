"""The project's promises as Pulumi policies: plain objects whose validate(args, report_violation) the tests call.

The policy engine hands validations resource inputs with secrets already decrypted and without retainOnDelete,
so "the token is only ever a secret" is checked here as "the token appears nowhere but in a Secret, and never as
an env value" (that the Secret's value is marked secret is tested on the mocked run,
tests/program/test_stack_graph.py), and "the cache is retained" as "its StorageClass keeps the volume" (the claim's
retainOnDelete is tested likewise).
"""

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from config import catalog
from config.resource_types import (
    EKS_ADDON,
    EKS_CLUSTER,
    HELM_RELEASE,
    K8S_SECRET,
    K8S_SERVICE,
    LAUNCH_TEMPLATE,
    NETWORK_POLICY,
    NODE_GROUP,
    PERSISTENT_VOLUME,
    PERSISTENT_VOLUME_CLAIM,
    SECURITY_GROUP,
    STORAGE_CLASS,
)
from config.vpc_cni import network_policy_enabled

ENFORCEMENT = EnforcementLevel.MANDATORY
VPC_CNI = "vpc-cni"
HF_TOKEN = re.compile(r"hf_[A-Za-z0-9]{30,}")
TOKEN_ENV_NAMES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN", "HF_API_TOKEN")
BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")
PLACEHOLDERS = ("my-registry", "my-tag", "placeholder", "changeme", "<", "your-")
MOVING_TAGS = re.compile(r"^(latest|dev|develop|main|master|edge|stable|nightly([-.].*)?|)$", re.IGNORECASE)
"""Tags that name a moving target, not a release: latest, dev, nightly-2026..., a branch."""
VERSION_RANGE = re.compile(r"[\^~*<>|]|\bx\b|\.x\b|\s-\s")
"""A Helm/semver range (^1.3, ~1.3, >=1.0, 1.x, 1.0 - 2.0, *) instead of one version."""
GRAPH_LABEL = "nvidia.com/dynamo-graph-deployment-name"
"""The label the Dynamo operator puts on the graph's pods (the stack's NetworkPolicies select them by it)."""
LINK_LOCAL = ipaddress.ip_network("169.254.0.0/16")
WORLD = ("0.0.0.0/0", "::/0")


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, value
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")


def _truthy(v: Any) -> bool:
    return v is True or v == "true"


# GPU pools: one EFA interface per network card, as the catalog lays them out, and the self-referencing group.


def _efa_layout(args: StackValidationArgs, report: ReportViolation) -> None:
    for ng in args.resources:
        if ng.resource_type != NODE_GROUP:
            continue
        lts = [d for d in ng.dependencies if d.resource_type == LAUNCH_TEMPLATE]
        # A Capacity Block node group names no instance type: its launch template does (EKS Capacity Blocks guide).
        types = ng.props.get("instanceTypes") or [lt.props.get("instanceType") for lt in lts]
        itype = catalog.INSTANCE_TYPES.get(str(types[0])) if types else None
        if itype is None or not itype.efa_devices:
            continue
        if not lts:
            report(f"GPU node group {ng.name} ({itype.name}) has no launch template: EFA needs one.", ng.urn)
            continue
        for lt in lts:
            nics = lt.props.get("networkInterfaces") or []
            layout = sorted((int(n.get("networkCardIndex", 0)), str(n.get("interfaceType"))) for n in nics)
            if layout != sorted(itype.network_interfaces):
                report(
                    f"launch template {lt.name}: interfaces {layout} are not {itype.name}'s EFA layout "
                    f"{list(itype.network_interfaces)} (one per network card).",
                    lt.urn,
                )
            if any(not n.get("securityGroups") for n in nics):
                report(f"launch template {lt.name}: an EFA interface has no security group.", lt.urn)
            groups = [d for d in lt.dependencies if d.resource_type == SECURITY_GROUP]
            if not any(_self_referencing(g.props) for g in groups):
                report(
                    f"launch template {lt.name}: no security group allowing all traffic to and from itself "
                    "(EFA's OS-bypass traffic is dropped otherwise).",
                    lt.urn,
                )


def _self_referencing(sg: Mapping[str, Any]) -> bool:
    def all_self(rules: Any) -> bool:
        return any(r.get("protocol") == "-1" and _truthy(r.get("self")) for r in rules or [])

    return all_self(sg.get("ingress")) and all_self(sg.get("egress"))


efa_layout = StackValidationPolicy(
    name="gpu-pool-efa-layout",
    description="GPU launch templates have one EFA interface per EFA network card of the instance type (per the "
    "catalog) and the self-referencing security group.",
    validate=_efa_layout,
)


# Security groups: nothing of the stack takes traffic from the whole internet (the EFA group admits itself only).


def _security_groups(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != SECURITY_GROUP:
        return
    for rule in args.props.get("ingress") or []:
        world = [c for c in [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])] if c in WORLD]
        if world:
            report(
                f"security group {args.name}: ingress {rule.get('protocol')} {rule.get('fromPort')}-"
                f"{rule.get('toPort')} from {world[0]} (the whole internet).",
                None,
            )


security_groups_closed = ResourceValidationPolicy(
    name="security-groups-not-open-to-the-world",
    description="No security group of the stack (the GPU nodes' EFA group, the cache's) admits 0.0.0.0/0 or ::/0.",
    validate=_security_groups,
)


# Launch templates: IMDSv2 only, for the node only (hop limit 1), encrypted volumes; one on every node group.


def _launch_template(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != LAUNCH_TEMPLATE:
        return
    metadata = args.props.get("metadataOptions") or {}
    if metadata.get("httpTokens") != "required":
        report("metadataOptions.httpTokens must be 'required' (IMDSv2 only).", None)
    if metadata.get("httpPutResponseHopLimit") != 1:
        report(
            "metadataOptions.httpPutResponseHopLimit (the IMDS hop limit) must be 1: with more, pods reach the node "
            "role's credentials.",
            None,
        )
    for m in args.props.get("blockDeviceMappings") or []:
        if not _truthy((m.get("ebs") or {}).get("encrypted")):
            report(f"volume {m.get('deviceName')} must be encrypted.", None)


launch_template_hardened = ResourceValidationPolicy(
    name="launch-template-imdsv2-encrypted",
    description="Launch templates require IMDSv2 with a hop limit of 1 and encrypt their volumes.",
    validate=_launch_template,
)


def _node_group_templates(args: StackValidationArgs, report: ReportViolation) -> None:
    for ng in args.resources:
        if ng.resource_type != NODE_GROUP:
            continue
        if not ng.props.get("launchTemplate") or not any(d.resource_type == LAUNCH_TEMPLATE for d in ng.dependencies):
            report(
                f"node group {ng.name} has no launch template: IMDS and its root volume are left to defaults.", ng.urn
            )
            continue
        # The template's id must come from a launch template of this stack (the engine's property dependencies),
        # not be a literal naming one made elsewhere, which these policies never see.
        sources = (ng.property_dependencies or {}).get("launchTemplate") or []
        if not any(s.resource_type == LAUNCH_TEMPLATE for s in sources):
            report(
                f"node group {ng.name} uses a launch template from outside the stack "
                f"({ng.props.get('launchTemplate')}): its IMDS and volume settings are unchecked.",
                ng.urn,
            )


node_groups_templated = StackValidationPolicy(
    name="node-groups-have-launch-templates",
    description="Every EKS node group uses a launch template of the stack (which the launch template policy checks).",
    validate=_node_group_templates,
)


# The control plane: audit trail and Secrets under the stack's key.

CONTROL_PLANE_LOGS = {"api", "audit", "authenticator"}


def _control_plane(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    missing = CONTROL_PLANE_LOGS - set(args.props.get("enabledClusterLogTypes") or [])
    if missing:
        report(f"control-plane logs {sorted(missing)} are off.", None)
    enc = args.props.get("encryptionConfig") or {}
    if "secrets" not in (enc.get("resources") or []) or not (enc.get("provider") or {}).get("keyArn"):
        report("Secrets are not envelope-encrypted with a KMS key (encryptionConfig).", None)


control_plane_hardened = ResourceValidationPolicy(
    name="eks-control-plane-logs-and-kms",
    description="EKS clusters log api, audit and authenticator, and encrypt Secrets with a KMS key.",
    validate=_control_plane,
)


# Network policies: default deny where the graph runs, and an enforcing CNI.


def _network_policies(args: StackValidationArgs, report: ReportViolation) -> None:
    def ns(r: Any) -> Any:
        return (r.props.get("metadata") or {}).get("namespace")

    denied = {
        ns(r)
        for r in args.resources
        if r.resource_type == NETWORK_POLICY
        and (r.props.get("spec") or {}).get("podSelector") in ({}, None)
        and {"Ingress", "Egress"} <= set((r.props.get("spec") or {}).get("policyTypes") or [])
        and not (r.props.get("spec") or {}).get("ingress")
        and not (r.props.get("spec") or {}).get("egress")
    }
    cnis = [r for r in args.resources if r.resource_type == EKS_ADDON and r.props.get("addonName") == VPC_CNI]
    for r in args.resources:
        if r.resource_type.endswith(":DynamoGraphDeployment") and ns(r) not in denied:
            report(f"graph {r.name}: no default-deny NetworkPolicy in namespace {ns(r)}.", r.urn)
        if r.resource_type == HELM_RELEASE and r.props.get("chart") == "dynamo-platform":
            namespace = r.props.get("namespace")
            if namespace not in denied:
                report(f"platform release {r.name}: no default-deny NetworkPolicy in namespace {namespace}.", r.urn)
    for r in args.resources:
        if r.resource_type != NETWORK_POLICY:
            continue
        spec = r.props.get("spec") or {}
        for side, peers_key in (("ingress", "from"), ("egress", "to")):
            for rule in spec.get(side) or []:
                if _allows_all(rule, peers_key):
                    report(
                        f"NetworkPolicy {r.name}: an {side} rule admits every peer on every port, undoing the default"
                        f" deny in {ns(r)}.",
                        r.urn,
                    )
        selects_graph = GRAPH_LABEL in ((spec.get("podSelector") or {}).get("matchLabels") or {})
        for rule in spec.get("egress") or [] if selects_graph else []:
            for peer in rule.get("to") or []:
                if _reaches_world_or_link_local(peer):
                    report(
                        f"NetworkPolicy {r.name}: the graph's pods (which run the model's own code) may reach "
                        f"{peer['ipBlock']['cidr']}; only the API server's and the cluster's addresses.",
                        r.urn,
                    )
    for r in cnis:
        # One rule with the offline checks (config.vpc_cni): EKS user guide, "Configure your cluster for Kubernetes
        # network policies", documents only the string "true".
        if not network_policy_enabled(r.props.get("configurationValues")):
            report(f"add-on {r.name}: the VPC CNI's network policy agent is off; NetworkPolicies are inert.", r.urn)
    # The cluster EKS creates runs a self-managed VPC CNI with the agent off: without the stack's add-on enabling
    # it, the rendered NetworkPolicies enforce nothing. On an existing cluster (no EKS cluster here) the CNI is the
    # cluster owner's, and the render summary says so.
    clusters = [r for r in args.resources if r.resource_type == EKS_CLUSTER]
    policies = [r for r in args.resources if r.resource_type == NETWORK_POLICY]
    if clusters and policies and not cnis:
        report(
            f"cluster {clusters[0].name}: {len(policies)} NetworkPolicies but no {VPC_CNI} add-on with "
            'configurationValues {"enableNetworkPolicy": "true"}; the policies are inert.',
            clusters[0].urn,
        )


def _everyone(peer: Mapping[str, Any]) -> bool:
    """A peer that matches every pod or address: {}, every namespace, or 0.0.0.0/0 without exceptions."""
    if not peer:
        return True
    if "ipBlock" in peer:
        block = peer["ipBlock"] or {}
        return block.get("cidr") in WORLD and not block.get("except")
    return peer.get("namespaceSelector") == {} and peer.get("podSelector") in (None, {})


def _allows_all(rule: Mapping[str, Any], peers_key: str) -> bool:
    peers = rule.get(peers_key) or []
    return not rule.get("ports") and (not peers or any(_everyone(p) for p in peers))


def _reaches_world_or_link_local(peer: Mapping[str, Any]) -> bool:
    block = peer.get("ipBlock")
    if not block:
        return False
    try:
        net = ipaddress.ip_network(str(block.get("cidr")), strict=False)
    except ValueError:
        return True
    if net.prefixlen == 0:
        return True
    excepted = [str(x) for x in block.get("except") or []]
    return net.version == 4 and net.overlaps(LINK_LOCAL) and str(LINK_LOCAL) not in excepted


network_policy_on = StackValidationPolicy(
    name="network-policy-default-deny",
    description="The graph's and the platform's namespaces have a default-deny NetworkPolicy that no allow-all rule"
    " undoes; the graph never reaches 0.0.0.0/0 or link-local; a stack that creates an EKS cluster and"
    " NetworkPolicies has the VPC CNI add-on with network policy enabled.",
    validate=_network_policies,
)


# Images and charts pinned.


def _image_problem(image: str) -> str | None:
    lowered = image.lower()
    if any(p in lowered for p in PLACEHOLDERS):
        return "is a placeholder"
    if "@sha256:" in image:
        return None
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return "has no tag"
    if MOVING_TAGS.match(name.rsplit(":", 1)[1]):
        return "is not pinned to a release"
    return None


def _images_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.resource_type.startswith("kubernetes:"):
        return
    for path, value in _walk(args.props):
        if path.endswith("image") and isinstance(value, str):
            problem = _image_problem(value)
            if problem:
                report(f"{path}: image {value!r} {problem}.", None)
        leaf = path.rsplit(".", 1)[-1].lower()
        if leaf in ("tag", "imagetag") and isinstance(value, str) and MOVING_TAGS.match(value):
            report(f"{path}: tag {value!r} is not pinned to a release.", None)
        if leaf.endswith("version") and isinstance(value, str) and VERSION_RANGE.search(value):
            report(f"{path}: {value!r} is a version range, not one version.", None)
    if args.resource_type == HELM_RELEASE and not args.props.get("version"):
        report(f"Helm release {args.props.get('chart')!r} has no chart version.", None)


images_pinned = ResourceValidationPolicy(
    name="images-pinned",
    description="Container images carry a release tag or digest (no latest, dev or nightly tag, no placeholders), in"
    " manifests and Helm values alike; charts and values name one version, never a range.",
    validate=_images_pinned,
)


# The Hugging Face token.


def _base64_token(text: str) -> bool:
    for run in BASE64_RUN.findall(text):
        try:
            decoded = base64.b64decode(run + "=" * (-len(run) % 4), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            continue
        if HF_TOKEN.search(decoded):
            return True
    return False


def _hf_token(args: ResourceValidationArgs, report: ReportViolation) -> None:
    in_secret = args.resource_type == K8S_SECRET
    for path, value in _walk(args.props):
        if isinstance(value, str) and not in_secret and (HF_TOKEN.search(value) or _base64_token(value)):
            report(f"{path}: a Hugging Face token (plain or base64) outside a Kubernetes Secret.", None)
        if not isinstance(value, Mapping) or "name" not in value:
            continue
        named_token = str(value.get("name")).upper() in TOKEN_ENV_NAMES
        if named_token and "value" in value:
            report(f"{path}: the token as a plain env value; mount the Secret as a file instead.", None)
        from_secret = (value.get("valueFrom") or {}).get("secretKeyRef")
        if from_secret and (named_token or str(from_secret.get("name", "")).endswith("-hf-token")):
            report(
                f"{path}: the token as an env variable from a Secret (visible in /proc and to every process of the"
                " pod); mount the Secret as a file instead.",
                None,
            )


hf_token_only_in_secrets = ResourceValidationPolicy(
    name="hf-token-only-in-secrets",
    description="The Hugging Face token appears only in a Kubernetes Secret mounted as a file: never as an env value,"
    " an env variable from the Secret, base64 text or anywhere else.",
    validate=_hf_token,
)


# The frontend stays private unless the policy's config allows public exposure.


def _frontend(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.get_config().get("allowPublicFrontend"):
        return
    t = args.resource_type
    if t == K8S_SERVICE and (args.props.get("spec") or {}).get("type") in ("LoadBalancer", "NodePort"):
        report(f"Service {args.name} is exposed outside the cluster ({args.props['spec']['type']}).", None)
    if t.startswith("kubernetes:networking.k8s.io/") and t.endswith(":Ingress"):
        report(f"Ingress {args.name} exposes the cluster.", None)
    if t == K8S_SERVICE and (args.props.get("spec") or {}).get("externalIPs"):
        report(f"Service {args.name} takes traffic on external IPs {args.props['spec']['externalIPs']}.", None)
    if t.startswith("kubernetes:gateway.networking.k8s.io/") and t.rsplit(":", 1)[-1] in GATEWAY_KINDS:
        report(f"{t.rsplit(':', 1)[-1]} {args.name} routes traffic from outside the cluster.", None)
    if t.startswith("kubernetes:"):
        for path, value in _walk(args.props):
            leaf = path.rsplit(".", 1)[-1]
            if leaf in ("hostNetwork", "hostPort") and value not in (None, False, 0, "false"):
                report(f"{path}: a pod on the node's network ({leaf}) is reachable from outside the cluster.", None)
    if t.endswith(":DynamoGraphDeployment"):
        for name, service in ((args.props.get("spec") or {}).get("services") or {}).items():
            if _truthy((service.get("ingress") or {}).get("enabled")):
                report(f"graph service {name} has its ingress enabled.", None)


GATEWAY_KINDS = ("Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
"""Gateway API kinds that bring outside traffic in (gateway.networking.k8s.io)."""


frontend_private = ResourceValidationPolicy(
    name="frontend-not-public",
    description="No LoadBalancer/NodePort Service, external IPs, Ingress, Gateway API route, graph ingress, host"
    " network or host port unless allowPublicFrontend is set.",
    validate=_frontend,
    config_schema=PolicyConfigSchema(
        properties={"allowPublicFrontend": {"type": "boolean", "default": False}},
    ),
)


# The model cache outlives the stack.


def _by_name(args: StackValidationArgs, resource_type: str) -> dict[Any, Any]:
    return {(r.props.get("metadata") or {}).get("name"): r for r in args.resources if r.resource_type == resource_type}


def _cache_retained(args: StackValidationArgs, report: ReportViolation) -> None:
    classes = _by_name(args, STORAGE_CLASS)
    volumes = _by_name(args, PERSISTENT_VOLUME)
    claims = [r for r in args.resources if r.resource_type == PERSISTENT_VOLUME_CLAIM]
    if not claims:
        report("the stack has no model cache claim.", None)
    for claim in claims:
        spec = claim.props.get("spec") or {}
        pv = volumes.get(spec.get("volumeName"))
        if pv is not None and (pv.props.get("spec") or {}).get("persistentVolumeReclaimPolicy") != "Retain":
            report(f"claim {claim.name} is bound to volume {pv.name}, which is deleted with the claim.", pv.urn)
        sc = classes.get(spec.get("storageClassName"))
        if sc is not None and sc.props.get("reclaimPolicy") != "Retain":
            report(f"claim {claim.name} uses StorageClass {sc.name}, whose volumes are deleted with the claim.", sc.urn)
        modes = (claim.props.get("spec") or {}).get("accessModes") or []
        if "ReadWriteMany" not in modes:
            report(f"claim {claim.name} is not ReadWriteMany: every worker node reads the weights.", claim.urn)


cache_retained = StackValidationPolicy(
    name="model-cache-retained",
    description="The model cache claim is ReadWriteMany, and the volume or StorageClass the stack creates for it "
    "retains the data when the claim goes.",
    validate=_cache_retained,
)

# The metrics pipeline's charts: their pods are not visible to checkov (Helm renders them in the cluster), so their
# values are held here to the hardening every other pod of the stack has (specs/pod_security.py).

MONITORING_CHARTS = ("kube-prometheus-stack", "dcgm-exporter")


def _monitoring_hardened(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != HELM_RELEASE or args.props.get("chart") not in MONITORING_CHARTS:
        return
    values = args.props.get("values") or {}
    chart = args.props["chart"]
    for path, value in _walk(values):
        key = path.rsplit(".", 1)[-1]
        if key in ("hostNetwork", "hostPID", "hostIPC", "privileged") and _truthy(value):
            report(f"{chart} {path}: true.", None)
        if not (key.lower().endswith("securitycontext") and isinstance(value, Mapping)):
            continue
        if value.get("runAsNonRoot") is not True:
            report(f"{chart} {path}: runAsNonRoot is not true.", None)
        if "capabilities" in value or "allowPrivilegeEscalation" in value:
            caps = value.get("capabilities") or {}
            if value.get("allowPrivilegeEscalation") is not False:
                report(f"{chart} {path}: allowPrivilegeEscalation is not false.", None)
            if "ALL" not in (caps.get("drop") or []) or caps.get("add"):
                report(f"{chart} {path}: capabilities are not dropped (drop ALL, add none).", None)
    if chart == "kube-prometheus-stack" and _truthy((values.get("nodeExporter") or {}).get("enabled", True)):
        report("kube-prometheus-stack nodeExporter is on: a hostNetwork, hostPID DaemonSet on every node.", None)


monitoring_hardened = ResourceValidationPolicy(
    name="monitoring-pods-hardened",
    description="The metrics charts' pods run non-root, without privilege escalation or capabilities, off the host's "
    "network and PID namespaces (node-exporter off).",
    validate=_monitoring_hardened,
)

POLICIES = [
    efa_layout,
    security_groups_closed,
    launch_template_hardened,
    node_groups_templated,
    control_plane_hardened,
    network_policy_on,
    images_pinned,
    hf_token_only_in_secrets,
    frontend_private,
    cache_retained,
    monitoring_hardened,
]
