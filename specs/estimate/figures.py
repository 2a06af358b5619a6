"""Every duration and rate the estimate uses: a low, typical and high value, each with where it comes from.

Nothing here was measured by this project. A figure's source is a document, a published measurement or an upstream
log line, named so it can be looked up; what has none says "assumption". `(check)` marks a source that could not be
confirmed from a primary document. The estimate runs three times: every figure at its fast end, at its typical value,
and at its slow end (a rate's fast end is its high value); docs/time-to-endpoint.md lists them all.
"""

from dataclasses import dataclass
from typing import Literal

Case = Literal["fast", "typical", "slow"]
CASES: tuple[Case, ...] = ("fast", "typical", "slow")
ASSUMPTION = "assumption"


@dataclass(frozen=True)
class Figure:
    """A typical value and its range; `rate`: a bigger value is faster (MB/s), else it is a duration (minutes)."""

    typical: float
    source: str
    low: float | None = None
    high: float | None = None
    rate: bool = False

    @property
    def value(self) -> float:
        return self.typical

    @property
    def sourced(self) -> bool:
        return not self.source.startswith(ASSUMPTION)

    def at(self, case: Case) -> float:
        """The value for one case; a figure without a range (`low`/`high` None) has none to give."""
        if case == "typical":
            return self.typical
        if self.low is None or self.high is None:
            raise ValueError(f"figure without a range: {self.source}")
        small = case == "fast" if not self.rate else case == "slow"
        return self.low if small else self.high


def exact(value: float, why: str) -> Figure:
    """A figure that is what it is (nothing is created, one API call): its range is the value itself."""
    return Figure(value, why, value, value)


EKS_CONTROL_PLANE = Figure(
    16.2,
    "EKS control plane measured across 21 Regions: 13:13 (eu-west-2) to 16:11 (us-west-1) for the 17 fastest, "
    "median ~15:14; us-east-1, the stacks' Region, is among the 4 slower ones at 16:11 or more (easontechtalk.com "
    "'Unofficial EKS Cluster Creation Performance'); 'averages 15 minutes' (aws/containers-roadmap#1227). Low: "
    "AWS's 2021 announcement 'in 9 minutes or less, on average' (quoted in aws-samples/eks-workshop#1101); high: "
    "assumption (the slowest Regions' figures were not seen) (check)",
    low=9.0,
    high=20.0,
)
CSI_ADDON = Figure(
    3.0,
    "assumption for the typical value (the add-on's controller and node pods start on nodes that already exist); "
    "high: coredns and the EBS CSI add-on 'always take 15 minutes' to become ACTIVE on a new cluster, the "
    "maintainers calling it 'the nature of what is typically experienced' (aws-ia/terraform-aws-eks-blueprints#642)",
    low=1.0,
    high=15.0,
)
"""The CSI drivers (EBS, FSx): a Deployment plus a DaemonSet, health-checked by EKS before ACTIVE."""

