"""Values the serving engines of the pinned Dynamo runtime images accept, for worker keys passed to them verbatim.

Dynamo 1.3.0's runtime images (config/versions.py DYNAMO_RUNTIME_TAG) ship vLLM 0.23.0 and TensorRT-LLM 1.3.0rc19
(docs.nvidia.com/dynamo/v1.3.0/resources/support-matrix, "Backend Dependencies"). A value an engine refuses fails
its workers at start, after the GPU nodes are up; refused here, it fails the preview.
"""

from typing import Final

VLLM_VERSION: Final = "0.23.0"

VLLM_ALL2ALL_BACKENDS: Final = (
    "allgather_reducescatter",
    "deepep_high_throughput",
    "deepep_low_latency",
    "nixl_ep",
    "flashinfer_all2allv",
    "flashinfer_nvlink_two_sided",
    "flashinfer_nvlink_one_sided",
)
"""vLLM 0.23.0 vllm/config/parallel.py `All2AllBackend` (the sdist on PyPI, sha256 760269db...): these, and also
`naive` and `pplx`, which it accepts but replaces with allgather_reducescatter ("has been removed", a warning
in the logs), and `mori_high_throughput`/`mori_low_latency`, which import ROCm's MoRI library (ROCm/mori) that a CUDA
image does not carry (check: not verified inside the image). Those four are refused here."""

# TensorRT-LLM 1.3.0rc19's MoeConfig.backend and CacheTransceiverConfig.backend values are not checked: its source
# at that tag could not be read offline (its PyPI sdists are stubs), and the lists differ between neighbouring
# releases (WIDEEP was later removed, MARLIN and MEGAMOE_* added). See the follow-up report.

WIDEEP_REMOVED: Final = (
    "TensorRT-LLM deprecated the WIDEEP MoE backend by making it an error to select (NVIDIA/TensorRT-LLM#17119, "
    "merged 2026-07-31) and then removed it (#17797, merged after 2026-08-17); wide EP and EPLB run on the other "
    "backends."
)
TRTLLM_MOE_BACKENDS_REFUSED: Final = {"WIDEEP": frozenset({"1.3.0rc29"})}
"""moe_config.backend values a pinned TensorRT-LLM refuses at start, with the versions known to refuse them.
1.3.0rc29 (Dynamo 1.6.1) was released 2026-09-29, after both pull requests above were merged on main; its source
could not be read (tensorrt-llm's PyPI release is a stub that fetches from NVIDIA's index), so this is (check).
1.3.0rc22 and rc25 (Dynamo 1.4.2, 1.5.1) may or may not refuse it (check); 1.3.0rc19 (Dynamo 1.3.0) accepts it:
the 1.3.0 recipe sets it."""
