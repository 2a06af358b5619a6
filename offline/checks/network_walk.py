"""Which NetworkPolicies allow a flow: Kubernetes' semantics over plain manifests, for the policy walk in the tests.

A connection passes when, at each end inside the policed namespace, some policy selecting that pod (with the
direction among its policyTypes) has a rule admitting the peer and port. The stack's promise is stronger: each
end of each needed flow is admitted by exactly one policy, so the reason a flow is open has one place.
"""

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Literal

Side = Literal["Egress", "Ingress"]


@dataclass(frozen=True)
class Endpoint:
    """A pod (namespace and labels) or an address outside the cluster (namespace None)."""

    name: str
    namespace: str | None
    labels: dict[str, str] = field(default_factory=dict)
    ip: str = "0.0.0.0"


def _matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        present, value = e["key"] in labels, labels.get(e["key"])
        op = e["operator"]
        if (op == "In" and value not in e["values"]) or (op == "NotIn" and value in e["values"]):
            return False
        if (op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True


def _peer_admits(peer: dict[str, Any], policy_namespace: str, other: Endpoint) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        inside = ipaddress.ip_address(other.ip) in ipaddress.ip_network(block["cidr"])
        return inside and not any(
            ipaddress.ip_address(other.ip) in ipaddress.ip_network(x) for x in block.get("except") or []
        )
    if other.namespace is None:
        return False  # pod and namespace selectors select pods only
    if "namespaceSelector" in peer:
        ns_labels = {"kubernetes.io/metadata.name": other.namespace}
        if not _matches(peer["namespaceSelector"], ns_labels):
            return False
    elif other.namespace != policy_namespace:
        return False
    return "podSelector" not in peer or _matches(peer["podSelector"], other.labels)


def _port_admits(ports: list[dict[str, Any]] | None, port: int, protocol: str) -> bool:
    if not ports:
        return True
    return any(p.get("protocol", "TCP") == protocol and p.get("port") in (None, port) for p in ports)


def admitting(
    policies: list[dict[str, Any]], side: Side, pod: Endpoint, other: Endpoint, port: int, protocol: str = "TCP"
) -> list[str] | None:
    """Names of the policies admitting `other` at `pod`'s `side`; None if no policy selects the pod that way (then
    it is not isolated on that side and everything passes)."""
    selecting = [
        p
        for p in policies
        if p["metadata"]["namespace"] == pod.namespace
        and _matches(p["spec"]["podSelector"], pod.labels)
        and side in p["spec"].get("policyTypes", ["Ingress"])
    ]
    if not selecting:
        return None
    key, peers_key = ("egress", "to") if side == "Egress" else ("ingress", "from")
    found = []
    for p in selecting:
        for rule in p["spec"].get(key) or []:
            peers = rule.get(peers_key)
            if (not peers or any(_peer_admits(x, p["metadata"]["namespace"], other) for x in peers)) and _port_admits(
                rule.get("ports"), port, protocol
            ):
                found.append(p["metadata"]["name"])
                break
    return found


def flow(
    policies: list[dict[str, Any]], src: Endpoint, dst: Endpoint, port: int, protocol: str = "TCP"
) -> dict[Side, list[str] | None]:
    """The admitting policies at the source (egress) and the destination (ingress); an end outside any namespace
    is not policed (None)."""
    out: dict[Side, list[str] | None] = {"Egress": None, "Ingress": None}
    if src.namespace is not None:
        out["Egress"] = admitting(policies, "Egress", src, dst, port, protocol)
    if dst.namespace is not None:
        out["Ingress"] = admitting(policies, "Ingress", dst, src, port, protocol)
    return out


def allowed(result: dict[Side, list[str] | None]) -> bool:
    return all(names is None or names for names in result.values())
