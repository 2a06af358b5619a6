"""What the program knows about hardware and models: plain data, one place.

Prices are list prices read from the sources named beside them; the summary uses them to say what a stack costs per
hour, never to decide anything.
"""

from dataclasses import dataclass
from typing import Literal

GIB = 1024**3
MIB = 1024**2

Arch = Literal["x86_64", "arm64"]
GpuGeneration = Literal["hopper", "blackwell"]
Precision = Literal["fp8", "fp4", "bf16"]

PRECISIONS: dict[GpuGeneration, tuple[Precision, ...]] = {
    # Hopper's tensor cores run FP8 and BF16; NVFP4 needs Blackwell's (compute capability 10.0: Hugging Face
    # Transformers' NVFP4 page, NVIDIA's NVFP4 playbook). Engines that emulate FP4 on Hopper do it as weight-only
    # dequantization, which the FP4 checkpoint's recipes do not use.
    "hopper": ("fp8", "bf16"),
    "blackwell": ("fp4", "fp8", "bf16"),
}
"""Checkpoint precisions each GPU generation runs natively."""
EksAmiType = Literal["AL2023_x86_64_NVIDIA", "AL2023_ARM_64_NVIDIA"]


@dataclass(frozen=True)
class InstanceType:
    """One GPU instance type as EKS and the schedulers see it."""

    name: str
    gpu: str
    gpus: int
    gpu_memory_bytes: int
    """Usable memory of one GPU, as the driver reports it (nvidia-smi total)."""
    network_interfaces: tuple[tuple[int, str], ...]
    """(network card, interface type) for the launch template, in AWS's recommended layout for the type."""
    arch: Arch
    generation: GpuGeneration
    eks_ami_type: EksAmiType
    vcpus: int
    memory_gib: int
    price_per_hour_usd: float
    price_source: str
    root_volume_gib: int = 500
    ultraserver_sizes: tuple[int, ...] = ()
    """Instances per UltraServer, for types sold only as UltraServer Capacity Blocks (GB200)."""
    nccl_busbw_floor_gbps: float = 0.0
    """Lowest acceptable nccl-tests all_reduce_perf bus bandwidth (GB/s, largest message) across nodes: a quarter
    of the EFA line rate (3,200 Gbps = 400 GB/s on P5/P5en, 1,600 Gbps = 200 GB/s on P6e-GB200, EC2 instance type
    specs). Not a benchmark: it separates a working EFA path from socket fallback (single-digit GB/s) or a pod
    with too few EFA devices, with room for the ~40-90% of line rate NCCL reaches depending on message size."""
    bus_bandwidth_ceiling_gbps: float = 0.0
    """Highest all-reduce bus bandwidth (GB/s) the pool's fabric can carry: the EFA line rate (3,200 Gbps = 400 GB/s
    on P5/P5en, EC2 instance type specs); on GB200 the multi-node NVLink domain, 900 GB/s per GPU one way (NVLink 5:
    18 links, 1.8 TB/s per GPU both ways; awslabs accelerated-compute-tutorials "EFA" page: "about 900 GB/s per GPU in
    one direction"). A fabric check floor above it can never pass."""
    imex: bool = False
    """GPUs share an NVLink domain across instances (IMEX): workers need a ComputeDomain channel."""

    @property
    def efa_devices(self) -> int:
        """EFA devices the device plugin advertises: every interface but plain ENA ones."""
        return sum(1 for _, kind in self.network_interfaces if kind != "interface")


def _efa_on_every_card(cards: int) -> tuple[tuple[int, str], ...]:
    """Card 0 carries the primary ENA+EFA interface, every other card one EFA-only interface (P5 family)."""
    return ((0, "efa"), *((c, "efa-only") for c in range(1, cards)))


