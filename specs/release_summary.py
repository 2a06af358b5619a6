"""The render summary's lines on the stack's Dynamo release: what runs, what EFA changed, what an upgrade restarts."""

from config.keys import key
from config.schema import StackConfig
from specs import dynamo_release, efa_worker
from specs.graph_spec import DGD_API_VERSION, GraphSpec, multinode


def lines(cfg: StackConfig, spec: GraphSpec) -> list[str]:
    rel = spec.release
    gang = multinode(cfg.serving)
    out = [
        f"Dynamo {rel.version}: dynamo-platform chart {rel.version} (operator and CRDs), "
        + (f"Grove {rel.grove or '(chart)'} + KAI {rel.kai_scheduler or '(chart)'}, " if gang else "")
        + f"NATS {'on' if rel.nats else 'off'}; image {spec.image}; "
        f"graph API {DGD_API_VERSION} (deprecated since 1.5, still served; see specs/graph_spec.py)"
    ]
    note = dynamo_release.efa_image_note(rel, cfg.serving.backend, spec.pool.fabric)
    if note:
        out.append(note)
    if spec.efa_workers:
        env = efa_worker.worker_env(cfg.serving.backend, spec.pool.fabric, spec.compute_domain)
        out.append(f"EFA workers: env {', '.join(f'{k}={v}' for k, v in env.items())}")
        if not efa_worker.kv_over_libfabric(spec.pool.fabric, spec.compute_domain):
            out.append("EFA workers: the KV stays on NVLink inside the ComputeDomain (NIXL's LIBFABRIC not selected)")
        out.append(
            f"EFA workers: privileged + {'+'.join(efa_worker.EFA_CAPABILITIES)}: {efa_worker.EFA_PRIVILEGE_REASON}"
        )
    if cfg.dynamo.deployed_version != rel.version:
        # The program cannot read the cluster's release under `preview`: the stack records it in its config.
        out.append(
            f"after `pulumi up`: pulumi config set --path '{key('dynamo.deployedVersion')}' {rel.version}"
            " (the next dynamo.version change is checked against it)"
        )
    return out  # what a release change restarts is a warning (validation/releases.py): preview shows it too
