"""Ollama (`ollama serve`).

Sources:
- API reference, `GET /api/version` -> `{"version": "0.12.6"}` (default address localhost:11434):
  https://docs.ollama.com/api-reference/get-version
- OpenAI compatibility (`/v1/completions`, `/v1/chat/completions`; no `ignore_eos`/`min_tokens`):
  https://docs.ollama.com/api/openai-compatibility
- Ollama has no Prometheus endpoint and no public tokenize route.
"""

from __future__ import annotations

import httpx

from collector.backends.base import BackendAdapter, VersionInfo, get_json, version_string
from collector.schema import BACKEND_FACTS


class OllamaAdapter(BackendAdapter, facts=BACKEND_FACTS["ollama"]):
    async def version(self, client: httpx.AsyncClient) -> VersionInfo:
        body = await get_json(client, "/api/version")
        version = version_string(body.get("version")) if isinstance(body, dict) else None
        return VersionInfo(version=version, source="GET /api/version" if version else None, reported={})