INSTANCE_TYPES: dict[str, InstanceType] = {
    t.name: t
    for t in (
        InstanceType(
            name="p5en.48xlarge",
            gpu="H200",
            gpus=8,
            gpu_memory_bytes=143_771 * MIB,
            network_interfaces=_efa_on_every_card(16),
            arch="x86_64",
            generation="hopper",
            eks_ami_type="AL2023_x86_64_NVIDIA",
            vcpus=192,
            memory_gib=2048,
            price_per_hour_usd=63.296,
            price_source="AWS EC2 On-Demand, us-east-1, 2026 (shared/reference/NOTES.md)",
            nccl_busbw_floor_gbps=100.0,
            bus_bandwidth_ceiling_gbps=400.0,
        ),
        InstanceType(
            name="p5.48xlarge",
            gpu="H100",
            gpus=8,
            gpu_memory_bytes=81_559 * MIB,
            network_interfaces=_efa_on_every_card(32),
            arch="x86_64",
            generation="hopper",
            eks_ami_type="AL2023_x86_64_NVIDIA",
            vcpus=192,
            memory_gib=2048,
            price_per_hour_usd=55.04,
            price_source="AWS EC2 On-Demand, us-east-1, after the 2025-06 price cut",
            nccl_busbw_floor_gbps=100.0,
            bus_bandwidth_ceiling_gbps=400.0,
        ),
        InstanceType(
            name="p6e-gb200.36xlarge",
            gpu="B200 (GB200)",
            gpus=4,
            gpu_memory_bytes=185 * GIB,
            # Card 0 is ENA-only; one EFA-only interface on cards 1, 5, 9 and 13 gives each GPU its 400 Gbps
            # (EC2 User Guide, EFA on P6e-GB200).
            network_interfaces=((0, "interface"), (1, "efa-only"), (5, "efa-only"), (9, "efa-only"), (13, "efa-only")),
            arch="arm64",
            generation="blackwell",
            eks_ami_type="AL2023_ARM_64_NVIDIA",
            vcpus=144,
            memory_gib=960,
            price_per_hour_usd=round(380.95 / 9, 3),
            ultraserver_sizes=(9, 18),
            imex=True,
            nccl_busbw_floor_gbps=50.0,
            bus_bandwidth_ceiling_gbps=900.0,
            price_source="u-p6e-gb200x36 UltraServer Capacity Block $380.952/h ($10.582 per GPU) over 9 instances, "
            "Dallas Local Zone (EC2 Capacity Blocks pricing page, as quoted in public notes of 2026)",
        ),
    )
}


@dataclass(frozen=True)
class Model:
    """A checkpoint the stacks can serve."""

    key: str
    hf_id: str
    precision: Precision
    parameters: int
    weight_bytes: int
    """Bytes of the checkpoint's safetensors shards, what the GPUs must hold."""
    served_as: str | None = None
    """Name clients ask for (--served-model-name), if not the repo id: the FP4 checkpoint serves as R1."""

    @property
    def served_model_name(self) -> str:
        return self.served_as or self.hf_id


MODELS: dict[str, Model] = {
    m.key: m
    for m in (
        Model(
            key="deepseek-r1",
            hf_id="deepseek-ai/DeepSeek-R1",
            precision="fp8",
            parameters=671_000_000_000,
            weight_bytes=688_600_000_000,
        ),
        Model(
            key="deepseek-r1-fp4",
            hf_id="nvidia/DeepSeek-R1-FP4",
            served_as="deepseek-ai/DeepSeek-R1",
            precision="fp4",
            parameters=671_000_000_000,
            weight_bytes=425_000_000_000,
        ),
        Model(
            key="deepseek-r1-distill-llama-8b",
            hf_id="deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
            precision="bf16",
            parameters=8_030_000_000,
            weight_bytes=16_060_000_000,
        ),
    )
}


