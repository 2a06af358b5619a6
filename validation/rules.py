"""Cross-field rules: the arithmetic a stack must satisfy before any resource is registered.

Each rule returns Problems naming the config key and the fix, so a user who rents GPUs by the hour learns about a
wrong number from `pulumi preview`, not from a crash-looping pod.
"""

from collections.abc import Iterator

from config import catalog, versions
from config.errors import Problem
from config.k8s_types import check_aws_region, quantity_value
from config.keys import key
from config.schema import EksTarget, GpuPool, StackConfig, Worker
from config.shape import CACHE_HEADROOM, GpuShape, gib, gpu_shape
from specs import aws_specs, cache_sizing, fabric_defaults, graph_spec, k8s_names
from specs.backends import BACKENDS
from validation import engine_flags, just_in_time, limits, observability_rules, refusals, releases

FSX_PERSISTENT_2_SIZES = "1200 GiB or a multiple of 2400 GiB"


def _target(cfg: StackConfig, aws_region: str | None) -> Iterator[Problem]:
    pool = cfg.gpu_pool
    if isinstance(cfg.target, EksTarget):
        yield from _network(cfg.target, aws_region)
        if pool.instance_type is None:
            yield Problem(
                key("gpuPool.instanceType"), "is required on EKS.", f"one of {sorted(catalog.INSTANCE_TYPES)}."
            )
        if pool.fabric != "efa":
            yield Problem(key("gpuPool.fabric"), f"{pool.fabric!r} does not exist on AWS.", "set it to efa.")
        if cfg.model_cache.storage == "storage-class" and not cfg.model_cache.storage_class:
            yield Problem(
                key("modelCache.storageClass"),
                "is required with storage: storage-class on EKS (its default class, EBS, is not ReadWriteMany).",
                "name a ReadWriteMany class, or use fsx-lustre.",
            )
    else:
        if pool.fabric == "efa":
            yield Problem(key("gpuPool.fabric"), "efa exists only on the EKS target.", "use infiniband, roce or none.")
        if pool.capacity.type != "on-demand":
            yield Problem(
                key("gpuPool.capacity.type"), "is AWS-only.", "remove gpuPool.capacity on an existing cluster."
            )
        if pool.scale_to_zero:
            yield Problem(key("gpuPool.scaleToZero"), "scales an EKS node group; there is none here.", "remove it.")
        if pool.fabric in ("infiniband", "roce") and not (pool.rdma_resource and pool.rdma_per_node):
            yield Problem(
                key("gpuPool.rdmaResource"),
                f"fabric {pool.fabric} needs the RDMA device's resource name and count per node.",
                "set gpuPool.rdmaResource (e.g. rdma/ib) and gpuPool.rdmaPerNode.",
            )
        if cfg.model_cache.storage == "fsx-lustre":
            yield Problem(key("modelCache.storage"), "fsx-lustre is created only on EKS.", "use storage-class.")
    if gpu_shape(pool) is None:
        yield Problem(
            key("gpuPool.instanceType"),
            "is not set, and neither are gpuPool.gpusPerNode and gpuPool.gpuMemoryGib.",
            "name a catalog instance type, or give both GPU keys.",
        )


def _network(t: EksTarget, aws_region: str | None) -> Iterator[Problem]:
    if not aws_region:
        yield Problem(
            "aws:region", "is not set; the EKS cluster needs a region.", "pulumi config set aws:region us-east-1"
        )
    elif bad := check_aws_region(aws_region):
        message, _, fix = bad.partition(". Fix: ")
        yield Problem("aws:region", f"{message}.", f"{fix}.")
        return
    node_minor = ".".join(versions.EKS_NODE_RELEASE_VERSION.split(".")[:2])
    if t.kubernetes_version != node_minor:
        yield Problem(
            key("target.kubernetesVersion"),
            f"{t.kubernetes_version} differs from the GPU node AMI release pinned in config/versions.py "
            f"({versions.EKS_NODE_RELEASE_VERSION}, for {node_minor}); EKS refuses a node group of another version.",
            f"use {node_minor}, or pin an AMI release of {t.kubernetes_version} in config/versions.py.",
        )
    if (t.availability_zones is None) == (t.network is None):
        yield Problem(
            key("target.availabilityZones"),
            "give either availabilityZones (a VPC is created) or network (an existing VPC), not both or neither.",
            "set target.availabilityZones: [us-east-1a, us-east-1b], or target.network.",
        )
        return
    if t.availability_zones is None:
        return
    if any(aws_specs.is_local_zone(z) for z in t.availability_zones):
        yield Problem(
            key("target.availabilityZones"),
            f"{t.availability_zones} include a Local Zone; EKS puts its control plane only in Region zones.",
            "list Region zones only, and put the Local Zone in gpuPool.capacity.availabilityZone.",
        )
        return
    if aws_region and not all(z.startswith(aws_region) for z in t.availability_zones):
        yield Problem(
            key("target.availabilityZones"),
            f"{t.availability_zones} are not all zones of {aws_region}.",
            f"list zones of {aws_region} (e.g. {aws_region}a).",
        )
    try:
        aws_specs.subnet_plan(t.vpc_cidr, t.availability_zones)
    except ValueError as e:
        yield Problem(key("target.vpcCidr"), f"{e}.", "use a /16 such as 10.40.0.0/16.")


