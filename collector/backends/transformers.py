"""Hugging Face transformers' own OpenAI-compatible server (`transformers serve`, transformers >= 5).

Checked against transformers 5.23.0 (`transformers serve --help` and `transformers/cli/serving/*.py`):
- `transformers serve [FORCE_MODEL] --host 127.0.0.1 --port 8000` (default port 8000, host localhost);
  `--device cpu|cuda:0|auto`, `--dtype`, `--continuous-batching`, `--attn-implementation`, `--compile`;
- `GET /health` -> `{"status": "ok"}` (503 when the continuous-batching worker died);
- `POST /v1/completions` and `/v1/chat/completions` both stream (SSE) and end with a chunk carrying
  `usage` (always, `stream_options` is accepted and ignored);
- unknown body fields are rejected with HTTP 422 ("Unexpected fields in the request"): `ignore_eos` and
  `min_tokens` are not accepted, so output lengths are not forced (the run's length-mismatch count shows
  early stops);
- `GET /v1/models` lists the models of the local Hugging Face cache, not the forced model (and fails
  when the cache directory does not exist): pass `--model` with the FORCE_MODEL string;
- no version endpoint, no tokenize endpoint and no Prometheus `/metrics`: the version is recorded as
  unknown.
Docs: https://huggingface.co/docs/transformers/main/en/serving
"""

from __future__ import annotations

from collector.backends.base import BackendAdapter
from collector.schema import BACKEND_FACTS


class TransformersAdapter(BackendAdapter, facts=BACKEND_FACTS["transformers"]):
    """No request extras, version, tokenize or metrics: the base adapter's behaviour with these facts."""
