"""llama.cpp (`llama-server`, also the embedded engine through xllamacpp).

Sources:
- Server README (default port 8080; `/health` answers 503 while the model loads; `/props` with
  `build_info`, `model_path`, `total_slots`, `default_generation_settings.n_ctx`; `POST /tokenize`
  `{"content", "add_special"}` -> `{"tokens": [...]}`; `ignore_eos` honoured; `/metrics` with `--metrics`):
  https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md
- Metric names checked against the real engine's `/metrics` (tests/collector/test_servermetrics_engine.py).
  `llamacpp:prompt_tokens_total` excludes cached prompt tokens, which are counted by
  `llamacpp:prompt_tokens_cached_total`. `kv_cache_usage_ratio` exists in older builds only.
"""

from __future__ import annotations

from typing import Any

import httpx

from collector.backends.base import (
    BackendAdapter,
    Scalar,
    VersionInfo,
    get_json,
    int_list,
    post_json,
    scalar_fields,
    version_string,
)
from collector.schema import BACKEND_FACTS


def known_build(build_info: str | None) -> str | None:
    """llama.cpp's /props `build_info` when it names a build; None for builds without git metadata, which
    report 'b0-unknown' (or 'b0'): the server does not know its version, and it is not guessed."""
    if not build_info or "unknown" in build_info or build_info == "b0" or build_info.startswith("b0-"):
        return None
    return build_info


class LlamaCppAdapter(BackendAdapter, facts=BACKEND_FACTS["llama.cpp"]):
    async def version(self, client: httpx.AsyncClient) -> VersionInfo:
        props: Any = await get_json(client, "/props")
        reported: dict[str, Scalar] = {}
        build_info: str | None = None
        if isinstance(props, dict):
            keys = ("build_info", "model_path", "model_alias", "model_ftype", "total_slots")
            reported.update(scalar_fields(props, keys))
            settings = props.get("default_generation_settings")
            if isinstance(settings, dict) and isinstance(settings.get("n_ctx"), int):
                reported["n_ctx"] = settings["n_ctx"]
            build_info = version_string(props.get("build_info"))
        models: Any = await get_json(client, "/v1/models")
        if isinstance(models, dict) and isinstance(models.get("data"), list) and models["data"]:
            meta = models["data"][0].get("meta") if isinstance(models["data"][0], dict) else None
            if isinstance(meta, dict):
                for key in ("n_params", "n_ctx_train", "n_vocab", "n_embd", "size", "ftype"):
                    if key in meta and isinstance(meta[key], str | int | float):
                        reported[f"meta.{key}"] = meta[key]
        version = known_build(build_info)
        return VersionInfo(
            version=version, source="GET /props build_info" if version else None, reported=reported
        )

    async def tokenize(self, client: httpx.AsyncClient, text: str, model: str) -> list[int] | None:
        body = await post_json(client, "/tokenize", {"content": text, "add_special": False})
        return int_list(body.get("tokens")) if isinstance(body, dict) else None