def _eks_node_group(cfg: StackConfig) -> Iterator[Problem]:
    """The EKS API takes node group labels with keys and values of 1-63 characters (UpdateLabelsPayload), stricter
    than Kubernetes (a 253-character key prefix, empty values)."""
    if not isinstance(cfg.target, EksTarget):
        return
    for k, v in (cfg.gpu_pool.node_labels or {}).items():
        if len(k) > 63 or not v:
            yield Problem(
                key(f"gpuPool.nodeLabels.{k}"),
                "EKS node group labels need a key of at most 63 characters and a non-empty value.",
                "shorten the key's prefix, or give the label a value.",
            )


def _capacity(cfg: StackConfig) -> Iterator[Problem]:
    pool = cfg.gpu_pool
    cap = pool.capacity
    if cap.type == "on-demand":
        if cap.id or cap.instance_count or cap.end_time or cap.start_time:
            yield Problem(key("gpuPool.capacity.id"), "is set but type is on-demand.", "set type or remove the id.")
    elif not cap.id or not cap.instance_count:
        yield Problem(
            key("gpuPool.capacity"),
            f"type {cap.type} needs the reservation's id and instanceCount.",
            "set gpuPool.capacity.id (cr-...) and gpuPool.capacity.instanceCount.",
        )
    elif pool.node_count > cap.instance_count:
        yield Problem(
            key("gpuPool.nodeCount"),
            f"{pool.node_count} nodes exceed the {cap.type} {cap.id}, which holds {cap.instance_count} instances.",
            f"lower gpuPool.nodeCount to at most {cap.instance_count} or use a larger {cap.type}.",
        )
    if cap.type != "on-demand" and cap.availability_zone is None:
        yield Problem(
            key("gpuPool.capacity.availabilityZone"),
            f"type {cap.type} needs the zone it lives in: the GPU nodes can only use it there.",
            "set it to the AvailabilityZone `aws ec2 describe-capacity-reservations --capacity-reservation-ids"
            f" {cap.id or 'cr-...'}` shows.",
        )
    if cap.start_time is not None and cap.type != "capacity-block":
        yield Problem(
            key("gpuPool.capacity.startTime"),
            f"is a Capacity Block's start; type is {cap.type}.",
            "remove it, or set type: capacity-block.",
        )
    if cap.start_time is not None and cap.end_time is not None and cap.start_time >= cap.end_time:
        yield Problem(
            key("gpuPool.capacity.endTime"),
            f"{cap.end_time.isoformat()} is not after startTime {cap.start_time.isoformat()}.",
            "set both to the block's StartDate and EndDate (aws ec2 describe-capacity-reservations), or remove both.",
        )
    zone = cap.availability_zone
    if zone is None:
        return
    if not isinstance(cfg.target, EksTarget):
        yield Problem(key("gpuPool.capacity.availabilityZone"), "is AWS-only.", "remove it on an existing cluster.")
    elif aws_specs.is_local_zone(zone):
        yield from _local_zone(cfg.target, zone)
    elif cfg.target.availability_zones is not None and zone not in cfg.target.availability_zones:
        yield Problem(
            key("gpuPool.capacity.availabilityZone"),
            f"{zone} is not one of the target's zones {cfg.target.availability_zones}: the GPU nodes need a subnet"
            " there.",
            f"add {zone} to target.availabilityZones, or use capacity in one of them.",
        )


