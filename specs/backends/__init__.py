"""The inference engines, one module each; `BACKENDS` maps `serving.backend` to its implementation."""

from specs.backends.base import Backend
from specs.backends.sglang import SGLang
from specs.backends.trtllm import TensorRTLLM
from specs.backends.vllm import VLLM

__all__ = ["BACKENDS", "Backend"]

BACKENDS: dict[str, Backend] = {b.name: b for b in (SGLang(), VLLM(), TensorRTLLM())}
