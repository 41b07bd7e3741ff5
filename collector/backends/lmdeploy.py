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

import httpx

from collector.backends.base import UNKNOWN_VERSION, BackendAdapter, VersionInfo
from collector.schema import BACKEND_FACTS


class LmdeployAdapter(BackendAdapter, facts=BACKEND_FACTS["lmdeploy"]):
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