def _local_zone(target: EksTarget, zone: str) -> Iterator[Problem]:
    """EKS "Local Zones": a Local Zone subnet cannot be one of the control plane's subnets. The program creates the
    zone's subnet itself, next to the Region zones it gives the control plane."""
    if target.availability_zones is None:
        yield Problem(
            key("gpuPool.capacity.availabilityZone"),
            f"{zone} is a Local Zone; its subnet is created by the program, which needs target.availabilityZones.",
            "set target.availabilityZones (Region zones) instead of target.network.",
        )
    else:
        try:
            aws_specs.local_zone_cidr(target.vpc_cidr, target.availability_zones)
        except ValueError as e:
            yield Problem(key("target.vpcCidr"), f"{e}.", "use a /16 such as 10.40.0.0/16.")


def _ultraserver(pool: GpuPool) -> Iterator[Problem]:
    """GB200 is sold only as UltraServer Capacity Blocks of 9 or 18 instances."""
    itype = catalog.INSTANCE_TYPES.get(pool.instance_type or "")
    if itype is None or not itype.ultraserver_sizes:
        return
    if pool.capacity.type != "capacity-block":
        yield Problem(
            key("gpuPool.capacity.type"),
            f"{itype.name} is sold only as UltraServer Capacity Blocks.",
            "buy a u-p6e-gb200 Capacity Block and set gpuPool.capacity {type: capacity-block, id, instanceCount}.",
        )
    if pool.node_count not in itype.ultraserver_sizes:
        sizes = " or ".join(map(str, itype.ultraserver_sizes))
        yield Problem(
            key("gpuPool.nodeCount"),
            f"{pool.node_count} is not a whole UltraServer of {itype.name} ({sizes} instances).",
            f"set gpuPool.nodeCount to {sizes}.",
        )


def _worker(cfg: StackConfig, role: str, shape: GpuShape, model: catalog.Model) -> Iterator[Problem]:
    path = f"serving.{role}"
    w: Worker = getattr(cfg.serving, role)
    backend = BACKENDS[cfg.serving.backend]
    per_node = w.gpus_per_node or shape.gpus_per_node
    if per_node > shape.gpus_per_node:
        yield Problem(
            key(f"{path}.gpusPerNode"),
            f"{per_node} exceeds the pool's {shape.gpus_per_node} GPUs per node.",
            f"use at most {shape.gpus_per_node}.",
        )
        return
    if w.gpus_per_node is not None and w.nodes > 1 and per_node != shape.gpus_per_node:
        yield Problem(
            key(f"{path}.gpusPerNode"),
            "a multi-node worker takes whole nodes.",
            f"remove {path}.gpusPerNode or set nodes: 1.",
        )
    gpus = w.nodes * per_node
    found = list(backend.worker_problems(path, w, gpus, cfg.gpu_pool.fabric))
    yield from found
    if found:
        return
    need = model.weight_bytes / gpus
    budget = backend.weight_budget(w)
    have = shape.gpu_memory_bytes * budget
    if need > have:
        yield Problem(
            key(f"{path}.{'memFractionStatic' if cfg.serving.backend == 'sglang' else 'nodes'}"),
            f"each of the worker's {gpus} GPUs must hold {gib(need)} of {model.hf_id}'s weights, but only {gib(have)}"
            f" is available ({gib(shape.gpu_memory_bytes)} x {budget}).",
            "give the worker more GPUs (nodes, tp) or a smaller checkpoint.",
        )


