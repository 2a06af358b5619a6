"""The whole stack as one dependency graph: cluster, GPU pool, cache, download and serving graph."""

import dataclasses
import ipaddress
from datetime import UTC, datetime

import pulumi
import pulumi_kubernetes as k8s

from components.disagg_inference_graph import DisaggInferenceGraph, DisaggInferenceGraphArgs
from components.eks_cluster import EksCluster, EksClusterArgs
from components.endpoint_checks import EndpointChecks, EndpointChecksArgs
from components.fabric_check import FabricCheck, FabricCheckArgs
from components.gpu_gate import GpuGate, GpuGateArgs
from components.gpu_node_pool import AwsPlacement, GpuNodePool, GpuNodePoolArgs
from components.image_prepull import ImagePrepull, ImagePrepullArgs
from components.model_cache import AwsStorage, ModelCache, ModelCacheArgs
from components.model_download_job import ModelDownloadJob, ModelDownloadJobArgs
from components.network_policies import ServingNetworkPolicies, ServingNetworkPoliciesArgs
from config import catalog, predictions
from config.errors import ConfigError
from config.keys import key
from config.schema import EksTarget, ExistingTarget, StackConfig
from preflight import aws as aws_preflight
from program import observability
from program.resource_graph import ResourceGraph
from specs import (
    aws_specs,
    cache_sizing,
    capacity,
    compile_cache,
    download_node,
    dynamo_release,
    eks_addon_spec,
    fabric_defaults,
    gate_spec,
    graph_spec,
    kv_check_spec,
    network_policies,
    predicted_performance,
    prepull_spec,
    release_summary,
)
from specs.estimate import gpu_phase
from specs.estimate import inputs as estimate_inputs
from specs.estimate import model as estimate_model
from specs.fabric_check_spec import FabricCheckSpec
from specs.graph_spec import GraphSpec
from specs.model_layout import cache_pvc_name, model_dir
from specs.scheduling import SYSTEM_LABELS, PoolScheduling, pool_scheduling
from validation import limits, rules

POOL_NAME = "gpu"
UNKNOWN_API_SERVER = list(network_policies.PRIVATE_RANGES)
"""Where the API server may be when the stack cannot know: a private address (never the internet or link-local)."""


def _cluster(
    cfg: StackConfig, region: str | None, facts: aws_preflight.CapacityFacts, staged: bool
) -> tuple[k8s.Provider, EksCluster | None]:
    if isinstance(cfg.target, EksTarget):
        assert region is not None, "rules.problems() requires aws:region on EKS"
        cluster = EksCluster(
            "cluster",
            EksClusterArgs(
                cfg.target,
                region,
                cache_storage=cfg.model_cache.storage,
                dra_driver=_imex(cfg),
                gpu_subnet_index=facts.subnet_index,
                gpu_plugins=not staged,
                local_zone=facts.local_zone,
            ),
        )
        return cluster.provider, cluster
    provider = k8s.Provider("cluster-k8s", kubeconfig=cfg.target.kubeconfig, context=cfg.target.context)
    return provider, None


def _imex(cfg: StackConfig) -> bool:
    """GB200 pools are one NVLink domain: the workers need the DRA driver's ComputeDomain channels."""
    itype = catalog.INSTANCE_TYPES.get(cfg.gpu_pool.instance_type or "")
    return bool(itype and itype.imex)


