"""The stack's Dynamo release: one release throughout, upgrades one minor at a time, and upstream's known issues.

A crash, hang or empty-output issue (config/known_issues.py) that matches the stack's release, backend, platform,
fabric and features refuses the stack with its title, source and fix; a degradation is a warning.
"""

from config import catalog
from config.errors import Problem
from config.keys import key
from config.known_issues import KNOWN_ISSUES, REFUSING, KnownIssue
from config.schema import StackConfig
from specs import dynamo_release, efa_worker, graph_spec

PLATFORM_OF_GPU = {"H100": "h100", "H200": "h200", "B200 (GB200)": "gb200"}
"""config/catalog.py's GPU names as the known-issues table names platforms."""


def _version(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split(".")[:3])


def platform(cfg: StackConfig) -> str | None:
    itype = catalog.INSTANCE_TYPES.get(cfg.gpu_pool.instance_type or "")
    return PLATFORM_OF_GPU.get(itype.gpu) if itype else None


def stack_features(cfg: StackConfig) -> frozenset[str]:
    """What the stack runs, in the known-issues table's words."""
    s = cfg.serving
    itype = catalog.INSTANCE_TYPES.get(cfg.gpu_pool.instance_type or "")
    compute_domain = bool(itype and itype.imex)
    found = {"disagg", "frontend"}  # every stack is a disaggregated graph behind Dynamo's Frontend
    if any(w.nodes > 1 for w in (s.prefill, s.decode)):
        found.add("multinode")
    if any(w.ep > 1 for w in (s.prefill, s.decode)):
        found.add("expert-parallel")
    gpus_per_node = cfg.gpu_pool.gpus_per_node or (itype.gpus if itype else 0)
    d = s.decode
    if s.backend == "trtllm" and d.ep > 1 and d.enable_dp_attention and d.nodes > 1 and d.ep > gpus_per_node:
        found.add("wide-ep-decode")  # DEP across nodes: TRT-LLM's wide expert parallelism (the gb200 recipe)
    if efa_worker.kv_over_libfabric(cfg.gpu_pool.fabric, compute_domain):
        found.add("nixl-libfabric")
    return frozenset(found)


def affects(issue: KnownIssue, version: str, cfg: StackConfig) -> bool:
    v = _version(version)
    if v < _version(issue.introduced) or (issue.fixed_in is not None and v >= _version(issue.fixed_in)):
        return False
    if issue.backends and cfg.serving.backend not in issue.backends:
        return False
    if issue.fabrics and cfg.gpu_pool.fabric not in issue.fabrics:
        return False
    if issue.platforms and platform(cfg) not in issue.platforms:
        return False
    return issue.features <= stack_features(cfg)


def _fix(issue: KnownIssue) -> str:
    release = f"upgrade to {issue.fixed_in} or later" if issue.fixed_in else "no release fixes it yet"
    return f"{release} ({issue.workaround}); source: {issue.source}"


def _issue(issue: KnownIssue, version: str) -> Problem:
    return Problem(
        key("dynamo.version"),
        f'Dynamo {version} has the upstream known issue "{issue.title}" ({issue.effect}) for this stack\'s '
        "backend, platform and fabric.",
        _fix(issue),
    )


def _mixed(cfg: StackConfig) -> list[Problem]:
    tag = cfg.serving.image_tag
    if tag is not None and tag != cfg.dynamo.version:
        return [
            Problem(
                key("serving.imageTag"),
                f"{tag} mixes releases: dynamo.version is {cfg.dynamo.version}, and the workers, Frontend and "
                "operator must run one release (upstream: they move together).",
                f"remove serving.imageTag (the images follow dynamo.version), or set dynamo.version: {tag}.",
            )
        ]
    return []


def _upgrade(cfg: StackConfig) -> list[Problem]:
    deployed, target = cfg.dynamo.deployed_version, cfg.dynamo.version
    if deployed is None:
        return []
    (dmaj, dmin), (tmaj, tmin) = dynamo_release.minor_of(deployed), dynamo_release.minor_of(target)
    if (tmaj, tmin) < (dmaj, dmin):
        return [
            Problem(
                key("dynamo.version"),
                f"{target} is older than the deployed {deployed}: upstream supports upgrades only.",
                f"keep dynamo.version: {deployed}, or recreate the stack.",
            )
        ]
    if tmaj != dmaj or tmin > dmin + 1:
        path = " -> ".join([deployed, *dynamo_release.upgrade_path(deployed, target)])
        return [
            Problem(
                key("dynamo.version"),
                f"{deployed} -> {target} skips a minor release; upstream supports one minor at a time "
                "(docs.nvidia.com/dynamo/v1.6.1/reference/releases/deprecations).",
                f"upgrade in steps, `pulumi up` and dynamo.deployedVersion at each: {path}.",
            )
        ]
    return []


def problems(cfg: StackConfig) -> list[Problem]:
    version = cfg.dynamo.version
    found = _mixed(cfg) + _upgrade(cfg)
    found += [_issue(i, version) for i in KNOWN_ISSUES if i.effect in REFUSING and affects(i, version, cfg)]
    return found


def warnings(cfg: StackConfig) -> list[Problem]:
    """Upstream's known degradations of the release, and what a release change restarts (shown by the render
    summary and `pulumi preview`)."""
    version = cfg.dynamo.version
    found = [
        Problem(key("dynamo.version"), f'Dynamo {version}: upstream known issue "{i.title}" (degradation).', _fix(i))
        for i in KNOWN_ISSUES
        if i.effect not in REFUSING and affects(i, version, cfg)
    ]
    deployed = cfg.dynamo.deployed_version
    moved = dynamo_release.restarts(deployed, version, graph_spec.multinode(cfg.serving))
    if moved and not _upgrade(cfg):
        found.append(
            Problem(
                key("dynamo.version"),
                f"{deployed} -> {version} restarts " + "; ".join(moved) + ".",
                f"after `pulumi up`, set dynamo.deployedVersion: {version}.",
            )
        )
    return found
