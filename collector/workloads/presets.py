"""Sequence-length presets matching the public dashboards.

InferenceX runs vLLM's `benchmark_serving.py` random dataset with `--random-range-ratio 0.8`,
`--num-prompts 10 x concurrency`, warm-up of 2 x concurrency requests and `--ignore-eos`: each request's
input and output length is a uniform integer in [floor(0.8 L), L]. The presets reproduce that, with the
lengths made exact through the server's tokenize endpoint as for every synthetic prompt.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from collector.errors import WorkloadError
from collector.workloads.prompts import Prompt, Tokenize
from collector.workloads.text import prompts_for_lengths


@dataclass(frozen=True)
class SequencePreset:
    name: str
    input_tokens: int
    output_tokens: int
    description: str
    range_ratio: float = 0.8
    prompts_per_user: int = 10  # measured requests per level = this x concurrency
    warmup_per_user: int = 2  # warm-up requests per level = this x concurrency
    ignore_eos: bool = True

    def requests(self, concurrency: int) -> int:
        return self.prompts_per_user * concurrency

    def warmup(self, concurrency: int) -> int:
        return self.warmup_per_user * concurrency


PRESETS: dict[str, SequencePreset] = {
    p.name: p
    for p in (
        SequencePreset(
            "1k/1k", 1024, 1024, "chat-like: 1k in, 1k out (InferenceX; deprecated there in 2026)"
        ),
        SequencePreset("1k/8k", 1024, 8192, "reasoning-like: long outputs (InferenceX; deprecated in 2026)"),
        SequencePreset("8k/1k", 8192, 1024, "summarisation / RAG-like: InferenceX's primary scenario"),
        SequencePreset("long-context", 32768, 1024, "long context: 32k in, 1k out"),
    )
}


def get_preset(name: str) -> SequencePreset:
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(PRESETS)
        raise WorkloadError(f"unknown sequence-length preset {name!r}; known presets: {known}") from None


def sampled_length(length: int, ratio: float, rng: random.Random) -> int:
    """Uniform integer in [floor(ratio * length), length] (at least 1), as vLLM's random dataset."""
    return rng.randint(max(1, math.floor(ratio * length)), length)


def preset_lengths(preset: SequencePreset, count: int, seed: int) -> list[tuple[int, int]]:
    """`count` (input_tokens, output_tokens) pairs; the same seed gives the same list."""
    rng = random.Random(seed)
    inputs = [sampled_length(preset.input_tokens, preset.range_ratio, rng) for _ in range(count)]
    outputs = [sampled_length(preset.output_tokens, preset.range_ratio, rng) for _ in range(count)]
    return list(zip(inputs, outputs, strict=True))


async def preset_prompts(
    preset: SequencePreset, count: int, *, seed: int, tokenize: Tokenize | None, salt: bool = True
) -> tuple[list[Prompt], str]:
    """`count` salted prompts of the preset's sampled lengths, and the length method used."""
    return await prompts_for_lengths(
        preset_lengths(preset, count, seed), seed=seed, tokenize=tokenize, salt=salt
    )
