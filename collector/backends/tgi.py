"""Hugging Face Text Generation Inference (`text-generation-launcher` or its container).

Sources:
- OpenAPI spec (routes `/health`, `/info`, `/tokenize`, `/metrics`; the `Info` and `SimpleToken`
  schemas): https://huggingface.github.io/text-generation-inference/ (docs/openapi.json in
  github.com/huggingface/text-generation-inference). `/info` carries `version`, `sha` (TGI commit) and
  `docker_label`; `/tokenize` takes a GenerateRequest `{"inputs": ...}` and returns a list of
  `{"id", "text", "start", "stop"}`.
- Metrics: https://huggingface.co/docs/text-generation-inference/reference/metrics
- Launcher default port 3000 (the container listens on 80 and is usually published as 8080):
  https://huggingface.co/docs/text-generation-inference/reference/launcher
- No `ignore_eos`/`min_tokens` on the OpenAI routes, so fixed output lengths are not guaranteed; the
  collector counts length mismatches.
"""

from __future__ import annotations

import httpx

from collector.backends.base import (
    BackendAdapter,
    VersionInfo,
    get_json,
    post_json,
    scalar_fields,
    version_string,
)
from collector.schema import BACKEND_FACTS

_INFO_KEYS = (
    "model_id",
    "model_sha",
    "model_dtype",
    "model_device_type",
    "max_concurrent_requests",
    "max_input_tokens",
    "max_total_tokens",
    "max_batch_total_tokens",
    "max_batch_prefill_tokens",
    "router",
    "sha",
    "docker_label",
)


class TgiAdapter(BackendAdapter, facts=BACKEND_FACTS["tgi"]):
    async def version(self, client: httpx.AsyncClient) -> VersionInfo:
        body = await get_json(client, "/info")
        if not isinstance(body, dict):
            return VersionInfo(version=None, source=None, reported={})
        version = version_string(body.get("version"))
        return VersionInfo(
            version=version,
            source="GET /info" if version else None,
            reported=scalar_fields(body, _INFO_KEYS),
            commit=version_string(body.get("sha")),
            image=version_string(body.get("docker_label")),
        )

    async def tokenize(self, client: httpx.AsyncClient, text: str, model: str) -> list[int] | None:
        # TGI's tokenizer decides on special tokens itself; there is no switch on this route.
        body = await post_json(client, "/tokenize", {"inputs": text})
        if not isinstance(body, list):
            return None
        ids: list[int] = []
        for token in body:
            token_id = token.get("id") if isinstance(token, dict) else None
            if not isinstance(token_id, int) or isinstance(token_id, bool):
                return None
            ids.append(token_id)
        return ids
