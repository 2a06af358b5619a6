"""Every version the stacks pin, in one place: charts, images, node AMIs, add-ons and the downloader.

Python packages are pinned in requirements.txt; nothing here may be `latest` or a placeholder.
"""

from typing import Final

DYNAMO_PLATFORM_CHART: Final = "dynamo-platform"
DYNAMO_PLATFORM_REPO: Final = "https://helm.ngc.nvidia.com/nvidia/ai-dynamo"
DYNAMO_PLATFORM_VERSION: Final = "1.3.0"
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

NVIDIA_DEVICE_PLUGIN_CHART: Final = "nvidia-device-plugin"
NVIDIA_DEVICE_PLUGIN_REPO: Final = "https://nvidia.github.io/k8s-device-plugin"
NVIDIA_DEVICE_PLUGIN_VERSION: Final = "0.17.1"

EFA_DEVICE_PLUGIN_CHART: Final = "aws-efa-k8s-device-plugin"
EFA_DEVICE_PLUGIN_REPO: Final = "https://aws.github.io/eks-charts"
EFA_DEVICE_PLUGIN_VERSION: Final = "v0.5.20"

FSX_CSI_ADDON_VERSION: Final = "v1.7.0-eksbuild.1"
POD_IDENTITY_ADDON_VERSION: Final = "v1.3.8-eksbuild.2"

DOWNLOADER_IMAGE: Final = "python:3.12.12-slim-bookworm"
HUGGINGFACE_HUB_VERSION: Final = "1.16.4"
"""The huggingface_hub release the upstream download Jobs use."""
