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


DYNAMO_CHART_REPO: Final = "https://helm.ngc.nvidia.com/nvidia/ai-dynamo"
DYNAMO_RUNTIME_IMAGES: Final = {
    "sglang": "nvcr.io/nvidia/ai-dynamo/sglang-runtime",
    "vllm": "nvcr.io/nvidia/ai-dynamo/vllm-runtime",
    "trtllm": "nvcr.io/nvidia/ai-dynamo/tensorrtllm-runtime",
}
EFA_TAG_SUFFIX: Final = "-efa"
"""Since 1.3.0 the EFA runtime images are `<backend>-runtime:<version>-efa`, multi-arch (AMD64/ARM64), retagged from
`-efa-amd64` (docs.nvidia.com/dynamo/v1.3.0/resources/release-artifacts); they carry the AWS EFA installer's
libfabric and aws-ofi-nccl that NIXL's LIBFABRIC backend needs (v1.3.1 release notes: EFA installer 1.49.0)."""


@dataclass(frozen=True)
class DynamoRelease:
    """One Dynamo release: everything that must move together (chart, operator, CRD, images, twin, aiperf).

    Upstream: workers, frontend and operator move together, one minor release at a time
    (docs.nvidia.com/dynamo/v1.6.1/reference/releases/deprecations, "Supported upgrade path")."""

    version: str
    """The release: the platform chart's version, the operator's, and every runtime image's tag."""
    pypi: str
    """The ai-dynamo wheel of the release on PyPI (the local twin runs it; 1.3.0 shipped as 1.3.0.post1)."""
    engines: dict[str, str]
    """Engine versions in the runtime images (release notes "Backend Dependencies"; the wheel's extras pin them)."""
    efa_images: frozenset[str]
    """Backends whose `<version>-efa` image exists; the others fall back to the plain image on EFA (said so)."""
    grove: str | None
    """Grove subchart the platform chart bundles (its Chart.yaml), installed for multi-node workers; None: the
    chart's own, not read here (the values never set it: Grove moves with the chart)."""
    kai_scheduler: str | None
    """KAI scheduler subchart the platform chart bundles, installed with Grove (None: as for grove)."""
    kai_staleness_grace: str | None
    """kai-scheduler.scheduler.args.default-staleness-grace-period the chart requires when Grove and KAI are both
    bundled (1.5.0 upgrade notes in the chart README: the chart refuses otherwise); None before 1.5."""
    nats: bool
    """global.nats.install: NATS is needed by 1.3's event plane (chart values.yaml 1.3.0: "defaults to true since 1.1.0
    because DYN_EVENT_PLANE defaults to NATS"); from 1.4 the default planes are TCP and ZMQ and NATS is optional
    (chart values.yaml 1.6: install false)."""
    aiperf: str
    """The aiperf release the release documents (its perf recipes / Frontend image)."""
    crd: str
    """The DynamoGraphDeployment CRD the offline tests validate graphs against (under the shared reference)."""
    notes: str
    """Release notes."""

    @property
    def minor(self) -> tuple[int, int]:
        major, minor, *_ = self.version.split(".")
        return int(major), int(minor)