def _api_server_cidrs(cfg: StackConfig) -> list[str]:
    """The EKS API server's endpoints for pods are ENIs in the cluster's subnets: inside the VPC's CIDR, the one the
    stack creates or target.network.vpcCidr; on an existing cluster, where the user says. A given VPC whose CIDR
    is not stated cannot be known offline: any private address on port 443."""
    t = cfg.target
    if isinstance(t, ExistingTarget):
        return [str(c) for c in t.api_server_cidrs]
    if t.network is not None and t.network.vpc_cidr is None:
        return UNKNOWN_API_SERVER
    vpc_cidr = str(t.network.vpc_cidr) if t.network is not None else t.vpc_cidr
    # Pods dial the `kubernetes` Service (its ClusterIP, the service range's first address) and the VPC CNI's policy
    # agent sees that address before kube-proxy translates it; EKS picks 172.20.0.0/16 for the service range, or
    # 10.100.0.0/16 when the VPC overlaps it (EKS API, CreateCluster serviceIpv4Cidr). (check)
    overlaps = ipaddress.ip_network(vpc_cidr).overlaps(ipaddress.ip_network("172.20.0.0/16"))
    return [vpc_cidr, "10.100.0.1/32" if overlaps else "172.20.0.1/32"]


def _network_policy_notice(cfg: StackConfig) -> str:
    if isinstance(cfg.target, ExistingTarget) and not cfg.target.network_policy_enforced:
        return (
            "NOT enforced: target.networkPolicyEnforced is false (the cluster's CNI, as stated, ignores them); "
            "the policies are created but every pod can reach the frontend"
        )
    if isinstance(cfg.target, ExistingTarget):
        notice = "enforced by the cluster's CNI (target.networkPolicyEnforced); default deny in the serving namespace"
    else:
        notice = "enforced by the VPC CNI's network policy agent; default deny in the serving namespace"
    notice += " and the platform namespace"
    if _api_server_cidrs(cfg) == UNKNOWN_API_SERVER:
        where = "target.network.vpcCidr" if isinstance(cfg.target, EksTarget) else "target.apiServerCidrs"
        notice += (
            f"; the graph may open :443 to any private address (the API server's is unknown): set {where} to narrow it"
        )
    return notice


def _api_endpoint_notice(t: EksTarget) -> str:
    a = t.endpoint_access
    parts = ["private (inside the VPC)"] if a.private else []
    if a.public:
        cidrs = ", ".join(str(c) for c in a.public_cidrs)
        open_ = "0.0.0.0/0" in cidrs
        parts.append(f"public from {cidrs}" + (" (anywhere: set target.endpointAccess.publicCidrs)" if open_ else ""))
    admins = f"{len(t.cluster_admins)} admin(s) from target.clusterAdmins" if t.cluster_admins else "no clusterAdmins"
    return f"{' and '.join(parts)}; access entries: the creator and {admins}"


