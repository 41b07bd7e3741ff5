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
from collector.schema import BACKEND_FACTS


def merged_metric_names(adapters: Iterable[BackendAdapter]) -> dict[str, tuple[str, ...]]:
    merged: dict[str, tuple[str, ...]] = {}
    for adapter in adapters:
        for canonical, names in adapter.metric_names.items():
            known = merged.get(canonical, ())
            merged[canonical] = known + tuple(n for n in names if n not in known)
    return merged


class OpenAIAdapter(BackendAdapter, facts=BACKEND_FACTS["openai"]):
    """The base adapter's behaviour; `metric_names` becomes the union of all (see backends/__init__.py)."""
