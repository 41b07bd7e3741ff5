"""LMDeploy (`lmdeploy serve api_server`).

Sources:
- API server (default port 23333, `/health`, `/v1/models`; request extras `ignore_eos` and
  `min_new_tokens` documented in the `/v1/chat/completions` docstring):
  https://lmdeploy.readthedocs.io/en/latest/llm/api_server.html and lmdeploy/serve/openai/api_server.py in
  github.com/InternLM/lmdeploy.
- No version endpoint exists, so the version is recorded as unknown unless given by flag.
- Metrics (`--enable-metrics`): lmdeploy/metrics/loggers.py (PrometheusStatLogger): `lmdeploy:` prefix,
  names modelled on vLLM's.
"""

from __future__ import annotations

from types import MappingProxyType

import httpx

from collector.backends.base import UNKNOWN_VERSION, BackendAdapter, VersionInfo


class LmdeployAdapter(BackendAdapter):
    name = "lmdeploy"
    display_name = "LMDeploy"
    default_port = 23333
    readiness_paths = ("/health", "/v1/models")
    supports_ignore_eos = True
    supports_min_tokens = True
    has_tokenize = False
    docs_url = "https://lmdeploy.readthedocs.io/en/latest/llm/api_server.html"
    metric_names = MappingProxyType(
        {
            "running_requests": ("lmdeploy:num_requests_running",),
            "waiting_requests": ("lmdeploy:num_requests_waiting",),
            "kv_cache_usage": ("lmdeploy:gpu_cache_usage_perc",),
            "prompt_tokens": ("lmdeploy:prompt_tokens",),
            "generation_tokens": ("lmdeploy:generation_tokens",),
        }
    )
    launch_template = (
        "lmdeploy serve api_server {model} --server-name 127.0.0.1 --server-port {port} --enable-metrics"
    )

    def request_extras(self, *, ignore_eos: bool, output_tokens: int | None) -> dict[str, object]:
        # LMDeploy spells the minimum-length knob `min_new_tokens`.
        if not ignore_eos:
            return {}
        extras: dict[str, object] = {"ignore_eos": True}
        if output_tokens is not None:
            extras["min_new_tokens"] = output_tokens
        return extras

    async def version(self, client: httpx.AsyncClient) -> VersionInfo:
        return UNKNOWN_VERSION
