"""Shared prefix: G groups, each with its own system prompt of S tokens, and a unique suffix per request
(SGLang's generated-shared-prefix, vLLM's prefix_repetition).

Each group's prefix starts with its own salt (so groups, and runs with other seeds, share nothing); each
suffix starts with a salt too, so the only reuse a prefix cache can find is the group's prefix. Requests are
dealt round-robin over the groups (request i belongs to group i mod G), so every load level mixes groups.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from collector import stop
from collector.errors import WorkloadError
from collector.workloads.prompts import Tokenize
from collector.workloads.text import TextMaker, length_method


@dataclass(frozen=True)
class SharedPrefixPrompt:
    group: int
    prefix: str  # the group's shared system prompt
    suffix: str  # this request's unique part (starts with a space)
    input_tokens: int | None  # prefix + suffix, exact when the server tokenized it
    output_tokens: int | None

    @property
    def text(self) -> str:
        """The completions prompt: the suffix continues the prefix's text."""
        return self.prefix + self.suffix

    def messages(self) -> list[dict[str, Any]]:
        """The chat messages: the prefix as the system prompt, the suffix as the user's message."""
        return [
            {"role": "system", "content": self.prefix},
            {"role": "user", "content": self.suffix.lstrip()},
        ]


async def shared_prefix_prompts(
    *,
    groups: int,
    prefix_tokens: int,
    suffix_tokens: int,
    prompts_per_group: int,
    output_tokens: int | None,
    seed: int,
    tokenize: Tokenize | None,
    limit: int | None = None,
) -> tuple[list[SharedPrefixPrompt], str]:
    """groups x prompts_per_group prompts of prefix_tokens + suffix_tokens tokens (only the first `limit`
    of them when given); the length method. Only the groups those prompts use get a prefix: 10 million
    groups for 8 requests build 8 prefixes."""
    for name, value in (
        ("groups", groups),
        ("prefix tokens", prefix_tokens),
        ("suffix tokens", suffix_tokens),
        ("prompts per group", prompts_per_group),
    ):
        if value < 1:
            raise WorkloadError(f"shared prefix: {name} must be at least 1, got {value}")
    count = groups * prompts_per_group if limit is None else min(limit, groups * prompts_per_group)
    method = await length_method(tokenize)
    maker = TextMaker(tokenize, method)
    rng = random.Random(seed)
    prefixes = []
    for _ in range(min(groups, count)):
        stop.check()
        prefixes.append(await maker.text(prefix_tokens, rng, salt=True))
    total = prefix_tokens + suffix_tokens
    prompts = []
    for i in range(count):
        stop.check()
        g = i % groups
        suffix = await maker.continuation(prefixes[g], total, rng, salt=True)
        prompts.append(
            SharedPrefixPrompt(g, prefixes[g], suffix, total if maker.exact else None, output_tokens)
        )
    return prompts, method
