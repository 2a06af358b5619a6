"""Upstream Dynamo known issues as data: which release, backend, platform, fabric and feature each hits.

validation/releases.py consults it: an issue whose effect is a crash, a hang or empty output and that matches the
stack refuses it (title, source and fix); a degradation is a warning. Entries come from the release notes and the
Known Issues pages of 1.3.0 to 1.6.x and Dynamo's EFA guide, each read with the `search` tool (the URL is the page
read). Features are the names validation/releases.py derives from a stack (`stack_features`); an issue that needs a
feature no stack here sets (GMS, speculative decoding) is kept so a stack that adds it is caught.
"""

from dataclasses import dataclass
from typing import Final, Literal

Effect = Literal["crash", "hang", "empty-output", "degradation"]
REFUSING: Final = frozenset({"crash", "hang", "empty-output"})
ANY: Final[frozenset[str]] = frozenset()


@dataclass(frozen=True)
class KnownIssue:
    title: str
    introduced: str
    """First release affected (the first whose notes list it, if earlier ones are not stated)."""
    fixed_in: str | None
    """First release that fixes it for the platforms listed; None: not fixed in any release pinned here."""
    backends: frozenset[str]
    """Backends it hits (empty: all)."""
    platforms: frozenset[str]
    """GPU platforms it hits: h100, h200, gb200 (empty: all)."""
    fabrics: frozenset[str]
    """Fabrics it hits: efa, infiniband, roce, none (empty: all)."""
    features: frozenset[str]
    """Stack features that must all be present (empty: none needed)."""
    effect: Effect
    workaround: str
    source: str


SGLANG = frozenset({"sglang"})
VLLM = frozenset({"vllm"})
TRTLLM = frozenset({"trtllm"})
EFA = frozenset({"efa"})

