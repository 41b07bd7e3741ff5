"""Ollama (`ollama serve`).

Sources:
- API reference, `GET /api/version` -> `{"version": "0.12.6"}` (default address localhost:11434):
  https://docs.ollama.com/api-reference/get-version
- OpenAI compatibility (`/v1/completions`, `/v1/chat/completions`; no `ignore_eos`/`min_tokens`):
  https://docs.ollama.com/api/openai-compatibility
- Ollama has no Prometheus endpoint and no public tokenize route.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

import httpx

from collector.backends.base import BackendAdapter, VersionInfo, get_json, version_string


class OllamaAdapter(BackendAdapter):
    name = "ollama"
    display_name = "Ollama"
    default_port = 11434
    readiness_paths = ("/api/version",)
    supports_ignore_eos = False
    supports_min_tokens = False
    has_tokenize = False
    docs_url = "https://docs.ollama.com/api-reference/get-version"
    metrics_paths = ()
    metric_names: ClassVar[Mapping[str, tuple[str, ...]]] = MappingProxyType({})
    # Ollama reads its listen address from the environment; the model must be pulled first.
    launch_template = "env OLLAMA_HOST=127.0.0.1:{port} ollama serve  # then: ollama pull {model}"

    async def version(self, client: httpx.AsyncClient) -> VersionInfo:
        body = await get_json(client, "/api/version")
        version = version_string(body.get("version")) if isinstance(body, dict) else None
        return VersionInfo(version=version, source="GET /api/version" if version else None, reported={})
