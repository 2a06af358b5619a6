"""What outlives a destroy: each resource's protect / retainOnDelete, and what `destroy --exclude-protected` keeps.

`pulumi destroy --exclude-protected` keeps every protected resource, every resource with a protected child, and
everything those depend on, since deleting a dependency of a kept resource would leave an invalid state
(pulumi/pulumi#8359, which implemented the flag). `retainOnDelete` resources are dropped from the state on a delete
but left running in AWS or the cluster.
"""

from collections import Counter

from offline.mocks import Registration


def _provider_urn(ref: str | None) -> str | None:
    """A provider reference is `<urn>::<id>`."""
    return ref.rsplit("::", 1)[0] if ref else None


def kept_by_exclude_protected(regs: list[Registration]) -> set[str]:
    by_urn = {r.urn: r for r in regs}
    kept = {r.urn for r in regs if r.options.get("protect")}
    todo = list(kept)
    while todo:
        r = by_urn[todo.pop()]
        for urn in [r.parent, *r.dependencies, _provider_urn(r.provider)]:
            if urn in by_urn and urn not in kept:
                kept.add(urn)
                todo.append(urn)
    return kept


def entry(reg: Registration, kept: set[str]) -> dict[str, bool]:
    """The lifecycle fields of one resource in resources.json."""
    return {
        "protect": bool(reg.options.get("protect")),
        "retainOnDelete": bool(reg.options.get("retainOnDelete")),
        "keptByExcludeProtected": reg.urn in kept,
    }


def _types(regs: list[Registration]) -> str:
    counts = Counter(r.type.rsplit(":", 1)[-1] for r in regs if not r.type.startswith("dsr1:"))
    return ", ".join(f"{n} {t}" if n > 1 else t for t, n in sorted(counts.items()))


def summary(regs: list[Registration]) -> list[str]:
    kept = kept_by_exclude_protected(regs)
    retained = [r for r in regs if r.options.get("retainOnDelete")]
    if not kept and not retained:
        return ["lifecycle: nothing protected or retained: `pulumi destroy` deletes every resource, the cache too"]
    lines = ["lifecycle (modelCache.deletable: false; resources.json has each resource's protect/retainOnDelete):"]
    if kept:
        lines.append(
            f"  `pulumi destroy --exclude-protected` keeps {len(kept)} of {len(regs)} resources, the protected "
            f"cache and all it depends on: {_types([r for r in regs if r.urn in kept])}"
        )
    if retained:
        lines.append(
            f"  retained on delete (left running, dropped from state): {_types(retained)}; to delete the cache, "
            "set modelCache.deletable true, `pulumi up`, then `pulumi destroy`"
        )
    return lines