MINUTES: dict[str, Figure] = {
    "component": exact(0.0, "a ComponentResource creates nothing"),
    "provider": exact(0.0, "a provider is configured, not created"),
    "aws-quick": Figure(
        0.2,
        "assumption: VPC, subnets, route tables, security groups, IAM, launch templates are API calls of seconds",
        low=0.1,
        high=1.0,
    ),
    "nat-gateway": Figure(2.5, "assumption: pending -> available in a few minutes", low=1.0, high=5.0),
    "eks-cluster": EKS_CONTROL_PLANE,
    "eks-addon": Figure(
        1.5,
        "assumption for the typical value; vpc-cni and kube-proxy report ACTIVE 'soon as the pods passed readiness "
        "check' (aws-ia/terraform-aws-eks-blueprints#642)",
        low=0.5,
        high=5.0,
    ),
    "csi-addon": CSI_ADDON,
    "cpu-node-group": Figure(
        4.0, "assumption: managed node group of CPU instances: launch, boot, join", low=2.5, high=8.0
    ),
    "gpu-node-group": Figure(
        8.0,
        "assumption: managed node group of P5-class instances: launch, boot, health checks, join; longer than CPU",
        low=5.0,
        high=15.0,
    ),
    "fsx-lustre": Figure(
        12.0,
        "FSx for Lustre creation 'will take ~10 mins' (aws-samples/aws-hpc-tutorials#289); assumption for the "
        "typical value and high (larger PERSISTENT_2 file systems)",
        low=10.0,
        high=20.0,
    ),
    "efs": Figure(0.5, "assumption: an EFS file system is available within a minute", low=0.2, high=2.0),
    "efs-mount-target": Figure(
        1.5, "assumption: an EFS mount target becomes available in about a minute", low=1.0, high=3.0
    ),
    "s3-link": Figure(
        3.0,
        "assumption: a data repository association importing an empty prefix; Terraform's 10-minute default "
        "timeout was raised to 30 for slow ones (aws-samples/amazon-eks-machine-learning-with-terraform-and-"
        "kubeflow#112)",
        low=1.0,
        high=10.0,
    ),
    "helm-release": Figure(
        1.5, "assumption: a chart whose pods pull small images onto existing nodes", low=0.5, high=5.0
    ),
    "monitoring-stack": Figure(
        3.0,
        "assumption: kube-prometheus-stack: its CRDs, the admission webhook's certificate Jobs, the operator, then"
        " Prometheus with a new gp3 volume, Alertmanager and Grafana",
        low=1.5,
        high=8.0,
    ),
    "kubernetes-object": exact(0.05, "one API call (ConfigMap, Secret, Service, claim, policy)"),
    "job-start": Figure(1.0, "assumption: a Job's pod: scheduling and a small image pull", low=0.3, high=3.0),
    "fabric-check": Figure(4.0, "assumption: nccl-tests image pull (~6 GB) and an all-reduce", low=2.0, high=8.0),
    "kv-check": Figure(
        3.0,
        "assumption: the serving image pull (~20 GB, alongside the pre-pull DaemonSet's) and a 256 MiB NIXL transfer",
        low=1.0,
        high=10.0,
    ),
    "smoke-test": Figure(1.0, "assumption: three requests and a streamed completion", low=0.5, high=2.0),
    "other": Figure(0.2, "assumption: an unmodelled resource is an API call", low=0.05, high=1.0),
}
"""Minutes per kind of resource (see `model.kind`)."""