DYNAMO_RELEASES: Final = {
    "1.3.0": DynamoRelease(
        version="1.3.0",
        pypi="1.3.0.post1",
        # docs.nvidia.com/dynamo/v1.3.0/resources/release-artifacts: vLLM v0.23.0, SGLang v0.5.14, TRT-LLM v1.3.0rc19,
        # each with a `1.3.0-efa` image (Experimental, AMD64/ARM64).
        engines={"sglang": "0.5.14", "vllm": "0.23.0", "trtllm": "1.3.0rc19"},
        efa_images=frozenset({"sglang", "vllm", "trtllm"}),
        grove="v0.1.0-alpha.11",  # platform Chart.yaml 1.3.0 (shared reference dynamo/deploy/helm/charts/platform)
        kai_scheduler="v0.13.4",
        kai_staleness_grace=None,
        nats=True,
        aiperf="0.10.0",  # the upstream DeepSeek-R1 perf.yaml at 1.3.0
        crd="dynamo/deploy/operator/config/crd/bases/nvidia.com_dynamographdeployments.yaml",
        notes="https://github.com/ai-dynamo/dynamo/releases/tag/v1.3.0",
    ),
    "1.4.2": DynamoRelease(
        version="1.4.2",
        pypi="1.4.2",
        # An upgrade stop (1.3 -> 1.4 -> 1.5 -> 1.6). ai-dynamo 1.4.2 METADATA: sglang==0.5.16, tensorrt-llm==1.3.0rc22,
        # vllm==0.26.0; v1.4.2 notes move the EFA images to EFA installer 1.50.
        engines={"sglang": "0.5.16", "vllm": "0.26.0", "trtllm": "1.3.0rc22"},
        efa_images=frozenset({"sglang", "vllm", "trtllm"}),
        grove=None,
        kai_scheduler=None,
        kai_staleness_grace=None,
        nats=False,  # 1.4.0 notes (platform chart README): global.nats.install defaults to false
        aiperf="0.11.0",  # (check) not read from a 1.4 page
        crd="dynamo/deploy/operator/config/crd/bases/nvidia.com_dynamographdeployments.yaml",
        notes="https://github.com/ai-dynamo/dynamo/releases/tag/v1.4.2",
    ),
    "1.5.1": DynamoRelease(
        version="1.5.1",
        pypi="1.5.1",
        # An upgrade stop. ai-dynamo 1.5.1 METADATA: sglang==0.5.18, tensorrt-llm==1.3.0rc25, vllm==0.28.0,
        # aisimulate==0.12.0. Chart README, v1.5.0 notes: bundled Grove v0.1.0-alpha.13, KAI v0.17.0, and the
        # staleness setting with both bundled.
        engines={"sglang": "0.5.18", "vllm": "0.28.0", "trtllm": "1.3.0rc25"},
        efa_images=frozenset({"sglang", "vllm", "trtllm"}),  # (check) as for 1.6.1
        grove="v0.1.0-alpha.13",
        kai_scheduler="v0.17.0",
        kai_staleness_grace="-1s",
        nats=False,
        aiperf="0.12.0",  # (check) aisimulate 0.12.0 is its pin; aiperf's release train is assumed the same
        crd="dynamo/deploy/operator/config/crd/bases/nvidia.com_dynamographdeployments.yaml",
        notes="https://github.com/ai-dynamo/dynamo/releases/tag/v1.5.1",
    ),
    "1.6.1": DynamoRelease(
        version="1.6.1",
        pypi="1.6.1",
        # `pip download --no-deps ai-dynamo==1.6.1` METADATA: sglang==0.5.21, vllm==0.31.0, tensorrt-llm==1.3.0rc29
        # (docs.nvidia.com/dynamo/v1.6.0/reference/release-artifacts lists the same engines in its runtime images).
        engines={"sglang": "0.5.21", "vllm": "0.31.0", "trtllm": "1.3.0rc29"},
        # (check) the 1.6.x artifact pages read list no tags; `-efa` images ship for all three backends since 1.3.0
        # (v1.3.1 and v1.4.2 notes update their EFA installer). `docker manifest inspect` the tag before `up`.
        efa_images=frozenset({"sglang", "vllm", "trtllm"}),
        # Platform Chart.yaml 1.6.0 (shared reference dynamo-1.6, PROVENANCE.md): grove-charts v0.1.0-alpha.14
        # (needed for DYNAMO_RANK / DYNAMO_LEADER_ADDRESS), kai-scheduler v0.17.0, nats 1.3.2.
        grove="v0.1.0-alpha.14",
        kai_scheduler="v0.17.0",
        kai_staleness_grace="-1s",
        nats=False,
        # v1.6.1 release notes: the Frontend and Planner images carry AIPerf v0.13.0; ai-dynamo 1.6.1 requires
        # aisimulate==0.13.0 (its METADATA).
        aiperf="0.13.0",
        crd="dynamo/deploy/operator/config/crd/bases/nvidia.com_dynamographdeployments.yaml",
        notes="https://github.com/ai-dynamo/dynamo/releases/tag/v1.6.1",
    ),
}
"""Releases a stack may pin: the default, 1.3.0 for stacks deployed on it (the known-issues check says which it may
not serve), and the newest patch of each minor between them, the stops of a one-minor-at-a-time upgrade."""
DYNAMO_RELEASE: Final = "1.6.1"
"""The default: the newest ai-dynamo on PyPI (`pip index versions ai-dynamo`, 2026-12-02) whose known issues hit no
stack here. The docs list 1.6.2 and 1.7.0, which are not on PyPI yet."""
LATEST_PATCH: Final = {"1.3": "1.3.1", "1.4": "1.4.2", "1.5": "1.5.1", "1.6": "1.6.1"}
"""Newest patch of each minor on PyPI (`pip index versions ai-dynamo`): the stops of a one-minor-at-a-time upgrade."""
DYNAMO_RUNTIME_TAG: Final = DYNAMO_RELEASE
DYNAMO_PLATFORM = Chart("dynamo-platform", DYNAMO_CHART_REPO, DYNAMO_RELEASE)
"""The platform chart of the default release; a stack's own comes from `dynamo.version`."""
AI_DYNAMO_PACKAGE_VERSION: Final = DYNAMO_RELEASES[DYNAMO_RELEASE].pypi
"""The ai-dynamo wheel of the default release on PyPI (the local twin; requirements-local.txt's root)."""