def nodes_needed(cfg: StackConfig, shape: GpuShape) -> int:
    """Multi-node and whole-node workers take whole nodes; workers on part of a node may share one."""
    whole, partial_gpus = 0, 0
    for w in (cfg.serving.prefill, cfg.serving.decode):
        per_node = w.gpus_per_node or shape.gpus_per_node
        if per_node >= shape.gpus_per_node or w.nodes > 1:
            whole += w.replicas * w.nodes
        else:
            partial_gpus += w.replicas * per_node
    return whole - (-partial_gpus // shape.gpus_per_node)


def _pool_size(cfg: StackConfig, shape: GpuShape) -> Iterator[Problem]:
    s = cfg.serving
    needed = nodes_needed(cfg, shape)
    if needed > cfg.gpu_pool.node_count:
        yield Problem(
            key("gpuPool.nodeCount"),
            f"{cfg.gpu_pool.node_count} nodes cannot hold the graph's workers, which need {needed}"
            f" (prefill {s.prefill.replicas} x {s.prefill.nodes}, decode {s.decode.replicas} x {s.decode.nodes}).",
            f"set gpuPool.nodeCount to {needed}.",
        )


def _cache(cfg: StackConfig, model: catalog.Model) -> Iterator[Problem]:
    c = cfg.model_cache
    need = model.weight_bytes * CACHE_HEADROOM
    if c.size_gib is not None and c.storage != "efs" and c.size_gib * catalog.GIB < need:
        yield Problem(
            key("modelCache.sizeGib"),
            f"{c.size_gib} GiB cannot hold {model.hf_id} ({gib(model.weight_bytes)}) with 10% headroom ({gib(need)}).",
            f"set modelCache.sizeGib to at least {int(need / catalog.GIB) + 1}, or leave it out (FSx: derived).",
        )
    if c.storage == "fsx-lustre" and c.size_gib is not None and not (c.size_gib == 1200 or c.size_gib % 2400 == 0):
        yield Problem(
            key("modelCache.sizeGib"),
            f"{c.size_gib} GiB is not a size FSx for Lustre PERSISTENT_2 offers.",
            f"use {FSX_PERSISTENT_2_SIZES}, or leave it out to size for modelCache.targetReadMinutes.",
        )
    if c.s3_staging is not None and c.storage != "fsx-lustre":
        yield Problem(
            key("modelCache.s3Staging"),
            f"links an FSx for Lustre file system to S3; storage is {c.storage}.",
            "use storage: fsx-lustre, or remove s3Staging.",
        )
    if c.storage == "efs" and not isinstance(cfg.target, EksTarget):
        yield Problem(key("modelCache.storage"), "efs is created only on EKS.", "use storage-class.")


def _fabric_check(cfg: StackConfig) -> Iterator[Problem]:
    pool = cfg.gpu_pool
    if not fabric_defaults.enabled(pool, cfg.serving):
        return
    if pool.fabric == "none":
        yield Problem(
            key("gpuPool.fabricCheck.enabled"),
            "is true, but fabric is none: there is no fabric to prove.",
            "set gpuPool.fabric, or gpuPool.fabricCheck.enabled: false.",
        )
    elif fabric_defaults.floor_gbps(pool) is None:
        yield Problem(
            key("gpuPool.fabricCheck.minBusBandwidthGbps"),
            "is required: the pool has no catalog instance type to take the bandwidth floor from.",
            "set it to the all_reduce_perf bus bandwidth (GB/s) your fabric must reach.",
        )


def _benchmark(cfg: StackConfig) -> Iterator[Problem]:
    """A benchmark whose requests the engines reject measures nothing: prompt + output must fit the engine limits."""
    b = cfg.serving.benchmark
    if not b.enabled:
        return
    p, d = cfg.serving.prefill.engine, cfg.serving.decode.engine
    if p is not None and b.input_length > p.max_seq_len:
        yield Problem(
            key("serving.benchmark.inputLength"),
            f"{b.input_length} tokens exceed the prefill engine's maxSeqLen ({p.max_seq_len}).",
            f"use at most {p.max_seq_len}, or raise serving.prefill.engine.maxSeqLen.",
        )
    if d is not None and b.input_length + b.output_length > d.max_seq_len:
        yield Problem(
            key("serving.benchmark.outputLength"),
            f"prompt + output ({b.input_length} + {b.output_length}) exceed the decode engine's maxSeqLen "
            f"({d.max_seq_len}).",
            f"use at most {max(d.max_seq_len - b.input_length, 1)} output tokens, or raise "
            "serving.decode.engine.maxSeqLen.",
        )


S3_BUCKET_PREFIX_MAX = 37
"""pulumi-aws (Terraform) s3 Bucket: bucket_prefix is at most 37 characters (a 63-character name with its suffix)."""


def _derived_names(cfg: StackConfig) -> Iterator[Problem]:
    """Every name made from a configured one must be valid for its kind, for every accepted config: one message
    per configured name, naming the longest it may be."""
    bad = [(d, why) for d in k8s_names.graph_derived_names(cfg.serving) if (why := k8s_names.problem(d.name, d.rule))]
    if bad:
        g = cfg.serving.graph_name
        d, why = bad[0]
        longest = max(
            len(x.name) - len(g) for x in k8s_names.graph_derived_names(cfg.serving) if x.rule != "dns1123-subdomain"
        )
        yield Problem(
            key("serving.graphName"),
            f"{g!r} makes the {d.kind} name invalid: {why}.",
            f"use a name that starts with a letter and has at most {63 - longest} characters.",
        )
    staging = cfg.model_cache.s3_staging
    if isinstance(cfg.target, EksTarget) and staging is not None and staging.bucket is None:
        prefix = f"{cfg.target.cluster_name}-weights-"
        if len(prefix) > S3_BUCKET_PREFIX_MAX:
            yield Problem(
                key("target.clusterName"),
                f"makes the staging bucket prefix {prefix!r}: {len(prefix)} characters, over {S3_BUCKET_PREFIX_MAX}.",
                f"use a cluster name of at most {S3_BUCKET_PREFIX_MAX - len('-weights-')} characters, or set"
                " modelCache.s3Staging.bucket.",
            )


def _precision(cfg: StackConfig, model: catalog.Model) -> Iterator[Problem]:
    """A checkpoint in a precision the GPUs cannot compute in fails only when the engine loads it."""
    itype = catalog.INSTANCE_TYPES.get(cfg.gpu_pool.instance_type or "")
    if itype is None:
        return
    runs = catalog.PRECISIONS[itype.generation]
    if model.precision not in runs:
        fits = [m.key for m in catalog.MODELS.values() if m.precision in runs]
        yield Problem(
            key("model.key"),
            f"{model.key} is a {model.precision} checkpoint; {itype.name}'s {itype.gpu} GPUs ({itype.generation}) "
            f"run {', '.join(runs)} only.",
            f"use {' or '.join(fits)}, or a GPU that runs {model.precision}.",
        )


def _pod_fits(cfg: StackConfig) -> Iterator[Problem]:
    """A worker pod asking for more CPU or memory than its node has stays Pending forever, after the GPUs are paid."""
    itype = catalog.INSTANCE_TYPES.get(cfg.gpu_pool.instance_type or "")
    if itype is None:
        return
    for role in ("prefill", "decode"):
        w: Worker = getattr(cfg.serving, role)
        asks = [("cpu", w.cpu, itype.vcpus, "vCPUs", 1), ("memory", w.memory, itype.memory_gib, "GiB", catalog.GIB)]
        asks.append(("sharedMemory", w.shared_memory, itype.memory_gib, "GiB of memory", catalog.GIB))
        for name, value, has, unit, scale in asks:
            amount = quantity_value(value) if value else None
            if amount is not None and amount > has * scale:
                yield Problem(
                    key(f"serving.{role}.{name}"),
                    f"{value} exceeds what one {itype.name} has ({has} {unit}): the pod would never be scheduled.",
                    f"ask for less than {has} {unit.split()[0]} (some of it is reserved for the system).",
                )


def _fabric_ceiling(cfg: StackConfig) -> Iterator[Problem]:
    pool = cfg.gpu_pool
    itype = catalog.INSTANCE_TYPES.get(pool.instance_type or "")
    floor = pool.fabric_check.min_bus_bandwidth_gbps
    if itype is not None and floor is not None and floor > itype.bus_bandwidth_ceiling_gbps:
        yield Problem(
            key("gpuPool.fabricCheck.minBusBandwidthGbps"),
            f"{floor} GB/s exceeds what {itype.name}'s fabric can carry ({itype.bus_bandwidth_ceiling_gbps:.0f} GB/s):"
            " the check could never pass.",
            f"use at most {itype.bus_bandwidth_ceiling_gbps:.0f}, or leave it out for the catalog's floor "
            f"({itype.nccl_busbw_floor_gbps:.0f}).",
        )


BACKEND_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "mem_fraction_static": ("memFractionStatic", ("sglang",)),
    "gpu_memory_utilization": ("gpuMemoryUtilization", ("vllm",)),
    "all2all_backend": ("all2allBackend", ("vllm",)),
    "max_model_len": ("maxModelLen", ("vllm",)),
    "engine": ("engine", ("trtllm",)),
    "enable_dp_attention": ("enableDpAttention", ("sglang", "trtllm")),
}
"""Worker keys only some backends read (specs/backends/*.py): set for another backend, they would be ignored."""


