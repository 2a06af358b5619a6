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

EKS_KUBERNETES_VERSION: Final = "1.33"
"""1.33 is the oldest EKS version with the DRA that GB200 needs; every EKS stack uses the same one."""
EKS_NODE_RELEASE_VERSION: Final = "1.33.5-20251120"
"""The EKS-optimized AL2023 NVIDIA AMI release for the GPU node groups: pinned so a new AMI is a reviewed change."""

NVIDIA_DEVICE_PLUGIN = Chart("nvidia-device-plugin", "https://nvidia.github.io/k8s-device-plugin", "0.17.1")
NVIDIA_DRA_DRIVER = Chart("nvidia-dra-driver-gpu", "https://helm.ngc.nvidia.com/nvidia", "25.8.0")
"""ComputeDomains (IMEX) for GB200: the release the EKS GB200 guide pins."""
EFA_DEVICE_PLUGIN = Chart("aws-efa-k8s-device-plugin", "https://aws.github.io/eks-charts", "v0.5.20")

FSX_CSI_ADDON_VERSION: Final = "v1.7.0-eksbuild.1"
POD_IDENTITY_ADDON_VERSION: Final = "v1.3.8-eksbuild.2"

DOWNLOADER_IMAGE: Final = "python:3.12.12-slim-bookworm"
HUGGINGFACE_HUB_VERSION: Final = "1.16.4"
"""The huggingface_hub release the upstream download Jobs use."""

SMOKE_IMAGE: Final = DOWNLOADER_IMAGE
"""The smoke-test Job runs the standard-library client (components/smoke_client.py) with plain Python."""
BENCHMARK_IMAGE: Final = DOWNLOADER_IMAGE
"""The benchmark Job installs aiperf into this image at start, as the upstream perf.yaml does."""
AIPERF_VERSION: Final = "0.10.0"
"""The aiperf release the upstream perf.yaml pins for DeepSeek-R1 on Dynamo 1.3.0."""
