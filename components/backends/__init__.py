"""The inference engines, one module each; `BACKENDS` maps `serving.backend` to its implementation."""

from components.backends.base import Backend
from components.backends.sglang import SGLang
from components.backends.trtllm import TensorRTLLM
from components.backends.vllm import VLLM

__all__ = ["BACKENDS", "Backend"]

BACKENDS: dict[str, Backend] = {b.name: b for b in (SGLang(), VLLM(), TensorRTLLM())}
