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

import httpx

from collector.backends.base import BackendAdapter, VersionInfo, get_json, version_string
from collector.schema import BACKEND_FACTS


class TrtllmAdapter(BackendAdapter, facts=BACKEND_FACTS["trtllm"]):
    async def version(self, client: httpx.AsyncClient) -> VersionInfo:
        body = await get_json(client, "/version")
        version = version_string(body.get("version")) if isinstance(body, dict) else None
        return VersionInfo(version=version, source="GET /version" if version else None, reported={})
