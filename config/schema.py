"""The stack's configuration as one typed tree: what `Pulumi.<stack>.yaml` may say, and nothing else.

Keys are camelCase in YAML (as `pulumi config` shows them) and snake_case in Python. Structure and single-field
limits live here; the arithmetic across fields (GPUs, memory, node counts) lives in `rules.py`.
"""

import re
from ipaddress import IPv4Network
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic.alias_generators import to_camel

from config import catalog, engine_values, versions
from config.k8s_types import (
    AbsolutePath,
    BinaryQuantity,
    Dns1035Label,
    Dns1123Label,
    Dns1123Subdomain,
    EnvName,
    ExtendedResourceName,
    LabelKey,
    LabelValue,
    PositiveQuantity,
    S3BucketName,
    TaintKey,
    TaintValue,
)
from config.k8s_types import InstanceTypeName as Ec2InstanceType
from config.strict_bool import StrictBool, no_boolean_numbers

DnsLabel = Dns1123Label
COMMIT_SHA = r"^[0-9a-f]{40}$"


def _ref_path(value: str) -> str:
    """A revision becomes a directory under the cache (`models/<repo>/<revision>`): no segment may climb out of it.
    git check-ref-format refuses the same ('..', empty segments, a trailing '/' or '.lock')."""
    parts = value.split("/")
    if any(p in ("", ".", "..") or p.endswith(".lock") for p in parts):
        raise ValueError(
            f"{value!r} has an empty, '.', '..' or '.lock' segment, which git refuses and which would put the cache "
            "directory outside the cache. Fix: use the 40-hex commit, or a branch or tag name as git spells it"
        )
    return value


Revision = Annotated[
    str,
    StringConstraints(pattern=r"^([0-9a-f]{40}|[A-Za-z0-9][A-Za-z0-9._/-]{0,99})$"),
    AfterValidator(_ref_path),
]
Quantity = BinaryQuantity
Fabric = Literal["efa", "infiniband", "roce", "none"]
MAX_TOKENS = 1_048_576
"""Upper bound of every token count: far above any context length an engine supports today."""
EnvVars = dict[EnvName, str]


def _kubernetes_version(value: str) -> str:
    if value not in versions.EKS_KUBERNETES_VERSIONS:
        raise ValueError(
            f"{value!r} is not an EKS Kubernetes version ({', '.join(versions.EKS_KUBERNETES_VERSIONS)}). "
            f"Fix: use {versions.EKS_KUBERNETES_VERSION}"
        )
    return value


AvailabilityZone = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d(-[a-z]+-\d)?[a-z]$")]
"""A Region zone (us-east-1a) or a Local Zone (us-east-1-dfw-2a: EC2 "Local Zones" naming)."""


def _in_catalog(kind: str, known: dict[str, object]) -> AfterValidator:
    def check(value: str) -> str:
        if value not in known:
            raise ValueError(f"unknown {kind} {value!r}; the catalog has {', '.join(sorted(known))}")
        return value

    return AfterValidator(check)


ModelKey = Annotated[str, _in_catalog("model", dict(catalog.MODELS))]
InstanceTypeName = Annotated[str, _in_catalog("instance type", dict(catalog.INSTANCE_TYPES))]


