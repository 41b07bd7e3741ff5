"""Prefix-cache hit rate of a level, from the server's own /metrics counter deltas.

Backends count cached prompt tokens differently: llama.cpp's `prompt_tokens` counter excludes the cached
ones (`prompt_tokens_cached` counts those), vLLM reports hits and queries in tokens, and SGLang /
TensorRT-LLM report cached tokens beside a prompt-token counter that includes them.
"""

from __future__ import annotations

from collector.schema import PrefixCache, ServerMetrics

# Backends whose canonical `prompt_tokens` counter leaves out the prompt tokens served from the cache.
PROMPT_TOKENS_EXCLUDE_CACHED = frozenset({"llama.cpp"})


def prefix_cache(metrics: ServerMetrics | None, backend: str) -> PrefixCache | None:
    """The level's prefix-cache figures; None when the server reports no cached-token counter."""
    if metrics is None:
        return None
    d = metrics.deltas
    hits = d.get("prefix_cache_hits")
    if hits is None:
        return None
    queries = d.get("prefix_cache_queries")
    prompt = d.get("prompt_tokens")
    if queries is not None:
        total, source = queries, "prefix_cache_hits / prefix_cache_queries"
    elif prompt is not None and backend in PROMPT_TOKENS_EXCLUDE_CACHED:
        total, source = hits + prompt, "prefix_cache_hits / (prefix_cache_hits + prompt_tokens)"
    elif prompt is not None:
        total, source = prompt, "prefix_cache_hits / prompt_tokens"
    else:
        return PrefixCache(hit_rate=None, cached_tokens=hits, prompt_tokens=None, source="prefix_cache_hits")
    rate = min(1.0, hits / total) if total > 0 else None
    return PrefixCache(hit_rate=rate, cached_tokens=hits, prompt_tokens=total, source=f"{backend}: {source}")