def build_stack(cfg: StackConfig, region: str | None, hf_token: pulumi.Input[str]) -> dict[str, object]:
    """Register every resource of the stack and return the stack's outputs."""
    # Invokes that ask AWS whether the capacity can be had: a failure raises before anything is registered.
    facts = aws_preflight.check(cfg, region)
    model = catalog.MODELS[cfg.model.key]
    # Every node of the graph loads the weights at once when it starts: the cache is sized for all of them.
    cache_plan = cache_sizing.plan(cfg.model_cache, model.weight_bytes, graph_spec.graph_nodes(cfg.serving))
    with_gate = gate_spec.enabled(cfg.gpu_pool, isinstance(cfg.target, EksTarget))
    flows = estimate_inputs.flows(cfg, cache_plan, gate_spec.lead_minutes() if with_gate else None)
    staged, stage_notice = _capacity_window(cfg, facts, flows)
    resource_graph = ResourceGraph()
    provider, cluster = _cluster(cfg, region, facts, staged)
    on_cluster = pulumi.ResourceOptions(providers=[provider])
    system_selector = SYSTEM_LABELS if cluster else {}

    scheduling = pool_scheduling(cfg.gpu_pool, POOL_NAME)
    placement = (
        AwsPlacement(
            cluster.cluster_name,
            cluster.node_role_arn,
            cluster.gpu_subnet_id,
            cluster.vpc_id,
            cluster.cluster_security_group_id,
            cluster.node_prerequisites,
        )
        if cluster
        else None
    )
    obs_plan = observability.plan(cfg, eks=cluster is not None)
    namespace = k8s.core.v1.Namespace(
        "namespace",
        metadata={"name": cfg.serving.namespace},
        # Deleting a namespace deletes the cache's claim in it: the weights must outlive the serving stack.
        opts=pulumi.ResourceOptions(provider=provider, retain_on_delete=not cfg.model_cache.deletable),
    )
    policies = ServingNetworkPolicies(
        "network-policies",
        ServingNetworkPoliciesArgs(
            namespace=namespace.metadata.name,
            graph_name=cfg.serving.graph_name,
            platform_namespace=cfg.dynamo.namespace,
            api_server_cidrs=_api_server_cidrs(cfg),
            benchmark=cfg.serving.benchmark.enabled,
            prometheus=(obs_plan.namespace, dict(cfg.observability.prometheus_pod_labels)) if obs_plan else None,
        ),
        opts=on_cluster,
    )
    cache = ModelCache(
        "model-cache",
        ModelCacheArgs(
            plan=cache_plan,
            claim_name=cache_pvc_name(model),
            namespace=namespace.metadata.name,
            storage_class=cfg.model_cache.storage_class,
            aws=AwsStorage(
                cluster.name_prefix,
                cluster.vpc_id,
                cluster.home_subnet_id,
                cluster.private_subnet_ids,
                cluster.private_subnet_cidrs,
            )
            if cluster
            else None,
            s3_staging=cfg.model_cache.s3_staging,
            deletable=cfg.model_cache.deletable,
        ),
        opts=on_cluster,
    )
    # The download needs only the cache: it runs on CPU nodes while the GPU pool is still being provisioned.
    # A pod mounting the cache waits for the cache's CSI driver too (its node plugin mounts the volume).
    cache_mount_waits = [cluster.cache_csi] if cluster and cluster.cache_csi else []
    # The download node must have joined before the Job's pod is scheduled, or it would settle for a system node.
    download_waits = [cluster.download_node_group] if cluster and cluster.download_node_group else []
    download = ModelDownloadJob(
        "model-download",
        ModelDownloadJobArgs(
            model=model,
            revision=cfg.model.revision,
            namespace=namespace.metadata.name,
            claim_name=cache.claim_name,
            hf_token=hf_token,
            node_selector=system_selector,
            verify_hashes=cfg.model.verify == "hashes",
            after=[*cache_mount_waits, *download_waits],
            runtime_dirs=[
                compile_cache.sub_path(
                    cfg.serving, catalog.INSTANCE_TYPES.get(cfg.gpu_pool.instance_type or ""), cfg.dynamo.version
                )
            ],
            placement=download_node.placement(system_selector) if cluster and cluster.download_node_group else None,
        ),
        opts=on_cluster,
    )
    cap = cfg.gpu_pool.capacity
    metrics = observability.build(
        cfg,
        obs_plan,
        download_job=download.job_name,
        scheduling=scheduling,
        system_selector=system_selector,
        capacity_end=(facts.window.end or cap.end_time) if cap.type == "capacity-block" else None,
        gpu_nodes=not staged,
        after=[cluster] if cluster else [],
        opts=on_cluster,
    )
    gate = None
    if with_gate:
        # Just-in-time GPUs: the node group waits until the download is its create time from done.
        gate = GpuGate(
            "gpu-gate",
            GpuGateArgs(
                "gpu-gate-" + download.job_name.removeprefix("download-"),
                namespace.metadata.name,
                cache.claim_name,
                model_dir(model, cfg.model.revision),
                model.weight_bytes,
                system_selector,
                after=cache_mount_waits,
            ),
            opts=on_cluster,
        )
    # Before a Capacity Block starts its instances cannot launch: the pool is described, not created, and nothing
    # that waits for GPU nodes is registered until the `pulumi up` after the start.
    pool = GpuNodePool(
        POOL_NAME,
        GpuNodePoolArgs(cfg.gpu_pool, scheduling, None if staged else placement, after=[gate.job] if gate else []),
    )
    outputs: dict[str, object] = {
        "modelCache": cache_plan.describe(model.weight_bytes),
        "downloadJob": download.job_name,
        "downloadLogsCommand": download.logs_command,
        "modelCacheClaim": cache.claim_name,
        "gpus": pool.gpus,
        "gpuNodes": cfg.gpu_pool.node_count,
        "gpuCostPerHourUsd": round(pool.price_per_hour_usd, 2),
        "networkPolicies": _network_policy_notice(cfg),
        **metrics.outputs,
        # Minutes to a passing smoke test and idle GPU time, over this stack's own resource graph (specs/estimate/).
        "timeToEndpoint": resource_graph.estimate(flows),
    }
    if stage_notice is not None:
        outputs["capacityStage" if staged else "capacityWindow"] = stage_notice
    if not staged:
        built = _Built(provider, cluster, pool, scheduling, namespace, policies, download, cache, gate, metrics)
        outputs.update(_serve(cfg, built))
    return _finish(cfg, outputs, cluster, cache, pool, facts, flows)


