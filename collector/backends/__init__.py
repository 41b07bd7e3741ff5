"""Backend adapters: one small module per serving backend, looked up by name.

`get_adapter("vllm")` returns the adapter; `detect_backend(client)` (in `detect.py`) identifies a running
server from its endpoints for `--backend auto`. See docs/backends.md.
"""

from __future__ import annotations

from collector.backends.base import (
    COUNTER_METRICS,
    GAUGE_METRICS,
    RATIO_METRICS,
    UNKNOWN_VERSION,
    BackendAdapter,
    VersionInfo,
)
from collector.backends.llamacpp import LlamaCppAdapter
from collector.backends.lmdeploy import LmdeployAdapter
from collector.backends.mlc import MlcAdapter
from collector.backends.ollama import OllamaAdapter
from collector.backends.openai import OpenAIAdapter, merged_metric_names
from collector.backends.sglang import SglangAdapter
from collector.backends.tgi import TgiAdapter
from collector.backends.transformers import TransformersAdapter
from collector.backends.trtllm import TrtllmAdapter
from collector.backends.vllm import VllmAdapter
from collector.errors import InferboardError

_SPECIFIC: tuple[BackendAdapter, ...] = (
    VllmAdapter(),
    SglangAdapter(),
    LmdeployAdapter(),
    TrtllmAdapter(),
    TgiAdapter(),
    MlcAdapter(),
    LlamaCppAdapter(),
    OllamaAdapter(),
    TransformersAdapter(),
)
# The generic adapter scrapes whatever a known backend would expose.
OpenAIAdapter.metric_names = merged_metric_names(_SPECIFIC)

ADAPTERS: dict[str, BackendAdapter] = {a.name: a for a in (*_SPECIFIC, OpenAIAdapter())}
# Spellings people type for the same backend.
ALIASES: dict[str, str] = {
    "llamacpp": "llama.cpp",
    "llama-cpp": "llama.cpp",
    "llama_cpp": "llama.cpp",
    "tensorrt-llm": "trtllm",
    "tensorrt_llm": "trtllm",
    "trt-llm": "trtllm",
    "text-generation-inference": "tgi",
    "mlc-llm": "mlc",
    "mlc_llm": "mlc",
    "generic": "openai",
    "hf-transformers": "transformers",
    "transformers-serve": "transformers",
}


class UnknownBackendError(InferboardError, ValueError):
    """The backend name is not one inferboard knows."""


def backend_names() -> list[str]:
    """Known backend names (plus 'auto', handled by detect_backend)."""
    return sorted(ADAPTERS)


def get_adapter(name: str) -> BackendAdapter:
    """The adapter for `name` (case-insensitive, common aliases accepted)."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    try:
        return ADAPTERS[key]
    except KeyError:
        raise UnknownBackendError(
            f"unknown backend {name!r}; known: {', '.join(backend_names())} (or 'auto')"
        ) from None


__all__ = [
    "ADAPTERS",
    "COUNTER_METRICS",
    "GAUGE_METRICS",
    "RATIO_METRICS",
    "UNKNOWN_VERSION",
    "BackendAdapter",
    "UnknownBackendError",
    "VersionInfo",
    "backend_names",
    "get_adapter",
]
