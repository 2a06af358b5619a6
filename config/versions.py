"""Every version the stacks pin, in one place: charts, images, node AMIs, add-ons and the downloader.

Python packages are pinned in requirements.txt; nothing here may be `latest` or a placeholder.
"""

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Chart:
    """A Helm chart pinned to one release."""

    name: str
    repo: str
    version: str


DYNAMO_PLATFORM = Chart("dynamo-platform", "https://helm.ngc.nvidia.com/nvidia/ai-dynamo", "1.3.0")
"""The platform release the upstream recipes pin (its CRD is in shared/reference)."""

DYNAMO_RUNTIME_IMAGES: Final = {
    "sglang": "nvcr.io/nvidia/ai-dynamo/sglang-runtime",
    "vllm": "nvcr.io/nvidia/ai-dynamo/vllm-runtime",
    "trtllm": "nvcr.io/nvidia/ai-dynamo/tensorrtllm-runtime",
}
DYNAMO_RUNTIME_TAG: Final = "1.3.0"

EKS_KUBERNETES_VERSION: Final = "1.35"
"""In EKS standard support until 2027-03-27 (released 2026-01-28; EKS "Kubernetes version lifecycle", endoflife.date/
amazon-eks): 1.33 left standard support on 2026-07-29 and 1.34 leaves it on 2026-12-02, after which a cluster pays
for extended support. DRA (GB200's ComputeDomains) is GA since 1.34. Every EKS stack uses the same version."""
EKS_STANDARD_SUPPORT_END: Final = {"1.33": "2026-07-29", "1.34": "2026-12-02", "1.35": "2027-03-27"}
"""End of EKS standard support per minor version (EKS release calendar); offline/checks refuses a version past it."""
EKS_NODE_RELEASE_VERSION: Final = "1.35.3-20260415"
"""The EKS-optimized AL2023 AMI release of the GPU node groups, pinned so a new AMI is a reviewed change: seen as a
managed node group releaseVersion of EKS 1.35 in public configs (AL2023_x86_64_STANDARD); amazon-eks-ami publishes
every variant, NVIDIA x86_64 and arm64 (GB200) included, under one release date (check: the NVIDIA variants)."""
EKS_KUBERNETES_VERSIONS: Final = ("1.31", "1.32", "1.33", "1.34", "1.35")
"""Versions EKS offers (standard or extended support), from the EKS version lifecycle page as of 2026-02
(docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html; 1.36 may exist since: check)."""

# (check) the three chart versions below were read from public configs and docs, not from the charts' repos.
NVIDIA_DEVICE_PLUGIN = Chart("nvidia-device-plugin", "https://nvidia.github.io/k8s-device-plugin", "0.17.1")
NVIDIA_DRA_DRIVER = Chart("nvidia-dra-driver-gpu", "https://helm.ngc.nvidia.com/nvidia", "25.8.0")
"""ComputeDomains (IMEX) for GB200: the release the EKS GB200 guide pins."""
EFA_DEVICE_PLUGIN = Chart("aws-efa-k8s-device-plugin", "https://aws.github.io/eks-charts", "v0.5.20")

FSX_CSI_ADDON_VERSION: Final = "v1.7.0-eksbuild.1"  # (check) cited by the EKS user guide; 1.33 support came late
EFS_CSI_ADDON_VERSION: Final = "v2.1.10-eksbuild.1"
"""(check) The driver release 2.1.10 is public; the add-on build suffix was not verified offline."""
# (check) the three add-on builds below were read from a public 2026 config pinning them beside kube-proxy
# v1.36.0-eksbuild.7; compatibility with 1.35 is what `aws eks describe-addon-versions --kubernetes-version 1.35` shows.
VPC_CNI_ADDON_VERSION: Final = "v1.21.2-eksbuild.2"
"""Amazon VPC CNI with its network policy agent (NetworkPolicies are enforced only with enableNetworkPolicy)."""
POD_IDENTITY_AGENT_ADDON_VERSION: Final = "v1.3.10-eksbuild.3"
"""EKS Pod Identity Agent: the FSx and EBS CSI add-ons authenticate through it."""
EBS_CSI_ADDON_VERSION: Final = "v1.62.0-eksbuild.1"
"""Amazon EBS CSI driver: provisions the dynamo-platform's NATS (and etcd) volumes."""

# (check) the digest was read from public Dockerfiles pinning python:3.12-slim-bookworm, not from the registry.
DOWNLOADER_IMAGE: Final = (
    "python:3.12-slim-bookworm@sha256:782412e85d0f0984994c290652577d4018aff08145c85b262bb63dc0c7522254"
)
"""Pinned by digest: the download Job runs it with the Hugging Face token mounted."""
HUGGINGFACE_HUB_VERSION: Final = "1.16.4"
"""The huggingface_hub release the upstream download Jobs use."""

# (check) confirm an arm64 build exists before the gb200 stack's fabric check relies on it.
NCCL_TESTS_IMAGE: Final = (
    "public.ecr.aws/hpc-cloud/nccl-tests:cuda12.8.1-efa1.43.2-ofiv1.16.3-ncclv2.27.7-1-testsv2.16.9"
)
"""AWS's public nccl-tests image (aws-samples/awsome-distributed-training): CUDA 12.8.1, EFA installer 1.43.2
(libfabric, Open MPI), aws-ofi-nccl 1.16.3, NCCL 2.27.7, nccl-tests 2.16.9, openssh; the tag names every version.
CUDA 12.8 needs an R570+ driver, which the pinned EKS NVIDIA AMI release carries."""
SMOKE_IMAGE: Final = DOWNLOADER_IMAGE
"""The smoke-test Job runs the standard-library client (in_pod/smoke_client.py) with plain Python."""
BENCHMARK_IMAGE: Final = DOWNLOADER_IMAGE
"""The benchmark Job installs aiperf into this image at start, as the upstream perf.yaml does."""
AIPERF_VERSION: Final = "0.10.0"
"""The aiperf release the upstream perf.yaml pins for DeepSeek-R1 on Dynamo 1.3.0."""
