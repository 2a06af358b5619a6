"""What `pulumi up` would do to go from one render's resources.json to another's: per resource created, deleted,
updated (with the inputs that change) or replaced (with the input that forces it, tools/replacements.py).

A replacement gives a resource a new id, so every input that takes a value from it changes too (resources.json's
`inputDependencies`); that input replaces its owner when it is a replace-on-change input, and so on down the graph:
a new VPC CIDR replaces the VPC, its subnets, the cluster and everything on it.
"""

from dataclasses import dataclass, field
from typing import Any

from tools import replacements

ORDER = {"replace": 0, "delete": 1, "create": 2, "update": 3}
_MISSING = object()


@dataclass
class Step:
    action: str
    """replace, delete, create or update."""
    urn: str
    type: str
    name: str
    changed: list[str] = field(default_factory=list)
    """Inputs (dotted) whose value changes."""
    reasons: list[str] = field(default_factory=list)
    """Why it is replaced."""


def input_changes(before: Any, after: Any, prefix: str = "") -> list[str]:
    """Dotted paths (list indexes dropped) of the values that differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[str] = []
        for key in sorted(set(before) | set(after)):
            path = f"{prefix}.{key}" if prefix else str(key)
            out += input_changes(before.get(key, _MISSING), after.get(key, _MISSING), path)
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        seen: list[str] = []
        for b, a in zip(before, after, strict=True):
            seen += [p for p in input_changes(b, a, prefix) if p not in seen]
        return seen
    return [] if before == after else [prefix or "(inputs)"]


def _lifecycle_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    old, new = before.get("lifecycle") or {}, after.get("lifecycle") or {}
    return [
        f"{k}: {str(old.get(k)).lower()} -> {str(new.get(k)).lower()}"
        for k in ("protect", "retainOnDelete")
        if old.get(k) != new.get(k)
    ]


def _direct_reasons(entry_type: str, before: dict[str, Any], after: dict[str, Any], changed: list[str]) -> list[str]:
    reasons = []
    for path in changed:
        listed = replacements.forcing(entry_type, path)
        if listed is not None:
            reasons.append(f"`{path}` changed (replace-on-change: `{listed}`)")
    shrink = replacements.SHRINK_REPLACES.get(entry_type)
    if shrink and shrink in changed:
        old, new = before["inputs"].get(shrink), after["inputs"].get(shrink)
        if isinstance(old, int | float) and isinstance(new, int | float) and new < old:
            reasons.append(f"`{shrink}` shrinks {old} -> {new} (grows in place, shrinks by replacement)")
    return reasons


def plan(base: list[dict[str, Any]], head: list[dict[str, Any]]) -> list[Step]:
    """Steps from base to head, components left out (they own nothing in the cloud)."""
    old = {e["urn"]: e for e in base if not e["type"].startswith("dsr1:")}
    new = {e["urn"]: e for e in head if not e["type"].startswith("dsr1:")}
    steps: dict[str, Step] = {}
    for urn, e in new.items():
        if urn not in old:
            steps[urn] = Step("create", urn, e["type"], e["name"])
    for urn, e in old.items():
        if urn not in new:
            steps[urn] = Step("delete", urn, e["type"], e["name"])
    for urn in old.keys() & new.keys():
        b, h = old[urn], new[urn]
        changed = input_changes(b["inputs"], h["inputs"]) + _lifecycle_changes(b, h)
        if not changed:
            continue
        reasons = _direct_reasons(h["type"], b, h, changed)
        steps[urn] = Step("replace" if reasons else "update", urn, h["type"], h["name"], changed, reasons)
    _cascade(old, new, steps)
    return sorted(steps.values(), key=lambda s: (ORDER[s.action], s.type, s.name))


def _cascade(old: dict[str, Any], new: dict[str, Any], steps: dict[str, Step]) -> None:
    """Propagate replacements through the inputs that take values from a replaced resource."""
    names = {u: e["name"] for u, e in new.items()}
    grew = True
    while grew:
        grew = False
        replaced = {u for u, s in steps.items() if s.action == "replace"}
        for urn in old.keys() & new.keys():
            step = steps.get(urn)
            if step is not None and step.action == "replace":
                continue
            entry = new[urn]
            for prop, urns in sorted((entry.get("inputDependencies") or {}).items()):
                sources = [names[u] for u in urns if u in replaced]
                if not sources:
                    continue
                step = steps.setdefault(urn, Step("update", urn, entry["type"], entry["name"]))
                note = f"{prop} (from replaced {', '.join(sources)})"
                if note not in step.changed:
                    step.changed.append(note)
                listed = replacements.forcing(entry["type"], prop)
                special = replacements.REPLACED_WITH_DEPENDENCY.get(entry["type"], {}).get(prop)
                if listed is not None or special is not None:
                    step.action = "replace"
                    step.reasons.append(f"`{prop}` takes a new value from replaced {', '.join(sources)}")
                    if special:
                        step.reasons.append(special)
                    grew = True
                    break
        if any(s.action == "replace" and s.type == replacements.CLUSTER for s in steps.values()):
            for urn in old.keys() & new.keys():
                entry = new[urn]
                step = steps.get(urn)
                if entry["type"].startswith(("kubernetes:", "pulumi:providers:kubernetes")) and (
                    step is None or step.action != "replace"
                ):
                    steps[urn] = Step(
                        "replace",
                        urn,
                        entry["type"],
                        entry["name"],
                        step.changed if step else [],
                        ["recreated on the new EKS cluster"],
                    )
                    grew = True


def unknown_types(steps: list[Step]) -> list[str]:
    """Types changed here whose replace-on-change inputs are not in tools/replacements.py."""
    return sorted({s.type for s in steps if s.action == "update" and replacements.replace_paths(s.type) is None})