EKS_KUBERNETES_VERSION: Final = "1.35"
"""In EKS standard support until 2027-03-27 (released 2026-01-28; EKS "Kubernetes version lifecycle", endoflife.date/
amazon-eks): 1.33 left standard support on 2026-07-29 and 1.34 leaves it on 2026-12-02, after which a cluster pays
for extended support. DRA (GB200's ComputeDomains) is GA since 1.34. Every EKS stack uses the same version."""
EKS_STANDARD_SUPPORT_END: Final = {
    "1.30": "2025-07-23",
    "1.31": "2025-11-26",
    "1.32": "2026-03-23",
    "1.33": "2026-07-29",
    "1.34": "2026-12-02",
    "1.35": "2027-03-27",
    "1.36": "2027-08-02",
}
"""End of EKS standard support per minor version (14 months after release; then extended support at $0.60/h): EKS
release calendar, endoflife.date/amazon-eks. offline/checks refuses a version past it; the cost summary prices the
control plane by it."""
EKS_NODE_RELEASE_VERSION: Final = "1.35.3-20260415"
"""The EKS-optimized AL2023 AMI release of the GPU node groups, pinned so a new AMI is a reviewed change.
awslabs/amazon-eks-ami CHANGELOG.md "AMI Release v20260415" (tag v20260415, commit eb1cb9dd): release version
1.35.3-20260415 for amazon-eks-node-al2023-x86_64-nvidia-1.35 and -arm64-nvidia-1.35 (GB200), driver 580.126.09."""
EKS_KUBERNETES_VERSIONS: Final = ("1.32", "1.33", "1.34", "1.35", "1.36")
"""Versions EKS offers (standard or extended support), per the EKS version lifecycle page as mirrored by endoflife.date
amazon-eks: 1.36 released 2026-06-02 (standard support to 2027-08-02); 1.31's extended support ended 2026-11-26.
1.37 AMIs exist (amazon-eks-ami v20261023) but no EKS launch was found: (check) before adding it."""

# NVIDIA/k8s-device-plugin gh-pages index.yaml lists nvidia-device-plugin 0.17.1 (tag v0.17.1, 2025-03-12).
NVIDIA_DEVICE_PLUGIN = Chart("nvidia-device-plugin", "https://nvidia.github.io/k8s-device-plugin", "0.17.1")
NVIDIA_DRA_DRIVER = Chart("nvidia-dra-driver-gpu", "https://helm.ngc.nvidia.com/nvidia", "25.8.0")
"""ComputeDomains (IMEX) for GB200. NVIDIA/k8s-dra-driver-gpu tag v25.8.0: deployments/helm/nvidia-dra-driver-gpu/
Chart.yaml version 25.8.0, kubeVersion >=1.32 (that the EKS GB200 guide pins this release was not found)."""
# aws/eks-charts gh-pages index.yaml: chart v0.5.20 (appVersion v0.5.13, 2025-12-24; lists p5en and p6e-gb200).
EFA_DEVICE_PLUGIN = Chart("aws-efa-k8s-device-plugin", "https://aws.github.io/eks-charts", "v0.5.20")

