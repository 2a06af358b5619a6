"""The estimate as the stack's outputs and the render's summary show it: cold and warm at typical values with their
range, the chain at typical values, the download's rate and what limits it, a restarted worker, idle GPUs."""

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from specs.estimate import figures
from specs.estimate.critical_path import Node
from specs.estimate.model import Flows, Run, kind, run

PAID_ANYWAY = {"reservation": "a reservation", "capacity-block": "a Capacity Block"}


def _chain(r: Run) -> list[str]:
    """The dominating chain, resources that take time only (API calls and components left out)."""
    s = r.schedule
    steps = []
    for urn in s.chain(r.target):
        took = s.finish[urn] - s.start[urn]
        if took >= 0.5:
            steps.append(f"{urn.rsplit('::', 1)[-1]} ({took:.0f} min, ends {s.finish[urn]:.0f})")
    return steps


def _range(nodes: Sequence[Node], flows: Flows, warm: bool) -> list[float]:
    return [round(run(nodes, flows, warm, case).minutes, 1) for case in ("fast", "slow")]


def estimate(nodes: Sequence[Node], flows: Flows) -> dict[str, Any]:
    """Plain data for the stack output `timeToEndpoint`."""
    cold, warm = run(nodes, flows, warm=False), run(nodes, flows, warm=True)
    out: dict[str, Any] = {
        "coldCacheMinutes": round(cold.minutes, 1),
        "warmCacheMinutes": round(warm.minutes, 1),
        "coldCacheRange": _range(nodes, flows, warm=False),
        "warmCacheRange": _range(nodes, flows, warm=True),
        "coldChain": _chain(cold),
        "warmChain": _chain(warm),
        "download": {
            "mbps": round(flows.download_mbps(), 0),
            "limit": flows.download_limit(),
            "minutes": round(flows.download_minutes(), 1),
        },
        "workerRestartMinutes": {
            "firstStart": round(flows.restart_minutes(first_start=True), 1),
            "laterStart": round(flows.restart_minutes(first_start=False), 1),
        },
        "downloader": "hashes verified per file while downloading"
        if flows.verify_while_downloading
        else "hashes verified in a second full pass",
        "risks": [figures.CAPACITY_RISK] if flows.capacity_type == "on-demand" else [],
        "inputs": asdict(flows),
    }
    if flows.link_mbps_per_node:
        out["localZoneLink"] = {
            "perNodeMbps": flows.link_mbps_per_node,
            "linkMinutes": round(flows.link_minutes(), 1),
            "loadMinutes": round(flows.load_minutes(), 1),
            "source": figures.LOCAL_ZONE_READ_MBPS_PER_NODE.source,
        }
    if kind(next(n for n in nodes if n.urn == cold.target)) != "smoke-test":
        out["staged"] = True  # no smoke test: staged before a Capacity Block starts, ending with the download
    idle = cold.gpu_idle_minutes
    if idle is not None:
        warm_idle = warm.gpu_idle_minutes or 0.0
        out["gpuIdleMinutesCold"] = round(idle, 1)
        out["gpuIdleUsdCold"] = round(idle / 60 * flows.price_per_hour_usd, 0)
        out["gpuIdleMinutesWarm"] = round(warm_idle, 1)
        out["gpuIdleUsdWarm"] = round(warm_idle / 60 * flows.price_per_hour_usd, 0)
    return out


def _span(r: list[float]) -> str:
    return f"{r[0]:.0f}-{r[1]:.0f}"


def lines(est: dict[str, Any]) -> list[str]:
    """The render summary's lines."""
    dl, restart = est["download"], est["workerRestartMinutes"]
    goal = "the staged stack (GPU phase after the block starts)" if est.get("staged") else "a passing smoke test"
    out = [
        f"time to {goal} (estimate, typical [fast-slow]): ~{est['coldCacheMinutes']:.0f} min"
        f" [{_span(est['coldCacheRange'])}] cold cache, ~{est['warmCacheMinutes']:.0f} min"
        f" [{_span(est['warmCacheRange'])}] warm cache (weights and compile caches kept)",
        f"  cold chain (typical): {' -> '.join(est['coldChain'])}",
        f"  warm chain (typical): {' -> '.join(est['warmChain'])}",
        f"  download: ~{dl['minutes']:.0f} min at ~{dl['mbps']:.0f} MB/s, limited by {dl['limit']};"
        f" {est['downloader']}",
        f"  a restarted worker: ~{restart['laterStart']:.0f} min with its compile cache,"
        f" ~{restart['firstStart']:.0f} min on a first start (compiling)",
    ]
    if "gpuIdleMinutesCold" in est:
        paid = PAID_ANYWAY.get(est["inputs"]["capacity_type"])
        note = f" (paid anyway: {paid})" if paid else ""
        out.append(
            f"  GPUs idle before the graph starts: ~{est['gpuIdleMinutesCold']:.0f} min, ~${est['gpuIdleUsdCold']:.0f}"
            f" cold; ~{est['gpuIdleMinutesWarm']:.0f} min, ~${est['gpuIdleUsdWarm']:.0f} warm{note}"
        )
    link = est.get("localZoneLink")
    if link:
        out.append(
            f"  weights across the Local Zone link: ~{link['linkMinutes']:.0f} min per GPU node at"
            f" {link['perNodeMbps']:.0f} MB/s each, in the graph's load of ~{link['loadMinutes']:.0f} min"
            f" [{link['source']}]"
        )
    out += [f"  risk {r}" for r in est["risks"]]
    out.append("  every figure's range and source: docs/time-to-endpoint.md (specs/estimate/figures.py)")
    return out


def nodes_from_resources(entries: Sequence[dict[str, Any]]) -> list[Node]:
    """The graph from resources.json: dependsOn plus the provider each resource waits for."""
    return [
        Node(e["urn"], e["type"], frozenset([*e["dependsOn"], *([e["provider"]] if e.get("provider") else [])]))
        for e in entries
    ]


__all__ = ["Flows", "Node", "estimate", "figures", "kind", "lines", "nodes_from_resources"]