class Section(BaseModel):
    """Every section refuses unknown keys, so a typo fails instead of being ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _no_boolean_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, field in cls.model_fields.items():
                for given in {name, field.alias} & set(data):
                    no_boolean_numbers(data[given], field.annotation, str(given))
        return data


class SystemNodes(Section):
    instance_type: Ec2InstanceType = Field(
        "m7i.4xlarge", description="CPU instance type for the Dynamo control plane and the download Job."
    )
    count: int = Field(2, ge=1, le=10, description="Number of CPU system nodes (in the GPU pool's zone).")


class DownloadNode(Section):
    """One node chosen for its network, for the model download only (specs/download_node.py)."""

    enabled: bool = Field(
        True,
        description="Run the download on its own network-optimized node (tainted for the download Job alone); off:"
        " the download runs on a system node, capped at 5 Gbps to the internet below 32 vCPUs (AWS EC2 bandwidth).",
    )
    instance_type: Ec2InstanceType = Field(
        "c6in.8xlarge",
        description="Instance type of the download node: 32+ vCPUs get half their bandwidth to the internet; one of"
        f" {', '.join(catalog.DOWNLOAD_NODE_TYPES)}.",
    )

    @model_validator(mode="after")
    def _known_type(self) -> "DownloadNode":
        if self.instance_type not in catalog.DOWNLOAD_NODE_TYPES:
            known = ", ".join(catalog.DOWNLOAD_NODE_TYPES)
            raise ValueError(
                f"{self.instance_type!r} is not a download node type this stack knows the network of (x86, known "
                f"bandwidth). Fix: use one of {known}"
            )
        return self


def _vpc_block(network: IPv4Network) -> IPv4Network:
    """EC2 API CreateVpc: the smallest VPC uses a /28 netmask, the largest a /16."""
    if not 16 <= network.prefixlen <= 28:
        raise ValueError(f"{network} is not a VPC's CIDR block (/16 to /28). Fix: the VPC's block of the subnets")
    return network


class ExistingNetwork(Section):
    vpc_id: str = Field(pattern=r"^vpc-[0-9a-f]{8,17}$", description="The VPC to use instead of creating one.")
    private_subnet_ids: list[Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        min_length=2,
        description="Private subnets with a NAT route, in two zones at least; the first holds the GPU nodes and cache.",
    )
    vpc_cidr: Annotated[IPv4Network, AfterValidator(_vpc_block)] | None = Field(
        None,
        description="The VPC's IPv4 CIDR block that holds privateSubnetIds (/16 to /28, e.g. 10.0.0.0/16): the"
        " cluster's API endpoints are there, so the graph's pods may open :443 only there (Kubernetes discovery)."
        " Unset, they may open :443 to any address, with a note in the render summary.",
    )


IamPrincipalArn = Annotated[
    str, StringConstraints(pattern=r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]{1,512}$")
]


class EndpointAccess(Section):
    """Who reaches the Kubernetes API. Authentication (IAM, then the access entries) applies on every path."""

    public: StrictBool = Field(
        True,
        description="Public endpoint on: `pulumi up` and kubectl from outside the VPC (CI runners, laptops) need it.",
    )
    public_cidrs: list[IPv4Network] = Field(
        default_factory=lambda: [IPv4Network("0.0.0.0/0")],
        min_length=1,
        description="Addresses allowed on the public endpoint: your CI's and admins' egress CIDRs. Default anywhere"
        " (GitHub-hosted runners have no fixed addresses), with a warning in the render summary.",
    )
    private: StrictBool = Field(
        True, description="Private endpoint on: nodes and pods reach the API inside the VPC, not over the internet."
    )

    @model_validator(mode="after")
    def _reachable(self) -> "EndpointAccess":
        if not (self.public or self.private):
            raise ValueError("public and private are both off: nothing could reach the cluster's API")
        return self


class EksTarget(Section):
    kind: Literal["eks"] = Field(description="Create a VPC and an EKS cluster in `aws:region`.")
    cluster_name: DnsLabel = Field(description="Name of the EKS cluster to create.")
    kubernetes_version: Annotated[str, AfterValidator(_kubernetes_version)] = Field(
        versions.EKS_KUBERNETES_VERSION,
        description="EKS Kubernetes version (the GPU node AMI release is pinned for it).",
    )
    availability_zones: list[AvailabilityZone] | None = Field(
        None,
        min_length=2,
        description="Zones of the VPC the program creates (EKS needs two); GPU nodes and the cache use the first.",
    )
    vpc_cidr: str = Field("10.40.0.0/16", description="IPv4 CIDR of the VPC the program creates.")
    network: ExistingNetwork | None = Field(
        None, description="Use these VPC and subnets instead of creating a VPC (then leave out availabilityZones)."
    )
    system_nodes: SystemNodes = Field(default_factory=SystemNodes, description="The CPU node group.")
    download_node: DownloadNode = Field(
        default_factory=DownloadNode, description="The node the model download runs on (scale it to 0 after)."
    )
    endpoint_access: EndpointAccess = Field(
        default_factory=EndpointAccess, description="Reachability of the cluster's API endpoint."
    )
    cluster_admins: list[IamPrincipalArn] = Field(
        default_factory=list,
        description="IAM role or user ARNs that administer the cluster (access entries with the cluster admin"
        " policy): the CI role and the humans. The identity running `pulumi up` is admin as the cluster's creator.",
    )


class ExistingTarget(Section):
    kind: Literal["existing"] = Field(description="Use a cluster that already exists; create no cloud resources.")
    kubeconfig: str = Field(description="Path to the kubeconfig file of the cluster.")
    context: str | None = Field(None, description="Kubeconfig context to use (default: the current one).")
    network_policy_enforced: StrictBool = Field(
        False,
        description="Whether the cluster's CNI enforces NetworkPolicies (Calico, Cilium, the VPC CNI with its network"
        " policy agent): the stack creates them either way, the render summary says whether they hold.",
    )
    api_server_cidrs: list[IPv4Network] = Field(
        default_factory=lambda: [IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")],
        min_length=1,
        description="Where the cluster's API server is, as the pods reach it (CIDRs): the graph's pods may open"
        " :443 there (Kubernetes discovery). Default: the private ranges (RFC 1918), since the address cannot be"
        " known offline; never the internet or link-local (the graph runs the model's own code).",
    )


class Capacity(Section):
    type: Literal["on-demand", "reservation", "capacity-block"] = Field(
        "on-demand", description="How the GPU instances are bought."
    )
    id: str | None = Field(
        None, pattern=r"^cr-[0-9a-f]{8,17}$", description="Capacity Reservation or Capacity Block id (cr-...)."
    )
    instance_count: int | None = Field(None, ge=1, description="Instances the reservation or block holds.")
    availability_zone: str | None = Field(
        None,
        pattern=r"^[a-z]{2}(-[a-z]+)+-\d([a-z]|-[a-z]+-\d+[a-z])$",
        description="Zone the GPU nodes run in: required for a reservation or block (the zone it lives in: one of the"
        " target's zones, or a Local Zone such as us-east-1-dfw-2a, which gets its own subnet outside the control"
        " plane's); for on-demand, optional (default: the target's first zone or subnet).",
    )
    start_time: AwareDatetime | None = Field(
        None,
        description="When the Capacity Block starts (ISO 8601 with a zone, quoted: '2026-12-09T11:30:00Z'). Optional:"
        " `pulumi up` reads it from EC2 (DescribeCapacityReservations); set it to render offline a block that has"
        " not started (everything but the GPU pool, its fabric check and the graph is built before it).",
    )
    end_time: AwareDatetime | None = Field(
        None,
        description="When the reservation or block ends (ISO 8601 with a zone, quoted: '2026-12-12T11:30:00Z')."
        " Optional: `pulumi up` reads a block's from EC2; when set it must match. A block that has ended, or that"
        " ends before the endpoint could be up, is refused.",
    )


class FabricCheck(Section):
    enabled: StrictBool | None = Field(
        None,
        description="Run an NCCL all-reduce across the pool's nodes before the graph starts (default: on when the"
        " pool has more than one node or a worker spans nodes).",
    )
    min_bus_bandwidth_gbps: float | None = Field(
        None,
        gt=0,
        le=1800,
        allow_inf_nan=False,
        description="All-reduce bus bandwidth floor in GB/s (nccl-tests busbw); default: the instance type's"
        " floor from the catalog (required on an existing cluster without instanceType).",
    )


class Taint(Section):
    key: TaintKey = Field(description="Taint key ([prefix/]name, at most 63 characters: the EKS API's limit).")
    value: TaintValue = Field("", description="Taint value (a label value).")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = Field(description="Taint effect.")


class GpuPool(Section):
    instance_type: InstanceTypeName | None = Field(
        None, description="GPU instance type from the catalog (required on EKS)."
    )
    node_count: int = Field(ge=1, description="GPU nodes in the pool.")
    fabric: Fabric = Field(
        "efa", description="Inter-node fabric: efa on AWS; infiniband or roce on an existing cluster."
    )
    capacity: Capacity = Field(default_factory=Capacity, description="Purchase option (AWS only).")
    gpus_per_node: int | None = Field(
        None, ge=1, le=72, description="Existing cluster without instanceType: GPUs per node."
    )
    gpu_memory_gib: float | None = Field(
        None, gt=0, le=1024, allow_inf_nan=False, description="Existing cluster without instanceType: GiB per GPU."
    )
    node_labels: dict[LabelKey, LabelValue] | None = Field(
        None, description="Labels that select the pool's nodes (default on EKS: dsr1.io/pool=gpu)."
    )
    taints: list[Taint] | None = Field(
        None, description="Taints on the pool's nodes (default: nvidia.com/gpu NoSchedule)."
    )
    rdma_resource: ExtendedResourceName | None = Field(
        None, description="Existing cluster: extended resource name of the RDMA device (e.g. rdma/ib)."
    )
    rdma_per_node: int | None = Field(None, ge=1, le=64, description="Existing cluster: RDMA devices per node.")
    fabric_check: FabricCheck = Field(
        default_factory=FabricCheck, description="The NCCL proof of the fabric the graph waits for."
    )
    scale_to_zero: StrictBool = Field(
        False,
        description="EKS: run the GPU node group at zero nodes. Reserved capacity sized to nodeCount has no room for"
        " the surge a rolling update needs, so a change of launch template or AMI applies only while this is true:"
        " set it, `pulumi up`, make the change, `pulumi up`, unset it, `pulumi up`"
        " (docs/capacity.md: updating reserved GPUs).",
    )
    just_in_time: StrictBool | None = Field(
        None,
        description="EKS: create the GPU node group only when the weights download is about its create time from done,"
        " so on-demand GPUs are not paid while idle (default: on for on-demand capacity, off for a reservation or"
        " Capacity Block, which are paid from their start).",
    )


class ModelSpec(Section):
    key: ModelKey = Field(description="Model from the catalog.")
    revision: Revision = Field(
        description="Hugging Face commit (40 hex digits) the stack pins; a branch or tag is resolved to its commit at "
        "preview time, and a render without network keeps the name with a notice."
    )

    verify: Literal["size", "hashes"] = Field(
        "size",
        description="How a rerun checks a cache that already holds the complete revision: size (seconds) or hashes "
        "(re-reads every byte, for a suspected corruption). A download always checks hashes as the bytes arrive.",
    )

    @property
    def pinned(self) -> bool:
        return re.fullmatch(COMMIT_SHA, self.revision) is not None


class S3Staging(Section):
    bucket: S3BucketName | None = Field(
        None,
        description="An existing bucket to stage the weights in; unset: the stack creates one (retained, protected).",
    )
    prefix: str = Field("models", pattern=r"^[a-z0-9][a-z0-9/._-]*$", description="Key prefix of the weights.")


class ModelCacheSpec(Section):
    storage: Literal["fsx-lustre", "efs", "storage-class"] = Field(
        description="FSx for Lustre (EKS; fast), EFS (EKS; slow reads, with a warning), or a StorageClass."
    )
    size_gib: int | None = Field(
        None,
        ge=1,
        description="Size in GiB. FSx: derived from targetReadMinutes if unset; EFS: elastic (ignored); "
        "storage-class: required.",
    )
    storage_class: Dns1123Subdomain | None = Field(
        None,
        description="For storage=storage-class: a ReadWriteMany StorageClass (an existing cluster's default if unset).",
    )
    fsx_throughput_per_tib: Literal[125, 250, 500, 1000] | None = Field(
        None, description="FSx PERSISTENT_2 throughput tier in MB/s per TiB; derived from targetReadMinutes if unset."
    )
    target_read_minutes: float = Field(
        15.0,
        gt=0,
        le=1440,
        allow_inf_nan=False,
        description="FSx: the longest acceptable time for every node of the graph to load the checkpoint at once "
        "(they share the file system's throughput); size and tier follow.",
    )
    s3_staging: S3Staging | None = Field(
        None,
        description="FSx only: link the file system to S3 (auto import and export), so a new cluster or region "
        "fills its cache from S3 instead of the Hub.",
    )
    deletable: StrictBool = Field(
        False,
        description="false: the file system, its security group and the staging bucket are protected and, with the "
        "volume, claim and namespace, retained on delete (`pulumi destroy --exclude-protected` keeps them). true: "
        "none is; `pulumi up` then `pulumi destroy` deletes the cache, the staging bucket and the weights in it.",
    )


class TrtllmEngine(Section):
    """A TensorRT-LLM engine config (`--extra-engine-args`), generated into a ConfigMap; keys as TRT-LLM spells them."""

    max_batch_size: int = Field(ge=1, le=16384, description="max_batch_size.")
    max_num_tokens: int = Field(ge=1, le=MAX_TOKENS, description="max_num_tokens: tokens per forward pass.")
    max_seq_len: int = Field(
        ge=1,
        le=MAX_TOKENS,
        description="max_seq_len: the longest prompt plus output a request may have. The recipe's values (1227 "
        "prefill, 2251 decode) are limits users hit: longer requests are rejected.",
    )
    free_gpu_memory_fraction: float = Field(gt=0, lt=1, description="kv_cache_config.free_gpu_memory_fraction.")
    kv_cache_dtype: Literal["fp8", "auto"] = Field("fp8", description="kv_cache_config.dtype.")
    enable_block_reuse: StrictBool = Field(False, description="kv_cache_config.enable_block_reuse.")
    cuda_graph_batch_sizes: list[Annotated[int, Field(ge=1, le=16384)]] | None = Field(
        None, description="cuda_graph_config.batch_sizes (with padding); absent: cuda_graph_config null."
    )
    disable_overlap_scheduler: StrictBool = Field(False, description="disable_overlap_scheduler.")
    moe_backend: str | None = Field(None, description="moe_config.backend (e.g. WIDEEP).")
    transceiver_max_tokens: int = Field(
        4608,
        ge=1,
        le=MAX_TOKENS,
        description="cache_transceiver_config.max_tokens_in_buffer: the KV of one prompt must fit.",
    )
    transceiver_backend: str = Field("DEFAULT", description="cache_transceiver_config.backend.")
    stream_interval: int | None = Field(None, ge=1, le=1000, description="stream_interval.")
    print_iter_log: StrictBool = Field(True, description="print_iter_log.")


def _vllm_all2all(value: str) -> str:
    allowed = engine_values.VLLM_ALL2ALL_BACKENDS
    if value not in allowed:
        raise ValueError(
            f"{value!r} is not an all2all backend of vLLM {engine_values.VLLM_VERSION} (the Dynamo runtime image's)."
            f" Fix: one of {', '.join(allowed)}"
        )
    return value


class Worker(Section):
    replicas: int = Field(1, ge=1, description="Copies of this worker.")
    nodes: int = Field(1, ge=1, description="Nodes one copy spans (more than one makes it multi-node).")
    gpus_per_node: int | None = Field(
        None, ge=1, description="GPUs the worker uses on each node (default: all of the pool's)."
    )
    tp: int = Field(ge=1, description="Tensor-parallel size (SGLang --tp, vLLM --tensor-parallel-size, TRT-LLM).")
    dp: int = Field(1, ge=1, description="Data-parallel size (SGLang --dp, vLLM --data-parallel-size).")
    ep: int = Field(1, ge=1, description="Expert-parallel size (SGLang --ep-size; vLLM: tp x dp with EP on; TRT-LLM).")
    enable_dp_attention: StrictBool = Field(False, description="Attention data parallelism (SGLang, TRT-LLM).")
    mem_fraction_static: float | None = Field(
        None, gt=0, le=0.95, description="SGLang --mem-fraction-static: GPU memory for weights and KV cache."
    )
    gpu_memory_utilization: float | None = Field(
        None, gt=0, le=0.98, description="vLLM --gpu-memory-utilization (vLLM's default 0.9 when unset)."
    )
    all2all_backend: Annotated[str, AfterValidator(_vllm_all2all)] | None = Field(
        None,
        alias="all2allBackend",
        description="vLLM --all2all-backend for expert parallelism: one of "
        + ", ".join(engine_values.VLLM_ALL2ALL_BACKENDS)
        + f" (vLLM {engine_values.VLLM_VERSION}, in the Dynamo runtime image).",
    )
    max_model_len: int | None = Field(None, ge=1, le=MAX_TOKENS, description="vLLM --max-model-len.")
    engine: TrtllmEngine | None = Field(None, description="TRT-LLM engine config (required for trtllm).")
    cpu: PositiveQuantity | None = Field(
        None,
        description="CPU request and limit of each worker pod (e.g. '130'); default: its share of the node's vCPUs"
        " from the catalog (85%).",
    )
    memory: Quantity | None = Field(
        None, description="Memory request and limit of each worker pod; default: its share of the node's memory (85%)."
    )
    shared_memory: Quantity = Field("80Gi", description="Size of /dev/shm in each worker pod.")
    working_dir: AbsolutePath | None = Field(
        None, description="Working directory of the container, absolute (default: the backend's)."
    )
    env: EnvVars = Field(default_factory=dict, description="Extra environment of the worker container.")
    extra_args: list[str] = Field(default_factory=list, description="Backend flags passed through unchanged.")


class Benchmark(Section):
    """aiperf against the frontend after the smoke test, as the upstream perf.yaml does; results go to the cache."""

    enabled: StrictBool = Field(
        False, description="Run the benchmark Job (off by default: it loads the GPUs for a while)."
    )
    input_length: int = Field(1024, ge=1, le=131072, description="Synthetic prompt length in tokens (aiperf ISL).")
    output_length: int = Field(1024, ge=1, le=32768, description="Output tokens per request, EOS ignored (OSL).")
    concurrency: int = Field(
        64, ge=1, le=4096, description="Requests in flight; the run sends 10 x concurrency after a warm-up."
    )


class ServingSecurity(Section):
    """Switches for what an engine may turn out to need on a given fabric; the defaults are the hardened ones."""

    read_only_root_filesystem: StrictBool = Field(
        True,
        description="Read-only root file system for the frontend and workers (HOME and /tmp are writable emptyDirs"
        " for JIT and compile caches); turn off only if an engine writes elsewhere.",
    )
    privileged_workers: StrictBool = Field(
        False,
        description="Run the workers privileged on a fabric whose RDMA memory registration fails without it"
        " (NIXL_ERR_BACKEND; InfiniBand/RoCE on an existing cluster); the checkov skips then say so. On EFA pools the"
        " workers are privileged with IPC_LOCK anyway, as Dynamo's EFA guide requires (specs/efa_worker.py).",
    )


class Serving(Section):
    backend: Literal["sglang", "vllm", "trtllm"] = Field(description="Inference engine of the workers.")
    graph_name: Dns1035Label = Field(
        description="Name of the DynamoGraphDeployment (a DNS-1035 label: its Services are named after it)."
    )
    namespace: DnsLabel = Field("dynamo", description="Namespace of the graph, the cache and the download Job.")
    image_tag: str | None = Field(
        None,
        pattern=r"^\d+\.\d+\.\d+$",
        description="Deprecated: the runtime image tag is `dynamo.version` (with `-efa` on EFA pools). If set, it must"
        " equal dynamo.version: a stack mixing releases is refused.",
    )
    image_digest: str | None = Field(
        None,
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="Digest (sha256:...) of the runtime image of dynamo.version (its `-efa` variant on EFA pools):"
        " the graph then pulls exactly that image. "
        "Unset: the release tag alone (a digest cannot be resolved offline; `docker buildx imagetools inspect` "
        "shows it).",
    )
    security: ServingSecurity = Field(
        default_factory=ServingSecurity, description="Security switches of the graph's pods."
    )
    frontend_replicas: int = Field(
        1, ge=1, le=32, description="Replicas of the OpenAI-compatible frontend (1-32; they share the system nodes)."
    )
    env: EnvVars = Field(default_factory=dict, description="Environment of every service of the graph.")
    prefill: Worker = Field(description="The prefill worker.")
    decode: Worker = Field(description="The decode worker.")
    benchmark: Benchmark = Field(default_factory=Benchmark, description="Optional aiperf benchmark Job.")


def _known_release(value: str) -> str:
    if value not in versions.DYNAMO_RELEASES:
        raise ValueError(
            f"Dynamo {value} is not a release this project pins (config/versions.py DYNAMO_RELEASES:"
            f" {', '.join(versions.DYNAMO_RELEASES)}); use {versions.DYNAMO_RELEASE}"
        )
    return value


DynamoVersion = Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$"), AfterValidator(_known_release)]


class Dynamo(Section):
    version: DynamoVersion = Field(
        versions.DYNAMO_RELEASE,
        description="The Dynamo release of the whole stack: the platform chart, the operator, the CRD the tests check,"
        " every runtime image (`-efa` on EFA pools) and the local twin's ai-dynamo. One of config/versions.py"
        " DYNAMO_RELEASES; upstream's known issues for the stack's backend and fabric are checked against it.",
    )
    deployed_version: DynamoVersion | None = Field(
        None,
        description="The release the cluster runs now (the stack output `dynamoRelease` after `pulumi up`): a change"
        " of `version` may move one minor release at a time, as upstream supports. Unset: a new stack.",
    )
    namespace: DnsLabel = Field("dynamo-system", description="Namespace of the Dynamo platform release.")


class Observability(Section):
    """The metrics pipeline: Prometheus scraping the graph, NATS and the GPUs; Grafana dashboards; alert rules."""

    enabled: bool = Field(True, description="Deploy the metrics pipeline, its dashboards and its alert rules.")
    prometheus: Literal["in-cluster", "existing"] = Field(
        "in-cluster",
        description="in-cluster: install the pinned kube-prometheus-stack chart (Prometheus Operator, Prometheus,"
        " Alertmanager, Grafana, kube-state-metrics) on the system nodes. existing (an existing cluster only): use the"
        " cluster's own Prometheus Operator and Grafana; the stack then creates only its monitors, rules and"
        " dashboards.",
    )
    namespace: DnsLabel = Field(
        "monitoring",
        description="Namespace of the in-cluster stack, or (existing) of the cluster's Prometheus: the serving"
        " namespace admits scrapes from its Prometheus pods only; dashboards and rules go there.",
    )
    prometheus_pod_labels: dict[LabelKey, LabelValue] = Field(
        # The labels the Prometheus Operator puts on every Prometheus pod it runs (prometheus-operator
        # pkg/prometheus/server/statefulset.go, podSelectorLabels).
        default_factory=lambda: {
            "app.kubernetes.io/name": "prometheus",
            "app.kubernetes.io/managed-by": "prometheus-operator",
        },
        description="Labels of the Prometheus pods (default: those the Prometheus Operator sets): the NetworkPolicies"
        " admit scrapes from exactly these pods in `namespace`.",
    )
    monitor_labels: dict[LabelKey, LabelValue] = Field(
        default_factory=dict,
        description="existing: labels your Prometheus selects PodMonitors and PrometheusRules by (e.g. release:"
        " kube-prometheus-stack); the in-cluster stack selects every one.",
    )
    dcgm_exporter: bool | None = Field(
        None,
        description="Install NVIDIA's DCGM exporter on the GPU nodes (default: on EKS; an existing cluster's GPU"
        " Operator usually runs one already).",
    )
    ttft_p95_seconds: float = Field(
        3.0,
        gt=0,
        le=600,
        allow_inf_nan=False,
        description="Alert when the frontend's p95 time to first token is above.",
    )
    itl_p95_seconds: float = Field(
        0.1, gt=0, le=60, allow_inf_nan=False, description="Alert when the frontend's p95 inter-token latency is above."
    )
    error_ratio: float = Field(
        0.05, gt=0, lt=1, allow_inf_nan=False, description="Alert when this share of the frontend's requests fail."
    )
    kv_cache_full_ratio: float = Field(
        0.95, gt=0, le=1, allow_inf_nan=False, description="Alert when a worker's KV cache is this full."
    )
    cache_volume_full_ratio: float = Field(
        0.9, gt=0, le=1, allow_inf_nan=False, description="Alert when the model cache volume is this full."
    )
    retention_days: int = Field(15, ge=1, le=365, description="In-cluster Prometheus: days of metrics kept.")
    storage_gib: int = Field(50, ge=5, le=16384, description="In-cluster Prometheus: its volume (gp3 on EKS), GiB.")


class StackConfig(Section):
    """Everything under the project's namespace except the `hfToken` secret, which never enters this tree."""

    target: Annotated[EksTarget | ExistingTarget, Field(discriminator="kind")] = Field(
        description="Where the stack runs."
    )
    gpu_pool: GpuPool = Field(description="The GPU nodes the workers run on.")
    model: ModelSpec = Field(description="The checkpoint to serve.")
    model_cache: ModelCacheSpec = Field(description="Shared storage for the weights.")
    serving: Serving = Field(description="The disaggregated serving graph.")
    dynamo: Dynamo = Field(default_factory=Dynamo, description="The Dynamo platform release.")
    observability: Observability = Field(
        default_factory=Observability, description="Metrics, dashboards and alerts (docs/observability.md)."
    )
