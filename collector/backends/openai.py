"""Generic OpenAI-compatible server: no version endpoint, no tokenize, readiness by `/v1/models`.

Used when the backend is unknown (or `--backend auto` cannot tell). `ignore_eos` is still sent for
fixed-length workloads because most open servers honour it; servers that do not are caught by the
collector's length-mismatch count. Metric names: the union of every known backend's names, so a
scrape of an unrecognised vLLM/SGLang/... server still yields figures.
Reference: https://platform.openai.com/docs/api-reference/completions
"""

from __future__ import annotations

from collections.abc import Iterable

from collector.backends.base import BackendAdapter


def merged_metric_names(adapters: Iterable[BackendAdapter]) -> dict[str, tuple[str, ...]]:
    merged: dict[str, tuple[str, ...]] = {}
    for adapter in adapters:
        for canonical, names in adapter.metric_names.items():
            known = merged.get(canonical, ())
            merged[canonical] = known + tuple(n for n in names if n not in known)
    return merged


class OpenAIAdapter(BackendAdapter):
    name = "openai"
    display_name = "OpenAI-compatible (generic)"
    default_port = 8000
    readiness_paths = ("/v1/models",)
    supports_ignore_eos = True
    supports_min_tokens = False
    has_tokenize = False
    docs_url = "https://platform.openai.com/docs/api-reference/completions"
    launch_template = ""
