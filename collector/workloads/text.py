"""Exact-length text building blocks for the workload generators, on top of `collector.workload`'s search.

Every generator asks the server's tokenize endpoint (when it has one) so lengths are exact, and falls back
to the character approximation otherwise, exactly as the fixed-length workload does.
"""

from __future__ import annotations

import random

from collector import stop
from collector.errors import WorkloadError
from collector.workloads.prompts import (
    APPROX_CHARS_PER_TOKEN,
    Prompt,
    Tokenize,
    approximate_text,
    exact_length_text,
)

TOKENIZE_ENDPOINT = "tokenize_endpoint"
APPROXIMATE = "approximate"


async def length_method(tokenize: Tokenize | None) -> str:
    """'tokenize_endpoint' when the server tokenizes text, else 'approximate'."""
    if tokenize is not None and await tokenize("hello world") is not None:
        return TOKENIZE_ENDPOINT
    return APPROXIMATE


class TextMaker:
    """Texts of exact token lengths, sharing one running chars-per-token estimate."""

    def __init__(self, tokenize: Tokenize | None, method: str) -> None:
        self.tokenize = tokenize if method == TOKENIZE_ENDPOINT else None
        self.method = method
        self._ratio = [APPROX_CHARS_PER_TOKEN]
        self._tail_ratio = [APPROX_CHARS_PER_TOKEN]

    @property
    def exact(self) -> bool:
        return self.tokenize is not None

    async def text(self, tokens: int, rng: random.Random, *, salt: bool) -> str:
        """A text of `tokens` tokens (salted: starting with a unique random salt)."""
        if self.tokenize is None:
            return approximate_text(tokens, rng, salt=salt)
        return await exact_length_text(tokens, rng, self.tokenize, self._ratio, salt=salt)

    async def continuation(self, head: str, total: int, rng: random.Random, *, salt: bool) -> str:
        """A suffix (starting with a space) such that `head + suffix` has exactly `total` tokens, so the
        head's tokens stay the same in every prompt that starts with it."""
        tokenize = self.tokenize
        if tokenize is None:
            head_tokens = round(len(head) / APPROX_CHARS_PER_TOKEN)
            return " " + approximate_text(max(1, total - head_tokens), rng, salt=salt)

        async def whole(text: str) -> list[int] | None:
            return await tokenize(head + " " + text)

        return " " + await exact_length_text(total, rng, whole, self._tail_ratio, salt=salt)

    async def exact_prefix(self, text: str, tokens: int) -> str:
        """The longest character prefix of `text` that has exactly `tokens` tokens (else the closest
        below); `text` must have at least that many."""
        if self.tokenize is None:
            return text[: int(tokens * APPROX_CHARS_PER_TOKEN)]
        lo, hi = 0, len(text)
        full = await self.tokenize(text)
        if full is None:
            raise WorkloadError("tokenize endpoint stopped answering")
        if len(full) <= tokens:
            return text
        # Invariant: text[:lo] has <= tokens tokens, text[:hi] has more; find the largest such lo.
        while hi - lo > 1:
            stop.check()
            mid = (lo + hi) // 2
            got = await self.tokenize(text[:mid])
            if got is None:
                raise WorkloadError("tokenize endpoint stopped answering")
            if len(got) <= tokens:
                lo = mid
            else:
                hi = mid
        return text[:lo]


async def prompts_for_lengths(
    lengths: list[tuple[int, int]], *, seed: int, tokenize: Tokenize | None, salt: bool = True
) -> tuple[list[Prompt], str]:
    """One prompt per (input_tokens, output_tokens) pair, in order; the length method used."""
    method = await length_method(tokenize)
    maker = TextMaker(tokenize, method)
    rng = random.Random(seed)
    prompts = []
    for n_in, n_out in lengths:
        stop.check()
        text = await maker.text(n_in, rng, salt=salt)
        prompts.append(Prompt(text, n_in if maker.exact else None, n_out))
    return prompts, method