def _backend_keys(cfg: StackConfig) -> Iterator[Problem]:
    backend = cfg.serving.backend
    for role in ("prefill", "decode"):
        w: Worker = getattr(cfg.serving, role)
        for field, (name, owners) in BACKEND_KEYS.items():
            if backend not in owners and field in w.model_fields_set and getattr(w, field) not in (None, False):
                yield Problem(
                    key(f"serving.{role}.{name}"),
                    f"is a {' and '.join(owners)} key; the {backend} backend would ignore it.",
                    f"remove it, or set serving.backend to {owners[0]}.",
                )


def _read_target(cfg: StackConfig, model: catalog.Model) -> Iterator[Problem]:
    """FSx sizing picks the cheapest file system that meets targetReadMinutes; none meeting it is an error, not the
    largest bought silently."""
    c = cfg.model_cache
    if c.storage != "fsx-lustre":
        return
    # The same plan the stack builds: every node of the graph loads the weights at once.
    plan = cache_sizing.plan(c, model.weight_bytes, graph_spec.graph_nodes(cfg.serving))
    minutes = plan.read_minutes(model.weight_bytes)
    if minutes is not None and minutes > c.target_read_minutes * 1.0001:
        limits = [k for k, v in (("sizeGib", c.size_gib), ("fsxThroughputPerTib", c.fsx_throughput_per_tib)) if v]
        unset = f", or remove modelCache.{' and modelCache.'.join(limits)}, which limit the choice" if limits else ""
        yield Problem(
            key("modelCache.targetReadMinutes"),
            f"{c.target_read_minutes:g} min cannot be met: the fastest FSx for Lustre file system allowed "
            f"({plan.size_gib} GiB at {plan.throughput_per_tib} MB/s/TiB) gives {gib(model.weight_bytes)} to "
            f"{plan.readers} node(s) at once in ~{minutes:.1f} min.",
            f"set it to at least {minutes:.1f}{unset}.",
        )


