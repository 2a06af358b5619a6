"""Every duration and rate the estimate uses, each with where it comes from.

Nothing here was measured by this project: the figures come from AWS documentation and reports of typical deploys.
`(check)` marks what could not be confirmed from a primary source; replace it with a measurement when you have one.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    value: float
    source: str


MINUTES: dict[str, Figure] = {
    "component": Figure(0.0, "a ComponentResource creates nothing"),
    "provider": Figure(0.0, "a provider is configured, not created"),
    "aws-quick": Figure(
        0.2, "VPC, subnets, route tables, security groups, IAM, launch templates: API calls, seconds (check)"
    ),
    "nat-gateway": Figure(2.5, "a NAT gateway is usable after a few minutes (pending -> available) (check)"),
    "eks-cluster": Figure(
        10.0,
        "EKS control plane; aws/containers-roadmap#1227 reported a 15-minute average in 2021, since reduced (check)",
    ),
    "eks-addon": Figure(1.5, "an EKS add-on becomes ACTIVE once its pods run on the system nodes (check)"),
    "cpu-node-group": Figure(4.0, "managed node group of CPU instances: launch, boot, join (check)"),
    "gpu-node-group": Figure(
        8.0, "managed node group of P5-class instances: launch, boot, health checks, join; longer than CPU (check)"
    ),
    "fsx-lustre": Figure(12.0, "FSx for Lustre PERSISTENT_2 creation, 10-20 min (components/model_cache.py) (check)"),
    "efs": Figure(0.5, "an EFS file system is available within a minute (check)"),
    "efs-mount-target": Figure(1.5, "an EFS mount target becomes available in about a minute (check)"),
    "s3-link": Figure(3.0, "a data repository association with metadata import of an empty prefix (check)"),
    "helm-release": Figure(1.5, "a chart whose pods pull small images and start on existing nodes (check)"),
    "kubernetes-object": Figure(0.05, "one API call (ConfigMap, Secret, Service, claim, policy)"),
    "job-start": Figure(1.0, "a Job's pod: scheduling and a small image pull (check)"),
    "fabric-check": Figure(4.0, "nccl-tests image pull (~6 GB) and an all-reduce across the pool (check)"),
    "smoke-test": Figure(1.0, "three requests and a streamed completion against a warm engine (check)"),
    "other": Figure(0.2, "an unmodelled resource: an API call (check)"),
}
"""Minutes per kind of resource (see `model.kind`)."""

HUB_MBPS = Figure(
    200.0, "Hugging Face Hub download rate of one pod with parallel files, ~200 MB/s (issue 15's assumption) (check)"
)
SHA256_MBPS = Figure(1500.0, "sha256 on one modern x86 core with SHA extensions, ~1.5 GB/s; 8 hashing workers (check)")
HASH_WORKERS = 8
"""in_pod/fetch_weights.py verifies with 8 workers."""
LARGEST_SHARD_BYTES = Figure(5.4e9, "DeepSeek-R1's safetensors shards are ~4-5.4 GB each (Hub file list) (check)")
IMAGE_PULL_MINUTES = Figure(
    7.0, "the ~20 GB Dynamo runtime image pulled and unpacked on a node, ~5-10 min (specs/graph_spec.py) (check)"
)
WARMUP_MINUTES = Figure(
    8.0, "engine start after the weights: CUDA-graph capture and warm-up, ~5-15 min (specs/graph_spec.py) (check)"
)
LOCAL_ZONE_READ_MBPS_PER_NODE = Figure(
    625.0,
    "a GPU node in a Local Zone reads the Region's cache across the Local Zone's link; EC2 limits a single flow to"
    ' 5 Gbps (625 MB/s) outside a cluster placement group (EC2 "Amazon EC2 instance network bandwidth"), and a'
    " Lustre client's bulk reads from one file server ride one TCP connection; AWS publishes no figure for the link"
    ' itself ("high-bandwidth", EC2 "Regions, Availability Zones and Local Zones"): a floor per node (check)',
)
EFS_WRITE_MBPS = Figure(500.0, "EFS elastic throughput per client for writes, lower than reads (check)")
VERIFY_WHILE_DOWNLOADING = True
"""The downloader's behaviour the estimate assumes: True, each file's hash is checked as the file completes,
overlapping the rest of the download (issue 11's in_pod/fetch_weights.py); False, a second full pass re-reads every
byte after the download (the downloader before issue 11)."""