def _capacity_window(
    cfg: StackConfig, facts: aws_preflight.CapacityFacts, flows: estimate_model.Flows
) -> tuple[bool, str | None]:
    """Whether the stack is staged before its Capacity Block starts (and the summary's line saying so); a block that
    has ended, or ends before the endpoint could be up, raises ConfigError before anything is registered."""
    cap = cfg.gpu_pool.capacity
    itype = catalog.INSTANCE_TYPES.get(cfg.gpu_pool.instance_type or "")
    if cap.type != "capacity-block" or itype is None:
        return False, None
    fabric = fabric_defaults.enabled(cfg.gpu_pool, cfg.serving) and fabric_defaults.floor_gbps(cfg.gpu_pool) is not None
    minutes = gpu_phase.minutes_after_start(flows, fabric)
    now = datetime.now(UTC)
    found = capacity.window_problems(cap, facts.window, itype, now, minutes)
    if found:
        raise ConfigError(found)
    if facts.window.start is None and facts.window.end is None:
        return False, capacity.unknown_window_notice(cap)
    if not facts.window.staged(now):
        return False, None
    return True, capacity.stage_notice(cap, facts.window, minutes)


@dataclasses.dataclass(frozen=True)
class _Built:
    """What the GPU phase builds on: registered whether or not the Capacity Block has started."""

    provider: k8s.Provider
    cluster: EksCluster | None
    pool: GpuNodePool
    scheduling: PoolScheduling
    namespace: k8s.core.v1.Namespace
    policies: ServingNetworkPolicies
    download: ModelDownloadJob
    cache: ModelCache
    gate: GpuGate | None
    metrics: observability.Wiring


