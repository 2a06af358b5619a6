"""The engines' JIT and compile caches on the shared model cache, so a restarted or added worker skips the compile.

Where each cache goes (every path below is under CACHE_HOME, the worker's ~/.cache, which is this volume):
- DeepGEMM (SGLang): SGLANG_DG_CACHE_DIR, default ~/.cache/deep_gemm (sgl-project/sglang
  docs/references/environment_variables.md); SGLang's DeepGEMM reads that one, not DG_JIT_CACHE_DIR.
- DeepGEMM (vLLM, TRT-LLM): DG_JIT_CACHE_DIR, default $HOME/.deep_gemm (deepseek-ai/DeepGEMM README) (check);
  vLLM puts it under VLLM_CACHE_ROOT when unset.
- vLLM's torch.compile cache: VLLM_CACHE_ROOT, default ~/.cache/vllm, holding torch_compile_cache/ ("copy the whole
  ~/.cache/vllm/torch_compile_cache directory ... to save a great amount of compilation time", docs.vllm.ai design
  "torch.compile integration"); the operator's useAsCompilationCache sets this same variable (operator
  backend_vllm.go).
- TorchInductor: TORCHINDUCTOR_CACHE_DIR, default /tmp/torchinductor_<user> (pytorch tutorials "Compile Time Caching
  in torch.compile"); Inductor's FX graph and autotuning caches.
- Triton: TRITON_CACHE_DIR, default ~/.triton/cache (triton's compiler "checks the cache (defaults to the file cache
  located at ~/.triton/cache)", read from a study of python/triton/compiler/compiler.py) (check).
- FlashInfer: FLASHINFER_WORKSPACE_BASE, the base under which it writes .cache/flashinfer/ (default $HOME;
  flashinfer-ai/flashinfer python/flashinfer/jit/env.py) (check).
- CUDA's PTX JIT: CUDA_CACHE_PATH ("the most relevant environment variables are CUDA_CACHE_PATH and
  CUDA_CACHE_MAX_SIZE", NVIDIA cuVS docs "JIT Compilation"); default ~/.nv/ComputeCache (check).
- TensorRT-LLM (PyTorch backend): no cache variable of its own is documented; its Triton, Inductor, FlashInfer and
  DeepGEMM kernels use the variables above (check).

Why not the DynamoGraphDeployment's `useAsCompilationCache`: it mounts a whole claim (its volumeMount has no
subPath), so the cache could not be keyed by engine version and GPU type on the shared volume, and the operator sets
environment variables for vLLM only: for SGLang and TRT-LLM it logs "not yet fully supported" with
"env-vars-set": false (ai-dynamo/dynamo deploy/operator/internal/dynamo/backend_sglang.go, backend_trtllm.go). A
subPath mount of the same claim, keyed below, does what it would and works for every engine.

Keyed by engine, image (tag, or digest when pinned) and GPU type: a new engine version or another GPU never reads a
stale kernel. The key's directory is created and handed to the runtime user (UID 1000) by the download Job's
prepare step, apart from the weights (models/, read-only to the workers).
"""

import re

from config.catalog import InstanceType
from config.schema import Serving
from specs.serving_security import RUNTIME_HOME

ROOT_DIR = "compile-cache"
"""The compile caches' directory at the cache's root, beside models/ (the weights)."""
CACHE_HOME = f"{RUNTIME_HOME}/.cache"
"""Where the worker sees its keyed directory: its ~/.cache (XDG's default), so a cache whose variable is not set
below still lands on the volume."""
VOLUME_NOTE = "the model cache's claim, as the operator names its volume (the claim's name)"

COMMON_ENV = {
    "XDG_CACHE_HOME": CACHE_HOME,
    "TORCHINDUCTOR_CACHE_DIR": f"{CACHE_HOME}/torchinductor",
    "TRITON_CACHE_DIR": f"{CACHE_HOME}/triton",
    "FLASHINFER_WORKSPACE_BASE": RUNTIME_HOME,
    "CUDA_CACHE_PATH": f"{CACHE_HOME}/nv/ComputeCache",
}
ENGINE_ENV = {
    "sglang": {"SGLANG_DG_CACHE_DIR": f"{CACHE_HOME}/deep_gemm"},
    "vllm": {"VLLM_CACHE_ROOT": f"{CACHE_HOME}/vllm", "DG_JIT_CACHE_DIR": f"{CACHE_HOME}/deep_gemm"},
    "trtllm": {"DG_JIT_CACHE_DIR": f"{CACHE_HOME}/deep_gemm"},
}
"""Each engine's own cache variables, beside COMMON_ENV."""


def key(serving: Serving, instance: InstanceType | None) -> str:
    """`<engine>-<tag or digest>-<gpu>`: a directory name (letters, digits, '.', '-')."""
    image = serving.image_digest.removeprefix("sha256:")[:12] if serving.image_digest else serving.image_tag
    gpu = instance.gpu if instance is not None else "any-gpu"
    return re.sub(r"[^a-z0-9.-]", "-", f"{serving.backend}-{image}-{gpu}".lower())


def sub_path(serving: Serving, instance: InstanceType | None) -> str:
    """The keyed directory relative to the cache's root."""
    return f"{ROOT_DIR}/{key(serving, instance)}"


def env(backend: str) -> dict[str, str]:
    """Where each of the engine's caches goes."""
    return {**COMMON_ENV, **ENGINE_ENV[backend]}


def mount(claim_volume: str, serving: Serving, instance: InstanceType | None) -> dict[str, str]:
    """The worker's mount of its keyed directory: the claim's volume again, with a subPath."""
    return {"name": claim_volume, "mountPath": CACHE_HOME, "subPath": sub_path(serving, instance)}