def warnings(cfg: StackConfig) -> list[Problem]:
    """What is allowed but probably a mistake that costs money: shown in the render summary and by pulumi preview."""
    found: list[Problem] = [*releases.warnings(cfg), *engine_flags.warnings(cfg)]
    shape = gpu_shape(cfg.gpu_pool)
    if shape is None:
        return found
    needed = nodes_needed(cfg, shape)
    idle = cfg.gpu_pool.node_count - needed
    if idle > 0 and cfg.gpu_pool.capacity.type == "on-demand":
        itype = catalog.INSTANCE_TYPES.get(cfg.gpu_pool.instance_type or "")
        cost = f" (~${idle * itype.price_per_hour_usd:,.0f}/h at list price)" if itype else ""
        found.append(
            Problem(
                key("gpuPool.nodeCount"),
                f"{cfg.gpu_pool.node_count} GPU nodes, but the workers use {needed}: {idle} idle{cost}.",
                f"set gpuPool.nodeCount to {needed}, or add worker replicas.",
            )
        )
    return found


def problems(cfg: StackConfig, aws_region: str | None) -> list[Problem]:
    """All cross-field problems of a structurally valid config, in the order a user should fix them."""
    found = [*refusals.problems(cfg, aws_region), *_target(cfg, aws_region), *_eks_node_group(cfg)]
    found += [*_capacity(cfg), *_ultraserver(cfg.gpu_pool)]
    model = catalog.MODELS[cfg.model.key]
    shape = gpu_shape(cfg.gpu_pool)
    if shape is not None:
        found += _pool_size(cfg, shape)
        for role in ("prefill", "decode"):
            found += _worker(cfg, role, shape, model)
    found += BACKENDS[cfg.serving.backend].graph_problems(cfg.serving)
    found += _precision(cfg, model)
    found += _backend_keys(cfg)
    found += _cache(cfg, model)
    found += _read_target(cfg, model)
    found += _fabric_check(cfg)
    found += _fabric_ceiling(cfg)
    found += _pod_fits(cfg)
    found += _benchmark(cfg)
    found += _derived_names(cfg)
    found += limits.problems(cfg)
    found += just_in_time.problems(cfg)
    found += releases.problems(cfg)
    found += engine_flags.problems(cfg)
    found += observability_rules.problems(cfg)
    return found
