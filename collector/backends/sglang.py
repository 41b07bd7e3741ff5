"""SGLang (`python -m sglang.launch_server`).

Sources:
- Native APIs (`/health`, `/health_generate`, `/get_model_info`, `/get_server_info`, `/tokenize`):
  https://docs.sglang.io/basic_usage/native_api.html (docs/basic_usage/native_api.ipynb in
  github.com/sgl-project/sglang). `/get_server_info` returns the server arguments merged with scheduler
  info and `"version": __version__` (python/sglang/srt/entrypoints/http_server.py); newer releases also
  answer `/server_info`. `/tokenize` takes `{"model", "prompt", "add_special_tokens"}` and returns
  `{"tokens", "count", "max_model_len"}`.
- Default port 30000; OpenAI sampling extras `ignore_eos` and `min_tokens`:
  https://docs.sglang.io/basic_usage/sampling_params.html
- Metrics (needs `--enable-metrics`): https://docs.sglang.io/references/production_metrics.html

Checked against the real server (SGLang 0.5.23 on CPU, torch-native attention, kernels stubbed:
benchmarks/engines/setup_sglang.sh; responses recorded in tests/fixtures/backends/sglang-0.5.23/):
`/server_info` is the current path and `/get_server_info`, `/get_model_info` are deprecated aliases that log a
warning on every call, so the current paths are asked first; `/version` is 404; `/tokenize` and
`/v1/tokenize` both answer `{tokens, count, max_model_len}`; `/v1/models` has `owned_by: "sglang"` and
`max_model_len`; `ignore_eos` and `min_tokens` are honoured. Every metric name below is exposed (counters
with `_total`; token counters carry an `is_streaming` label, `cached_tokens` a `cache_source` label: the
label sets are summed); `token_usage` is a 0-1 fraction. There is no preemption counter
(`num_retracted_reqs` is a gauge) and no prefix-cache query counter, so neither is mapped.
"""

from __future__ import annotations

from typing import Any

import httpx

from collector.backends.base import (
    BackendAdapter,
    VersionInfo,
    get_json,
    int_list,
    post_json,
    scalar_fields,
    version_string,
)
from collector.schema import BACKEND_FACTS

_SERVER_KEYS = (
    "model_path",
    "served_model_name",
    "dtype",
    "kv_cache_dtype",
    "quantization",
    "tp_size",
    "pp_size",
    "dp_size",
    "context_length",
    "max_running_requests",
    "max_total_num_tokens",
    "chunked_prefill_size",
    "disable_radix_cache",
    "mem_fraction_static",
    "attention_backend",
    "speculative_algorithm",
    "device",
    "frontend",
)
# Current path first: the `get_` forms are deprecated in 0.5 (a warning logged per call) but are the only
# ones older releases answer.
_SERVER_INFO_PATHS = ("/server_info", "/get_server_info")
_MODEL_INFO_PATHS = ("/model_info", "/get_model_info")


class SglangAdapter(BackendAdapter, facts=BACKEND_FACTS["sglang"]):
    async def version(self, client: httpx.AsyncClient) -> VersionInfo:
        for path in _SERVER_INFO_PATHS:
            body: Any = await get_json(client, path)
            if isinstance(body, dict):
                version = version_string(body.get("version"))
                return VersionInfo(
                    version=version,
                    source=f"GET {path}" if version else None,
                    reported=scalar_fields(body, _SERVER_KEYS),
                )
        for path in _MODEL_INFO_PATHS:
            info = await get_json(client, path)
            if isinstance(info, dict):
                return VersionInfo(
                    version=None, source=None, reported=scalar_fields(info, ("model_path", "tokenizer_path"))
                )
        return VersionInfo(version=None, source=None, reported={})

    async def tokenize(self, client: httpx.AsyncClient, text: str, model: str) -> list[int] | None:
        body = await post_json(
            client, "/tokenize", {"model": model, "prompt": text, "add_special_tokens": False}
        )
        return int_list(body.get("tokens")) if isinstance(body, dict) else None
