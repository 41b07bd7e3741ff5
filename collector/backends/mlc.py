"""MLC-LLM (`mlc_llm serve`).

Sources:
- REST server (`mlc_llm serve MODEL --host --port`, default port 8000, `/v1/models`,
  `/v1/completions`, `/v1/chat/completions`): https://llm.mlc.ai/docs/deploy/rest.html
- Fixed output length uses the `debug_config: {"ignore_eos": true}` request field (as MLC's own tests and
  benchmarks send it: tests/python/serve/server/test_server.py in github.com/mlc-ai/mlc-llm).
- `/metrics` returns the engine metrics as Prometheus text
  (python/mlc_llm/serve/entrypoints/metrics_entrypoints.py); the names are the flattened keys of
  EngineMetrics::AsJSON (cpp/serve/metrics.cc): `prompt_tokens_sum`, `completion_tokens_sum`, ...
- No version endpoint: the version is unknown unless given by flag.
"""

from __future__ import annotations

from collector.backends.base import BackendAdapter
from collector.schema import BACKEND_FACTS


class MlcAdapter(BackendAdapter, facts=BACKEND_FACTS["mlc"]):
    def request_extras(self, *, ignore_eos: bool, output_tokens: int | None) -> dict[str, object]:
        return {"debug_config": {"ignore_eos": True}} if ignore_eos else {}