FSX_CSI_ADDON_VERSION: Final = "v1.9.0-eksbuild.1"
"""Driver v1.9.0 (kubernetes-sigs/aws-fsx-csi-driver tag v1.9.0, 2026-04-20; docs/README.md: Kubernetes 1.20+); the
build suffix is the one a public EKS 1.35 Terraform config pins (v1.7.0-eksbuild.1, pinned before, was found nowhere
for FSx). Add-on builds cannot be listed offline: `aws eks describe-addon-versions --kubernetes-version 1.35`."""
EFS_CSI_ADDON_VERSION: Final = "v3.2.0-eksbuild.1"
"""Driver v3.2.0 (kubernetes-sigs/aws-efs-csi-driver tag v3.2.0, CHANGELOG-3.x.md); the build a public EKS 1.35 config
pins beside eks-pod-identity-agent v1.3.10-eksbuild.3 (v2.1.10-eksbuild.1 was seen only on 1.33 clusters)."""
# The three builds below appear in public EKS configs: vpc-cni v1.21.2-eksbuild.2 on 1.34 and 1.36 clusters (upstream
# tag v1.21.2), eks-pod-identity-agent v1.3.10-eksbuild.3 on 1.35 clusters, aws-ebs-csi-driver v1.62.0-eksbuild.1
# ACTIVE on a 1.35 cluster (upstream tag v1.62.0). The vpc-cni build was not seen on 1.35 itself, but the EKS user
# guide's "Amazon VPC CNI versions" table gives one and the same build for every supported Kubernetes version.
VPC_CNI_ADDON_VERSION: Final = "v1.21.2-eksbuild.2"
"""Amazon VPC CNI with its network policy agent (NetworkPolicies are enforced only with enableNetworkPolicy)."""
POD_IDENTITY_AGENT_ADDON_VERSION: Final = "v1.3.10-eksbuild.3"
"""EKS Pod Identity Agent: the FSx and EBS CSI add-ons authenticate through it."""
EBS_CSI_ADDON_VERSION: Final = "v1.62.0-eksbuild.1"
"""Amazon EBS CSI driver: provisions the dynamo-platform's NATS (and etcd) volumes."""

# The index digest of python:3.12-slim-bookworm (3.12.14), as public projects report having read it from Docker Hub
# (one "resolved directly from Docker Hub's authenticated registry API on 2026-09-14", another by `docker pull` and
# `docker image inspect` on 2026-09-17) and many Dockerfiles pin it; the registry itself is unreachable offline.
DOWNLOADER_IMAGE: Final = (
    "python:3.12-slim-bookworm@sha256:782412e85d0f0984994c290652577d4018aff08145c85b262bb63dc0c7522254"
)
"""Pinned by digest: the download Job runs it with the Hugging Face token mounted."""
HUGGINGFACE_HUB_VERSION: Final = "1.16.4"
"""The huggingface_hub release the upstream download Jobs use."""

# awslabs/awsome-distributed-ai micro-benchmarks/nccl-tests/buildspec.yaml at 0877e0e3 (2025-08-30) builds exactly
# these versions with `buildx --platform=linux/amd64,linux/arm64` into public.ecr.aws/hpc-cloud/nccl-tests:<tag>,
# and its Dockerfile compiles sm_100 (GB200); the gb200 stack's fabric check can rely on the arm64 image.
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
AIPERF_VERSION: Final = "0.13.0"
"""The aiperf the default release documents (DYNAMO_RELEASES[DYNAMO_RELEASE].aiperf; a test keeps them equal): the
benchmark Job installs it, the twin's lock has it. A literal, as scripts/lock_pod_requirements.sh reads it."""

# The metrics pipeline (docs/observability.md).
KUBE_PROMETHEUS_STACK = Chart("kube-prometheus-stack", "https://prometheus-community.github.io/helm-charts", "88.5.3")
"""Prometheus Operator v0.93.1, Prometheus, Alertmanager, Grafana (grafana-community chart 12.11.1) and
kube-state-metrics 8.4.0: prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3 (commit ea930bae,
2026-08-21), charts/kube-prometheus-stack/Chart.yaml."""
DCGM_EXPORTER = Chart("dcgm-exporter", "https://nvidia.github.io/dcgm-exporter/helm-charts", "4.8.2")
"""NVIDIA/dcgm-exporter tag 4.5.3-4.8.2 (commit 691c9276): deployment/Chart.yaml version 4.8.2, image
nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless; the repository is the one its README adds."""