KNOWN_ISSUES: Final[tuple[KnownIssue, ...]] = (
    KnownIssue(
        title="Disaggregated SGLang inference over EFA stalls and returns an empty response",
        introduced="1.3.0",
        fixed_in="1.3.1",
        backends=SGLANG,
        platforms=frozenset({"gb200"}),
        fabrics=EFA,
        features=frozenset({"disagg"}),
        effect="empty-output",
        workaround="use 1.3.1 or later (the SGLang EFA image moves to NIXL 1.3.2 and EFA installer 1.49.0, #12106)",
        source="https://github.com/ai-dynamo/dynamo/releases/tag/v1.3.1",
    ),
    KnownIssue(
        # v1.3.1 fixed the stall on GB200 only; its Known Issues keep "Intermittent stall in disaggregated serving
        # over EFA with SGLang: requests return an empty HTTP 200 response with zero completion tokens" for H100/P5.
        # (check) no later page read lists it (1.4.x-1.6.x known issues): treated as fixed in 1.4.0.
        title="Disaggregated SGLang inference over EFA stalls and returns an empty response (H100/P5: intermittent "
        "empty HTTP 200 with zero completion tokens)",
        introduced="1.3.0",
        fixed_in="1.4.0",
        backends=SGLANG,
        platforms=frozenset({"h100", "h200"}),
        fabrics=EFA,
        features=frozenset({"disagg"}),
        effect="empty-output",
        workaround="upgrade to 1.4.x and on, one minor at a time (1.3.1 fixed GB200 only and says H100/P5 remain "
        "affected)",
        source="https://github.com/ai-dynamo/dynamo/releases/tag/v1.3.1",
    ),
    KnownIssue(
        # (check) the wording is issue 20's quote of the v1.3.0 Known Issues; the search excerpts of the page end
        # before this entry.
        title="TRT-LLM Wide-EP Decode Crashes on All Ranks",
        introduced="1.3.0",
        fixed_in="1.4.0",
        backends=TRTLLM,
        platforms=ANY,
        fabrics=ANY,
        features=frozenset({"wide-ep-decode"}),
        effect="crash",
        workaround="use 1.4.0 or later (the targeted fix)",
        source="https://docs.nvidia.com/dynamo/dev/reference/releases/known-issues",
    ),
    KnownIssue(
        title="vLLM GMS + Expert Parallel Crash at Model Load",
        introduced="1.3.0",
        fixed_in=None,
        backends=VLLM,
        platforms=ANY,
        fabrics=ANY,
        features=frozenset({"gpu-memory-service", "expert-parallel"}),
        effect="crash",
        workaround="avoid the GPU Memory Service with expert parallelism on vLLM (vllm-project/vllm#43928)",
        source="https://docs.nvidia.com/dynamo/dev/reference/releases/known-issues",
    ),
    KnownIssue(
        title="vLLM Disagg Decode + EAGLE3 Speculative Decoding Crashes Silently",
        introduced="1.3.0",
        fixed_in=None,
        backends=VLLM,
        platforms=ANY,
        fabrics=ANY,
        features=frozenset({"disagg", "speculative-decoding"}),
        effect="crash",
        workaround="no speculative decoding on disaggregated vLLM",
        source="https://docs.nvidia.com/dynamo/dev/reference/releases/known-issues",
    ),
    KnownIssue(
        # v1.4.2: the Rust NIXL bindings silently ran against non-functional stubs in the Frontend and SGLang images
        # (#13547); the Python bindings worked in the same interpreter.
        title="NIXL loader path: the Frontend and SGLang images ran Rust NIXL against non-functional stubs",
        introduced="1.4.0",
        fixed_in="1.4.2",
        backends=SGLANG,
        platforms=ANY,
        fabrics=ANY,
        features=frozenset({"disagg"}),
        effect="degradation",
        workaround="use 1.4.2 or later",
        source="https://github.com/ai-dynamo/dynamo/releases/tag/v1.4.2",
    ),
    KnownIssue(
        title="SGLang Out-of-Vocab Stop Token Crash (stop_token_ids at or above the vocabulary with min_tokens)",
        introduced="1.5.0",
        fixed_in=None,
        backends=SGLANG,
        platforms=ANY,
        fabrics=ANY,
        features=frozenset({"disagg"}),
        effect="degradation",
        # A crash, but of one worker on one malformed request, not of the stack as configured: a warning here.
        workaround="no workaround upstream; keep clients from sending stop_token_ids beyond the vocabulary",
        source="https://docs.nvidia.com/dynamo/v1.6.1/reference/releases/known-issues",
    ),
    KnownIssue(
        title="SGLang Snapshot and GMS CUDA Graph Startup Failure",
        introduced="1.5.0",
        fixed_in=None,
        backends=SGLANG,
        platforms=ANY,
        fabrics=ANY,
        features=frozenset({"snapshot"}),
        effect="crash",
        workaround="pass --disable-cuda-graph to these workers",
        source="https://docs.nvidia.com/dynamo/v1.6.1/reference/releases/known-issues",
    ),
    KnownIssue(
        title="TRT-LLM Oversized Anthropic Messages Return 500 (instead of 400)",
        introduced="1.6.0",
        fixed_in="1.6.2",
        backends=TRTLLM,
        platforms=ANY,
        fabrics=ANY,
        features=frozenset({"frontend"}),
        effect="degradation",
        workaround="1.6.2 fixes it (not on PyPI yet); clients keep prompts within the engine's max_num_tokens",
        source="https://docs.nvidia.com/dynamo/v1.6.2/reference/releases/known-issues",
    ),
    KnownIssue(
        title="vLLM Omitted Max Tokens Generates to the Context Limit",
        introduced="1.6.0",
        fixed_in=None,
        backends=VLLM,
        platforms=ANY,
        fabrics=ANY,
        features=frozenset({"frontend"}),
        effect="degradation",
        workaround="clients set max_tokens (the smoke client and aiperf do)",
        source="https://docs.nvidia.com/dynamo/v1.6.1/reference/releases/known-issues",
    ),
    KnownIssue(
        # Dynamo's EFA guide, Known Issues "libfabric on GB200 fails fi_mr_reg on CUDA VRAM": libfabric below 2.5
        # (EFA installer up to 1.48.0 ships v2.4.0amzn3.0; 1.3.1 moved the images to 1.49.0 = 2.4.0amzn5.0) lacks
        # the CUDA branch of the dmabuf check; on arm64 64K-page kernels NIXL VRAM registration returns EFAULT
        # (ofiwg/libfabric#12019). Only where NIXL's LIBFABRIC backend carries the KV.
        title="libfabric on GB200 fails fi_mr_reg on CUDA VRAM (NIXL LIBFABRIC registration returns EFAULT)",
        introduced="1.3.0",
        fixed_in=None,
        backends=ANY,
        platforms=frozenset({"gb200"}),
        fabrics=EFA,
        features=frozenset({"nixl-libfabric"}),
        effect="crash",
        workaround="keep the KV on NVLink inside the UltraServer's ComputeDomain (the gb200 stack does), or build the "
        "image with libfabric 2.5.1+",
        source="https://docs.nvidia.com/dynamo/kubernetes-deployment/cloud-provider-guides/aws/efa-rdma-over-aws-fabric",
    ),
)