def _serve(cfg: StackConfig, b: _Built) -> dict[str, object]:
    """What needs the GPU nodes: the fabric check, the image pre-pull, the graph and its checks; their outputs."""
    model = catalog.MODELS[cfg.model.key]
    cluster, pool, scheduling, namespace = b.cluster, b.pool, b.scheduling, b.namespace
    policies, download, cache, gate = b.policies, b.download, b.cache, b.gate
    on_cluster = pulumi.ResourceOptions(providers=[b.provider])
    system_selector = SYSTEM_LABELS if cluster else {}
    gpu_ready: list[pulumi.Resource] = [pool, *([cluster] if cluster else [])]
    spec = GraphSpec(
        serving=cfg.serving,
        model_dir=model_dir(model, cfg.model.revision),
        served_model_name=model.served_model_name,
        pvc_name=cache_pvc_name(model),
        pool=scheduling,
        system_selector=system_selector,
        compute_domain=_imex(cfg),
        instance=catalog.INSTANCE_TYPES.get(cfg.gpu_pool.instance_type or ""),
        dynamo_version=cfg.dynamo.version,
    )
    fabric_check = None
    floor = fabric_defaults.floor_gbps(cfg.gpu_pool)
    if fabric_defaults.enabled(cfg.gpu_pool, cfg.serving) and floor is not None:
        # The KV path between two nodes, in the graph's own worker pod (a single-node pool has none to prove).
        kv = kv_check_spec.from_graph(spec) if cfg.gpu_pool.node_count >= 2 else None
        fabric_check = FabricCheck(
            "fabric-check",
            FabricCheckArgs(
                FabricCheckSpec("fabric-check", cfg.gpu_pool.node_count, scheduling, floor, kv),
                namespace=namespace.metadata.name,
                after=[*gpu_ready, policies],
            ),
            opts=on_cluster,
        )
    # The workers' image on every GPU node before the graph starts: the pull overlaps the download.
    ImagePrepull(
        "image-prepull",
        ImagePrepullArgs(prepull_spec.name(spec.serving.graph_name), namespace.metadata.name, spec.image, scheduling),
        opts=on_cluster,
    )
    graph = DisaggInferenceGraph(
        "inference",
        DisaggInferenceGraphArgs(
            spec=spec,
            namespace=namespace.metadata.name,
            platform=dynamo_release.platform_chart(spec.release),
            platform_namespace=cfg.dynamo.namespace,
            pin_control_plane=bool(cluster),
            platform_storage_class=eks_addon_spec.STORAGE_CLASS if cluster else None,
            api_server_cidrs=_api_server_cidrs(cfg),
            # A failed fabric check stops here: workers on a socket fallback hang or crawl (aws-samples/aws-do-eks#54).
            after=[download, policies, *gpu_ready, *([fabric_check] if fabric_check else [])],
            platform_values=b.metrics.platform_values,
            platform_after=b.metrics.platform_after,
            prometheus=b.metrics.prometheus,
        ),
        opts=on_cluster,
    )
    checks = EndpointChecks(
        "endpoint-checks",
        EndpointChecksArgs(
            graph_name=graph.graph_name,
            graph_spec=graph.graph_spec,
            namespace=namespace.metadata.name,
            url=graph.base_url,
            served_model_name=model.served_model_name,
            model_dir=spec.model_dir,
            pvc_name=cache.claim_name,
            node_selector=system_selector,
            benchmark=cfg.serving.benchmark,
            graph=graph.graph,
        ),
        opts=on_cluster,
    )
    outputs: dict[str, object] = {
        "frontendUrl": graph.frontend_url,
        "portForwardCommand": graph.port_forward_command,
        "graphName": graph.graph_name,
        # Multi-node workers start all-or-nothing only with a gang scheduler (ai-dynamo/dynamo#14278).
        "fabricCheck": f"job/{fabric_check.job_name}" if fabric_check else "off",
        "smokeJob": checks.smoke_job_name,
        "smokeLogsCommand": f"kubectl -n {cfg.serving.namespace} logs job/{checks.smoke_job_name}",
        # The same checks by hand, from a laptop: forward the frontend's port, then run the client.
        "smokeCommands": [
            f"{graph.port_forward_command} &",
            f"python smoke.py --url http://localhost:{graph_spec.FRONTEND_PORT} --model {model.served_model_name}",
        ],
        "gangScheduling": "grove+kai-scheduler" if graph_spec.multinode(cfg.serving) else "none (single-node workers)",
        # The release the cluster runs after `up`: feed it back as dynamo.deployedVersion before the next change.
        "dynamoRelease": cfg.dynamo.version,
        "dynamoReleaseSummary": release_summary.lines(cfg, spec),
        "justInTimeGpus": f"on: the GPU node group starts ~{gate_spec.lead_minutes():.0f} min before the download ends"
        if gate
        else "off",
    }
    if checks.benchmark_job_name:
        outputs["benchmarkJob"] = checks.benchmark_job_name
        outputs["benchmarkResultsDir"] = checks.results_dir
        outputs["benchmarkLogsCommand"] = f"kubectl -n {cfg.serving.namespace} logs -f job/{checks.benchmark_job_name}"
    return outputs


