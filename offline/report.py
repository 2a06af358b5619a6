"""Turn a recorded run into the render's files: manifests.yaml, resources.json and a summary."""

import heapq
import json
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from config import catalog
from offline import costs, lifecycle, observability_summary
from offline.mocks import Registration, scrub
from offline.run import Run
from specs.estimate import summary as estimate_summary

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def dependency_order(regs: list[Registration]) -> list[Registration]:
    """Topological order (dependencies and parents first), ties broken by type and name so output is stable."""
    by_urn = {r.urn: r for r in regs}
    preds = {r.urn: {d for d in [*r.dependencies, r.parent] if d in by_urn} for r in regs}
    succs: dict[str, list[str]] = {u: [] for u in by_urn}
    for u, ps in preds.items():
        for p in ps:
            succs[p].append(u)
    remaining = {u: len(ps) for u, ps in preds.items()}
    ready = [(by_urn[u].type, u) for u, n in remaining.items() if n == 0]
    heapq.heapify(ready)
    ordered: list[Registration] = []
    while ready:
        _, u = heapq.heappop(ready)
        ordered.append(by_urn[u])
        for s in succs[u]:
            remaining[s] -= 1
            if remaining[s] == 0:
                heapq.heappush(ready, (by_urn[s].type, s))
    if len(ordered) != len(regs):
        raise RuntimeError("dependency cycle among registered resources")
    return ordered


def inputs(reg: Registration) -> dict[str, Any]:
    return {k: v for k, v in scrub(reg.wire_inputs).items() if not k.startswith("__")}


def kubernetes_object(reg: Registration) -> dict[str, Any] | None:
    """The object sent to the API server; a Helm release as its chart coordinates and values."""
    if not reg.custom or not reg.type.startswith("kubernetes:"):
        return None
    data = inputs(reg)
    if reg.type == HELM_RELEASE:
        repo = (data.get("repositoryOpts") or {}).get("repo")
        return {
            "apiVersion": "helm.sh/v3",
            "kind": "Release",
            "metadata": {"name": data.get("name"), "namespace": data.get("namespace")},
            "chart": {"name": data.get("chart"), "version": data.get("version"), "repository": repo},
            "values": _sorted(data.get("values", {})),
        }
    head = {k: data.pop(k) for k in HEAD_KEYS if k in data}
    ordered: dict[str, Any] = _sorted({**head, **dict(sorted(data.items()))}, top=True)
    return ordered


HEAD_KEYS = ("apiVersion", "kind", "metadata")
"""First in every object, as kubectl writes them; the other top-level keys follow sorted."""


def _sorted(value: Any, top: bool = False) -> Any:
    """Mapping keys in one canonical order, lists as the program built them.

    The inputs come through a protobuf Struct, a map whose iteration order is the backend's (hash order under upb,
    insertion order under the pure-Python one), not the program's: a Secret's `type` moved around `stringData`
    between environments. Key order carries no meaning in a Kubernetes object, so every level is sorted (top level:
    HEAD_KEYS first). List order does carry meaning (container args and command, env, whose `$(VAR)` references
    resolve in order, init containers) and Struct lists keep it, so lists are never reordered.
    """
    if isinstance(value, dict):
        items = value.items() if top else sorted(value.items())
        return {k: _sorted(v) for k, v in items}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def manifests(run: Run) -> list[dict[str, Any]]:
    return [o for o in (kubernetes_object(r) for r in dependency_order(run.registrations)) if o is not None]


def resource_entries(run: Run) -> list[dict[str, Any]]:
    """One record per resource; `ignoreChanges` only where set (what a later `pulumi up` leaves alone)."""
    kept = lifecycle.kept_by_exclude_protected(run.registrations)
    return [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "dependsOn": sorted(set(r.dependencies)),
            "inputDependencies": r.property_dependencies,
            # Every resource also waits for its provider (the Kubernetes objects for the cluster's): with this edge a
            # critical path computed from this file is the one `pulumi up` follows.
            "provider": r.provider.rsplit("::", 1)[0] if r.provider else None,
            "inputs": inputs(r),
            **({"ignoreChanges": r.options["ignoreChanges"]} if r.options.get("ignoreChanges") else {}),
            "lifecycle": lifecycle.entry(r, kept),
        }
        for r in dependency_order(run.registrations)
    ]


def _weight_bytes(run: Run) -> int | None:
    """The checkpoint's size, for the storage the weights occupy (EFS, S3)."""
    try:
        key = json.loads(run.settings.config.get(f"{run.settings.project}:model", "{}")).get("key")
    except (json.JSONDecodeError, AttributeError):
        return None
    model = catalog.MODELS.get(key) if isinstance(key, str) else None
    return model.weight_bytes if model else None


def summary(run: Run) -> str:
    counts = Counter(r.type for r in run.registrations)
    out = run.outputs
    lines = [f"stack {run.settings.stack}: {len(run.registrations)} resources"]
    lines += [f"  {n:3d} {t}" for t, n in sorted(counts.items())]
    lines.append(f"GPUs: {out.get('gpus')} on {out.get('gpuNodes')} nodes")
    lines += costs.summary(costs.line_items(run.registrations, _weight_bytes(run)))
    if "capacityEndTime" in out:
        lines.append(f"capacity ends {out['capacityEndTime']}: {out.get('capacityWarning')}")
    if "capacityStage" in out:
        lines.append(f"capacity not started: {out['capacityStage']}")
    if "capacityWindow" in out:
        lines.append(f"capacity window: {out['capacityWindow']}")
    if "predictedPerformance" in out:
        lines.append(f"predicted performance: {out['predictedPerformance']['summary']}")
    if "modelCache" in out:
        lines.append(f"model cache: {out['modelCache']}")
    lines += [str(x) for x in out.get("dynamoReleaseSummary") or []]
    if "gangScheduling" in out:
        lines.append(f"gang scheduling: {out['gangScheduling']}")
    if "apiEndpoint" in out:
        lines.append(f"cluster API: {out['apiEndpoint']}")
    if "networkPolicies" in out:
        lines.append(f"network policies: {out['networkPolicies']}")
    if isinstance(out.get("timeToEndpoint"), dict):
        lines += estimate_summary.lines(out["timeToEndpoint"])
    if "justInTimeGpus" in out:
        lines.append(f"just-in-time GPUs: {out['justInTimeGpus']}")
    if "frontendUrl" in out:
        lines.append(f"endpoint: {out['frontendUrl']}  (from a laptop: {out.get('portForwardCommand')})")
    lines += observability_summary.lines(out)
    lines += [f"warning: {w}" for w in out.get("warnings") or []]
    lines += lifecycle.summary(run.registrations)
    lines += [f"note: {n}" for n in run.settings.notices]
    return "\n".join(lines)


def write(run: Run, out_dir: Path) -> None:
    """Every file is computed before the directory is created: a render that fails leaves nothing behind."""
    files = {
        "manifests.yaml": yaml.safe_dump_all(manifests(run), sort_keys=False, width=120),
        "resources.json": json.dumps(resource_entries(run), indent=2, sort_keys=True) + "\n",
        "outputs.json": json.dumps(run.outputs, indent=2, sort_keys=True) + "\n",
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out_dir / name).write_text(text)
