"""One Dynamo release per stack: the runtime image tags, the platform chart and its bundled schedulers, the upgrade
path, and what a change of release restarts. Pure functions of config/versions.py's release table."""

from typing import Any

from config import versions
from config.versions import Chart, DynamoRelease


def release(version: str) -> DynamoRelease:
    return versions.DYNAMO_RELEASES[version]


def worker_tag(rel: DynamoRelease, backend: str, fabric: str) -> str:
    """`<version>-efa` on EFA pools where the release has that image, else the plain `<version>`."""
    if fabric == "efa" and backend in rel.efa_images:
        return rel.version + versions.EFA_TAG_SUFFIX
    return rel.version


def efa_image_note(rel: DynamoRelease, backend: str, fabric: str) -> str | None:
    """Said in the render summary when an EFA pool must run the plain image (no `-efa` variant for the backend)."""
    if fabric == "efa" and backend not in rel.efa_images:
        return f"Dynamo {rel.version} has no {backend} `-efa` image: the workers run the plain image on EFA"
    return None


def platform_chart(rel: DynamoRelease) -> Chart:
    """The dynamo-platform chart of the release (the chart, its operator and its CRDs share the release number)."""
    return Chart(versions.DYNAMO_PLATFORM.name, versions.DYNAMO_CHART_REPO, rel.version)


def release_values(rel: DynamoRelease, gang: bool) -> dict[str, Any]:
    """The release-specific platform values: NATS set explicitly, and the KAI staleness setting the chart requires
    when Grove and KAI are both bundled (1.5+)."""
    values: dict[str, Any] = {"global": {"nats": {"install": rel.nats}}}
    if gang and rel.kai_staleness_grace is not None:
        values["kai-scheduler"] = {"scheduler": {"args": {"default-staleness-grace-period": rel.kai_staleness_grace}}}
    return values


def minor_of(version: str) -> tuple[int, int]:
    major, minor, *_ = version.split(".")
    return int(major), int(minor)


def upgrade_path(deployed: str, target: str) -> list[str]:
    """The releases to go through, one minor at a time, ending at `target` (each stop the minor's newest patch)."""
    (major, frm), (tmajor, to) = minor_of(deployed), minor_of(target)
    if major != tmajor or to <= frm + 1:
        return [target]
    stops = [versions.LATEST_PATCH.get(f"{major}.{m}", f"{major}.{m}.x") for m in range(frm + 1, to)]
    return [*stops, target]


def restarts(deployed: str | None, target: str, multinode: bool) -> list[str]:
    """What `pulumi up` restarts when the release changes (empty for a new stack or the same release)."""
    if deployed is None or deployed == target:
        return []
    out = [
        f"the dynamo-platform release {deployed} -> {target}: the operator Deployment and the CRDs (upgradeCRD)",
        "every graph pod (Frontend, prefill, decode): new runtime image tag, so the weights load again",
    ]
    old, new = release(deployed), release(target)
    if multinode:
        moved = [
            f"{name} {a or '(chart)'} -> {b or '(chart)'}"
            for name, a, b in (("Grove", old.grove, new.grove), ("KAI", old.kai_scheduler, new.kai_scheduler))
            if a != b
        ]
        if moved:
            out.append(" and ".join(moved))
    if old.nats != new.nats:
        out.append(f"NATS {'installed' if new.nats else 'removed (the 1.4+ default planes are TCP and ZMQ)'}")
    return out