def _finish(
    cfg: StackConfig,
    outputs: dict[str, object],
    cluster: EksCluster | None,
    cache: ModelCache,
    pool: GpuNodePool,
    facts: aws_preflight.CapacityFacts,
    flows: estimate_model.Flows,
) -> dict[str, object]:
    """Warnings, the prediction and the cluster's outputs, added to `outputs`."""
    model = catalog.MODELS[cfg.model.key]
    cache_plan = cache_sizing.plan(cfg.model_cache, model.weight_bytes, graph_spec.graph_nodes(cfg.serving))
    slow_cache = (
        [f"{key('modelCache.storage')}: {cache_plan.describe(model.weight_bytes)}; FSx for Lustre is faster"]
        if cache_plan.storage == "efs"
        else []
    )
    # Allowed but costly or risky (idle GPU nodes, quotas, a slow start): pulumi preview shows them; the offline
    # summary prints the output.
    stack_warnings = [str(w) for w in rules.warnings(cfg)] + limits.warnings(cfg) + slow_cache
    start = estimate_model.graph_start_minutes(flows)
    if start > graph_spec.READY_TIMEOUT_S / 60:
        stack_warnings.append(
            f"{key('modelCache')}: the graph's start is estimated at ~{start:.0f} min (image pull, every node loading"
            f" the weights at once, warm-up), beyond its {graph_spec.READY_TIMEOUT_S // 60} min Ready timeout: a"
            " faster cache (modelCache.targetReadMinutes, fsxThroughputPerTib) keeps `pulumi up` from failing late."
        )
    for warning in stack_warnings:
        pulumi.log.warn(warning)
    if stack_warnings:
        outputs["warnings"] = stack_warnings
    # AIConfigurator's committed prediction for this exact topology (make predict), never computed here.
    known = predictions.load()
    predicted = predicted_performance.prediction_for(cfg, known)
    if predicted:
        outputs["predictedPerformance"] = predicted_performance.outputs(predicted, known, pool.price_per_hour_usd)
    if cluster:
        assert isinstance(cfg.target, EksTarget)
        outputs["apiEndpoint"] = _api_endpoint_notice(cfg.target)
        outputs["clusterName"] = cluster.cluster_name
        outputs["modelCacheFileSystem"] = cache.file_system_id
        if cache.staging_bucket is not None:
            outputs["modelStagingBucket"] = cache.staging_bucket
        outputs["kubeconfig"] = cluster.kubeconfig
        outputs["gpuNodeGroup"] = pool.node_group_name
        if cluster.download_node_group is not None:
            # After the download the node only costs money; `pulumi up` leaves the size alone (ignore_changes).
            outputs["downloadNodeScaleDown"] = pulumi.Output.concat(
                "aws eks update-nodegroup-config --region ",
                cluster.region,
                " --cluster-name ",
                cluster.cluster_name,
                " --nodegroup-name ",
                cluster.download_node_group.node_group_name,
                " --scaling-config minSize=0,maxSize=1,desiredSize=0",
            )
        outputs["gpuZone"] = facts.zone
        cap = cfg.gpu_pool.capacity
        if cap.type != "on-demand":
            outputs["gpuNodeUpdates"] = aws_specs.UPDATE_PATH
        itype = catalog.INSTANCE_TYPES[cfg.gpu_pool.instance_type or ""]
        # The end EC2 reported (the config's offline): the preflight's window.
        end = facts.window.end or cap.end_time
        notice = capacity.end_notice(cap, itype, end)
        if end is not None and notice is not None:
            outputs["capacityEndTime"] = end.isoformat()
            outputs["capacityWarning"] = notice
    return outputs
