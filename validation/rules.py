"""Cross-field rules: the arithmetic a stack must satisfy before any resource is registered.

Each rule returns Problems naming the config key and the fix, so a user who rents GPUs by the hour learns about a
wrong number from `pulumi preview`, not from a crash-looping pod.
"""

from collections.abc import Iterator

from config import catalog
from config.errors import Problem
from config.keys import key
from config.schema import EksTarget, GpuPool, StackConfig, Worker
from config.shape import CACHE_HEADROOM, GpuShape, gib, gpu_shape
from specs import aws_specs, fabric_defaults
from specs.backends import BACKENDS
from validation import just_in_time, limits

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
    if (t.availability_zones is None) == (t.network is None):
        yield Problem(
            key("target.availabilityZones"),
            "give either availabilityZones (a VPC is created) or network (an existing VPC), not both or neither.",
            "set target.availabilityZones: [us-east-1a, us-east-1b], or target.network.",
        )
        return
    if t.availability_zones is None:
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


def _capacity(cfg: StackConfig) -> Iterator[Problem]:
    pool = cfg.gpu_pool
    cap = pool.capacity
    if cap.type == "on-demand":
        if cap.id or cap.instance_count or cap.end_time:
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
    if cap.type == "capacity-block" and cap.end_time is None:
        yield Problem(
            key("gpuPool.capacity.endTime"),
            "is required for a Capacity Block: EC2 terminates its instances before the block ends.",
            "set it to the block's EndDate (e.g. 2026-07-01T11:30:00Z).",
        )
    zone = cap.availability_zone
    if zone is None:
        return
    if not isinstance(cfg.target, EksTarget):
        yield Problem(key("gpuPool.capacity.availabilityZone"), "is AWS-only.", "remove it on an existing cluster.")
    elif cfg.target.availability_zones is not None and zone not in cfg.target.availability_zones:
        yield Problem(
            key("gpuPool.capacity.availabilityZone"),
            f"{zone} is not one of the target's zones {cfg.target.availability_zones}: the GPU nodes need a subnet"
            " there.",
            f"add {zone} to target.availabilityZones, or use capacity in one of them.",
        )


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


def _pool_size(cfg: StackConfig, shape: GpuShape) -> Iterator[Problem]:
    """Multi-node and whole-node workers take whole nodes; workers on part of a node may share one."""
    s = cfg.serving
    whole, partial_gpus = 0, 0
    for w in (s.prefill, s.decode):
        per_node = w.gpus_per_node or shape.gpus_per_node
        if per_node >= shape.gpus_per_node or w.nodes > 1:
            whole += w.replicas * w.nodes
        else:
            partial_gpus += w.replicas * per_node
    needed = whole - (-partial_gpus // shape.gpus_per_node)
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


def problems(cfg: StackConfig, aws_region: str | None) -> list[Problem]:
    """All cross-field problems of a structurally valid config, in the order a user should fix them."""
    found = [*_target(cfg, aws_region), *_capacity(cfg), *_ultraserver(cfg.gpu_pool)]
    model = catalog.MODELS[cfg.model.key]
    shape = gpu_shape(cfg.gpu_pool)
    if shape is not None:
        found += _pool_size(cfg, shape)
        for role in ("prefill", "decode"):
            found += _worker(cfg, role, shape, model)
    found += BACKENDS[cfg.serving.backend].graph_problems(cfg.serving)
    found += _cache(cfg, model)
    found += _fabric_check(cfg)
    found += _benchmark(cfg)
    found += limits.problems(cfg)
    found += just_in_time.problems(cfg)
    return found