HUB_MBPS = Figure(
    1000.0,
    "the Hub with parallel connections: hf_transfer 'caps a 10Gbit connection' (oobabooga/textgen#6143) and is for "
    "going 'beyond ~500MB/s' (huggingface/hf_transfer README), so ~1,000 MB/s is measured, not a Hub limit; low: "
    "one Python stream, ~100 MB/s on a 10 Gbit link (oobabooga/textgen#6143); high: assumption (no published Hub "
    "limit; the node and the cache cap it first). The Hub documents no per-connection rate limit (check)",
    low=100.0,
    high=3000.0,
    rate=True,
)
DOWNLOADER_MBPS = Figure(
    2300.0,
    "what the downloader's process moves: ~3.7 CPU-s per GiB for the whole path (transfer, CRC, write, "
    "read-back, hash) measured on loopback on a shared 2-core machine, over the container's 8-CPU limit: ~2.3 GB/s "
    "(docs/weights.md, check on the download node); low and high: assumption (a slower or faster core)",
    low=1200.0,
    high=3500.0,
    rate=True,
)
SINGLE_FLOW_MBPS = 625.0
"""5 Gbps: one TCP flow leaving the VPC (AWS EC2 User Guide, 'Amazon EC2 instance network bandwidth', single-flow)."""
SHA256_MBPS = Figure(
    1500.0, "assumption: sha256 on one x86 core with SHA extensions", low=800.0, high=2000.0, rate=True
)
HASH_WORKERS = 8
"""in_pod/fetch_weights.py verifies with 8 workers."""
LARGEST_SHARD_BYTES = 5.4e9
"""DeepSeek-R1's largest safetensors shard (~5.4 GB, Hub file list) (check): the last hash after the last byte."""
IMAGE_PULL_MINUTES = Figure(
    7.0,
    "assumption: the ~20 GB Dynamo runtime image pulled and unpacked on a node (specs/graph_spec.py)",
    low=4.0,
    high=12.0,
)
ENGINE_START_MINUTES = Figure(
    4.0,
    "engine start after the weights with every JIT cache warm: CUDA-graph capture 'can take up to several minutes' "
    "(SGLang's log line, sgl-project/sglang#6017); the main model's capture took 12 s in sgl-project/sglang#10088 "
    "(low); the typical value is an assumption",
    low=1.0,
    high=10.0,
)
COMPILE_MINUTES: dict[str, Figure] = {
    "sglang": Figure(
        15.0,
        "DeepGEMM JIT pre-compile: 'may take a long time (typically 10-20 mins)' (SGLang's log line, "
        "sgl-project/sglang#5580, #15891); up to '30min' without fast warm-up (SGLANG_JIT_DEEPGEMM_FAST_WARMUP, "
        "sgl-project/sglang docs/references/environment_variables.md)",
        low=10.0,
        high=30.0,
    ),
    "vllm": Figure(
        8.0,
        "assumption for DeepSeek-R1: torch.compile of an 8B model took 19 s and CUDA-graph capture 'up to a minute' "
        "(vllm-project/vllm#11005, #29275); FlashInfer and DeepGEMM JIT kernels for the MoE come on top",
        low=2.0,
        high=20.0,
    ),
    "trtllm": Figure(
        8.0,
        "assumption: TRT-LLM's PyTorch backend autotunes and JIT-compiles its kernels at the first start",
        low=2.0,
        high=20.0,
    ),
}
"""A worker's first start on a GPU type and engine version: the JIT kernels compiled and written to the cache. Later
starts (a restart, a scale-up, a rollout that keeps the engine) find them on the shared cache (specs/compile_cache.py)
and skip this."""
EFS_WRITE_MBPS = Figure(
    500.0, "assumption: EFS elastic throughput per client for writes", low=200.0, high=1000.0, rate=True
)
LOCAL_ZONE_READ_MBPS_PER_NODE = Figure(
    625.0,
    "a GPU node in a Local Zone reads the Region's cache across the Local Zone's link; EC2 limits a single flow to"
    ' 5 Gbps (625 MB/s) outside a cluster placement group (EC2 "Amazon EC2 instance network bandwidth"), and a'
    " Lustre client's bulk reads from one file server ride one TCP connection; AWS publishes no figure for the link"
    ' itself ("high-bandwidth", EC2 "Regions, Availability Zones and Local Zones"): a floor per node (check); high:'
    " assumption (reads spread over several file servers, several flows)",
    low=625.0,
    high=1250.0,
    rate=True,
)
VERIFY_WHILE_DOWNLOADING = True
"""The downloader's behaviour the estimate assumes: True, each file's hash is checked as the file completes,
overlapping the rest of the download (issue 11's in_pod/fetch_weights.py); False, a second full pass re-reads every
byte after the download (the downloader before issue 11)."""

CAPACITY_RISK = (
    "not in the range: on-demand p5/p5en capacity can be refused (InsufficientInstanceCapacity), and a managed node "
    "group then retries until its create timeout; a reservation or Capacity Block removes the risk (check)"
)


def all_figures() -> dict[str, Figure]:
    """Every figure by name, for the docs page and the test that each carries a range and a source."""
    named = {f"minutes.{k}": v for k, v in MINUTES.items()}
    named |= {f"compile.{k}": v for k, v in COMPILE_MINUTES.items()}
    for name in (
        "HUB_MBPS",
        "DOWNLOADER_MBPS",
        "SHA256_MBPS",
        "IMAGE_PULL_MINUTES",
        "ENGINE_START_MINUTES",
        "EFS_WRITE_MBPS",
        "LOCAL_ZONE_READ_MBPS_PER_NODE",
    ):
        named[name] = globals()[name]
    return named