@dataclass(frozen=True)
class Price:
    """A list price, us-east-1, with where it was read and when; `checked` False prints "(check)" beside it."""

    usd: float
    unit: Literal["hour", "GiB-month", "GB-month"]
    source: str
    date: str
    checked: bool = True

    def cite(self) -> str:
        return f"{self.source}, {self.date}" + ("" if self.checked else " (check)")


HOURS_PER_MONTH = 730
"""AWS's own monthly convention (8,760 h / 12)."""

PRICES: dict[str, Price] = {
    "eks-standard": Price(
        0.10,
        "hour",
        "EKS control plane, standard support (aws.amazon.com/blogs/containers, EKS extended support)",
        "2024-04",
    ),
    "eks-extended": Price(
        0.60,
        "hour",
        "EKS control plane, extended support (aws.amazon.com/blogs/containers, EKS extended support)",
        "2024-04",
    ),
    "nat-gateway": Price(0.045, "hour", "NAT gateway-hour, us-east-1 (AWS VPC pricing, via cloudburn.io)", "2026-02"),
    "public-ipv4": Price(0.005, "hour", "public IPv4 address-hour (AWS VPC pricing, via cloudburn.io)", "2026-02"),
    "ebs-gp3": Price(0.08, "GB-month", "EBS gp3 storage, us-east-1 (AWS EBS pricing)", "2026", checked=False),
    "ebs-gp2": Price(0.10, "GB-month", "EBS gp2 storage, us-east-1 (AWS EBS pricing)", "2026", checked=False),
    "efs-standard": Price(0.30, "GB-month", "EFS Standard storage (aws.amazon.com/efs/pricing)", "2026"),
    "s3-standard": Price(
        0.023, "GB-month", "S3 Standard, first 50 TB, us-east-1 (AWS S3 pricing)", "2026", checked=False
    ),
}
"""Everything a stack runs besides GPUs and the FSx cache (FSX_PERSISTENT_2 below); data processed through the NAT
gateway ($0.045/GB), EFS elastic reads and cross-zone traffic are per use and left out."""

SYSTEM_INSTANCE_PRICES: dict[str, Price] = {
    "m7i.4xlarge": Price(0.8064, "hour", "EC2 On-Demand m7i.4xlarge Linux, us-east-1", "2026", checked=False),
    "c6in.8xlarge": Price(1.8144, "hour", "EC2 On-Demand c6in.8xlarge Linux, us-east-1", "2026", checked=False),
}
"""CPU node types for systemNodes.instanceType and downloadNode.instanceType; another type is costed as unknown."""


@dataclass(frozen=True)
class NetworkNode:
    """A CPU node type the download may run on (x86: the node group's AMI is AL2023_x86_64_STANDARD)."""

    vcpus: int
    gbps: float
    source: str


DOWNLOAD_NODE_TYPES: dict[str, NetworkNode] = {
    "c6in.8xlarge": NetworkNode(32, 50.0, "EC2 network-optimized C6in: 50 Gbps at 8xlarge (check)"),
    "c6in.16xlarge": NetworkNode(64, 100.0, "EC2 network-optimized C6in: 100 Gbps at 16xlarge (check)"),
    "m7i.4xlarge": NetworkNode(16, 12.5, "EC2 M7i: up to 12.5 Gbps at 4xlarge (check)"),
}
"""Types for target.downloadNode.instanceType (and the system node type, for the estimate), with their vCPUs and
network bandwidth ("Specifications for Amazon EC2 compute optimized instances", network specifications)."""

FSX_PERSISTENT_2: dict[int, Price] = {
    tier: Price(
        usd, "GiB-month", f"FSx for Lustre PERSISTENT_2 {tier} MB/s/TiB, us-east-1 (AWS FSx pricing)", "2026", False
    )
    for tier, usd in {125: 0.145, 250: 0.21, 500: 0.29, 1000: 0.42}.items()
}

DEFAULT_NODE_DISK_GIB = 20
"""Root volume of a managed node group without a launch template or diskSize (EKS CreateNodegroup default) (check)."""
