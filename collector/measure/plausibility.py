"""Checks that what a server sent is what a streaming benchmark can trust: the response is an SSE stream we
can read, and the token count it reports agrees with what it streamed."""

from __future__ import annotations

from collections.abc import Mapping

# Media types read as an SSE stream. text/plain is tolerated: some proxies relabel event streams.
_STREAM_TYPES = ("text/event-stream", "text/plain")

# A server's usage.completion_tokens is trusted when it lies in [chunks, chunks * USAGE_TOKENS_PER_CHUNK_MAX]
# (and is not negative). Engines may pack several tokens into one chunk (speculative decoding emits a few
# accepted tokens at once; some servers batch detokenised text), so more tokens than chunks is normal, but
# 16 per content chunk on average is beyond any engine we know: 100,000 tokens for 6 chunks is a lie. Fewer
# tokens than content chunks is impossible (every content chunk carries at least one token).
USAGE_TOKENS_PER_CHUNK_MAX = 16


def stream_shape_problem(headers: Mapping[str, str]) -> str | None:
    """Why a 200 answer cannot be read as an SSE stream (named by its headers), or None when it can."""
    encoding = (headers.get("content-encoding") or "").strip().lower()
    if encoding not in ("", "identity"):
        return f"response is compressed (content-encoding: {encoding[:40]}); an uncompressed stream was asked"
    ctype = (headers.get("content-type") or "").strip()
    media = ctype.split(";", 1)[0].strip().lower()
    if media and media not in _STREAM_TYPES:
        return f"response is {ctype[:60]}, not an SSE stream (text/event-stream)"
    return None


def usage_mismatch(reported: int | None, chunks: int) -> bool:
    """True when a reported completion token count cannot be what was streamed in `chunks` content chunks."""
    if reported is None:
        return False
    if reported < 0:
        return True
    if chunks == 0:
        return False  # nothing streamed to compare with (an empty answer is judged elsewhere)
    return reported < chunks or reported > chunks * USAGE_TOKENS_PER_CHUNK_MAX
