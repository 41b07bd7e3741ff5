"""Presets, shared prefix and salting with a word-counting tokenizer (one token per whitespace-separated
word), so expected lengths and shared text can be computed by hand. The real tokenizer is exercised in
test_workloads_engine_cache.py."""

from __future__ import annotations

import asyncio
import json
import math
import random

import pytest

from collector.errors import WorkloadError
from collector.schema import ServerMetrics
from collector.workloads.cache import prefix_cache
from collector.workloads.presets import PRESETS, get_preset, preset_lengths, preset_prompts
from collector.workloads.prompts import synthetic_prompts
from collector.workloads.requests import shared_prefix_requests
from collector.workloads.shared_prefix import shared_prefix_prompts


async def words(text: str) -> list[int]:
    return [len(w) for w in text.split()]


def test_presets_follow_inferencex() -> None:
    assert list(PRESETS) == ["1k/1k", "1k/8k", "8k/1k", "long-context"]
    p = get_preset("8k/1k")
    assert (p.input_tokens, p.output_tokens, p.range_ratio, p.ignore_eos) == (8192, 1024, 0.8, True)
    assert p.requests(16) == 160 and p.warmup(16) == 32
    with pytest.raises(WorkloadError, match="known presets: 1k/1k"):
        get_preset("2k/2k")


def test_preset_lengths_are_seeded_and_in_the_ratio_range() -> None:
    p = get_preset("1k/1k")
    a, b = preset_lengths(p, 500, seed=7), preset_lengths(p, 500, seed=7)
    assert a == b and a != preset_lengths(p, 500, seed=8)
    lo = math.floor(0.8 * 1024)  # 819
    assert all(lo <= i <= 1024 and lo <= o <= 1024 for i, o in a)
    # Uniform over 206 values: 500 draws reach both ends' neighbourhoods.
    assert min(i for i, _ in a) < lo + 10 and max(i for i, _ in a) > 1014
    # Hand-computed: the same draws as random.Random(7).randint, inputs first, then outputs.
    rng = random.Random(7)
    ins = [rng.randint(819, 1024) for _ in range(3)]
    outs = [rng.randint(819, 1024) for _ in range(3)]
    assert preset_lengths(p, 3, seed=7) == list(zip(ins, outs, strict=True))


def test_preset_prompts_are_exact_and_salted() -> None:
    p = get_preset("1k/1k")
    prompts, method = asyncio.run(preset_prompts(p, 4, seed=1, tokenize=words))
    assert method == "tokenize_endpoint"
    for prompt, (n_in, n_out) in zip(prompts, preset_lengths(p, 4, seed=1), strict=True):
        assert len(prompt.text.split()) == n_in == prompt.input_tokens and prompt.output_tokens == n_out
    firsts = [pr.text.split()[0] for pr in prompts]
    assert len(set(firsts)) == 4 and all(len(f) == 8 for f in firsts)  # 8 hex digits each


def test_salting_is_the_default_and_can_be_turned_off() -> None:
    salted, _ = asyncio.run(
        synthetic_prompts(3, input_tokens=20, output_tokens=4, jitter=0, seed=3, tokenize=words)
    )
    plain, _ = asyncio.run(
        synthetic_prompts(3, input_tokens=20, output_tokens=4, jitter=0, seed=3, tokenize=words, salt=False)
    )
    hexdigits = set("0123456789abcdef")
    assert all(set(p.text.split()[0]) <= hexdigits and len(p.text.split()[0]) == 8 for p in salted)
    assert not any(set(p.text.split()[0]) <= hexdigits for p in plain)
    assert all(len(p.text.split()) == 20 for p in salted + plain)


def test_shared_prefix_groups_share_exactly_their_prefix() -> None:
    prompts, method = asyncio.run(
        shared_prefix_prompts(
            groups=2,
            prefix_tokens=10,
            suffix_tokens=5,
            prompts_per_group=3,
            output_tokens=8,
            seed=0,
            tokenize=words,
        )
    )
    assert method == "tokenize_endpoint" and len(prompts) == 6
    assert [p.group for p in prompts] == [0, 1, 0, 1, 0, 1]
    for p in prompts:
        assert len(p.prefix.split()) == 10 and len(p.text.split()) == 15 == p.input_tokens
        assert p.text.split()[:10] == p.prefix.split()
    g0 = [p for p in prompts if p.group == 0]
    g1 = [p for p in prompts if p.group == 1]
    assert len({p.prefix for p in g0}) == 1 and len({p.prefix for p in g1}) == 1
    assert g0[0].prefix.split()[0] != g1[0].prefix.split()[0]  # groups are salted apart
    assert len({p.suffix.split()[0] for p in prompts}) == 6  # every suffix starts with its own salt


def test_shared_prefix_request_bodies() -> None:
    prompts, _ = asyncio.run(
        shared_prefix_prompts(
            groups=1,
            prefix_tokens=4,
            suffix_tokens=2,
            prompts_per_group=1,
            output_tokens=3,
            seed=0,
            tokenize=words,
        )
    )
    (chat,) = shared_prefix_requests(
        prompts, api="chat", model="m", extras={"ignore_eos": True, "min_tokens": 3}
    )
    body = json.loads(chat.body)
    assert chat.path == "/v1/chat/completions" and body["min_tokens"] == 3 and body["max_tokens"] == 3
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][0]["content"] == prompts[0].prefix
    (comp,) = shared_prefix_requests(prompts, api="completions", model="m", extras={})
    assert json.loads(comp.body)["prompt"] == prompts[0].text and comp.path == "/v1/completions"


def test_shared_prefix_rejects_empty_settings() -> None:
    with pytest.raises(WorkloadError, match="groups must be at least 1"):
        asyncio.run(
            shared_prefix_prompts(
                groups=0,
                prefix_tokens=4,
                suffix_tokens=2,
                prompts_per_group=1,
                output_tokens=3,
                seed=0,
                tokenize=None,
            )
        )


def test_prefix_cache_hit_rate_per_backend_convention() -> None:
    llama = prefix_cache(
        ServerMetrics(deltas={"prefix_cache_hits": 300.0, "prompt_tokens": 100.0}), "llama.cpp"
    )
    assert llama is not None and llama.hit_rate == 0.75 and llama.prompt_tokens == 400
    vllm = prefix_cache(
        ServerMetrics(
            deltas={"prefix_cache_hits": 30.0, "prefix_cache_queries": 120.0, "prompt_tokens": 1.0}
        ),
        "vllm",
    )
    assert vllm is not None and vllm.hit_rate == 0.25
    sglang = prefix_cache(ServerMetrics(deltas={"prefix_cache_hits": 50.0, "prompt_tokens": 200.0}), "sglang")
    assert sglang is not None and sglang.hit_rate == 0.25
    assert prefix_cache(ServerMetrics(deltas={"prompt_tokens": 5.0}), "tgi") is None
    assert prefix_cache(None, "vllm") is None
