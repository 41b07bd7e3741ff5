"""TensorRT-LLM (`trtllm-serve`).

Sources:
- `trtllm-serve` (default port 8000): https://nvidia.github.io/TensorRT-LLM/commands/trtllm-serve/
  trtllm-serve.html
- Routes `/health`, `/health_generate`, `/version` (`{"version": VERSION}`), `/v1/models`, `/metrics`
  (JSON iteration stats, not Prometheus) and, with perf metrics enabled, Prometheus text at
  `/prometheus/metrics`: tensorrt_llm/serve/openai_server.py in github.com/NVIDIA/TensorRT-LLM.
- `ignore_eos` and `min_tokens` on CompletionRequest: tensorrt_llm/serve/openai_protocol.py.
- Prometheus names (`trtllm_` prefix): tensorrt_llm/metrics/collector.py (MetricsCollector docstring).
"""

from __future__ import annotations

from types import MappingProxyType

import httpx

from collector.backends.base import BackendAdapter, VersionInfo, get_json, version_string


class TrtllmAdapter(BackendAdapter):
    name = "trtllm"
    display_name = "TensorRT-LLM"
    default_port = 8000
    readiness_paths = ("/health",)
    supports_ignore_eos = True
    supports_min_tokens = True
    has_tokenize = False
    docs_url = "https://nvidia.github.io/TensorRT-LLM/commands/trtllm-serve/trtllm-serve.html"
    metrics_paths = ("/prometheus/metrics",)
    metric_names = MappingProxyType(
        {
            "running_requests": ("trtllm_num_requests_running",),
            "waiting_requests": ("trtllm_num_requests_waiting",),
            "kv_cache_usage": ("trtllm_kv_cache_utilization",),
            "prefix_cache_hits": ("trtllm_prompt_cache_hit_tokens", "trtllm_prompt_cached_tokens"),
            "prompt_tokens": ("trtllm_prompt_tokens",),
            "generation_tokens": ("trtllm_generation_tokens",),
        }
    )
    launch_template = "trtllm-serve {model} --host 127.0.0.1 --port {port}"

    async def version(self, client: httpx.AsyncClient) -> VersionInfo:
        body = await get_json(client, "/version")
        version = version_string(body.get("version")) if isinstance(body, dict) else None
        return VersionInfo(version=version, source="GET /version" if version else None, reported={})
