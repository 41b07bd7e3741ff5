"""The workloads against the real embedded llama.cpp engine: exact lengths through its tokenizer, and its
prefix cache (llamacpp:prompt_tokens_cached) showing reuse for shared prefixes, multi-turn histories and
trace blocks, but not for salted prompts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from collector.backends import get_adapter
from collector.load.client import ClientShards, PreparedRequest
from collector.load.scheduling import LevelState, closed_loop
from collector.measure.metrics import aggregate_level
from collector.measure.servermetrics import ServerMetricsTracker
from collector.schema import LevelResult, PrefixCache, Timeouts
from collector.server.engine import EmbeddedEngine
from collector.server.ggufgen import generate_gguf
from collector.workloads.cache import prefix_cache
from collector.workloads.multiturn import chat_sessions, run_sessions, turn_latencies
from collector.workloads.prompts import synthetic_prompts
from collector.workloads.requests import body_for, encode, shared_prefix_requests
from collector.workloads.shared_prefix import shared_prefix_prompts
from collector.workloads.trace import parse_trace, trace_prompts
from collector.workloads.trace_gen import generate_trace

pytestmark = pytest.mark.engine
MODEL = "tiny"
ADAPTER = get_adapter("llama.cpp")
EXTRAS: dict[str, Any] = ADAPTER.request_extras(ignore_eos=True, output_tokens=4)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = generate_gguf(Path(tmp_path_factory.mktemp("models")) / "tiny.gguf", "tiny", "f32")
    with EmbeddedEngine(model.path, n_ctx=8192, n_parallel=2, metrics=True, alias=MODEL) as engine:
        yield engine.base_url


Tokenize = Callable[[str], Awaitable[list[int] | None]]


async def measured(
    url: str, work: Callable[[Tokenize, ClientShards, LevelState], Awaitable[None]]
) -> tuple[LevelState, PrefixCache | None]:
    async with (
        httpx.AsyncClient(base_url=url, timeout=60) as client,
        httpx.AsyncClient(base_url=url, timeout=30) as scraper,
        ClientShards(
            url, api_key=None, timeouts=Timeouts(connect_s=10.0, read_s=60.0, total_s=600.0), users=1
        ) as shards,
    ):

        async def tokenize(text: str) -> list[int] | None:
            return await ADAPTER.tokenize(client, text, MODEL)

        tracker = ServerMetricsTracker(ADAPTER, scraper, interval_s=0.2)
        state = LevelState(total=None)
        await tracker.start()
        await work(tokenize, shards, state)
        metrics = await tracker.stop()
    return state, prefix_cache(metrics, "llama.cpp")


async def sequential(shards: ClientShards, requests: list[PreparedRequest], state: LevelState) -> None:
    await closed_loop(
        shards,
        requests,
        concurrency=1,
        count=len(requests),
        duration_s=None,
        total_timeout_s=120,
        state=state,
    )


def level_of(state: LevelState) -> LevelResult:
    return aggregate_level(
        state.outcomes, concurrency=1, request_rate=None, measure_from_scheduled=False, ignore_eos=True
    )


def completion_requests(texts: list[str], max_tokens: int = 4) -> list[PreparedRequest]:
    return [
        PreparedRequest(
            "/v1/completions",
            encode(body_for(api="completions", model=MODEL, max_tokens=max_tokens, extras=EXTRAS, prompt=t)),
            max_tokens,
        )
        for t in texts
    ]


def test_salted_prompts_get_no_prefix_cache_hits(url: str) -> None:
    async def work(tokenize: Tokenize, shards: ClientShards, state: LevelState) -> None:
        prompts, method = await synthetic_prompts(
            8, input_tokens=96, output_tokens=4, jitter=0, seed=11, tokenize=tokenize
        )
        assert method == "tokenize_endpoint"
        await sequential(shards, completion_requests([p.text for p in prompts]), state)

    state, cache = asyncio.run(measured(url, work))
    level = level_of(state)
    assert level.completed == 8 and level.input_tokens_observed is not None
    assert level.input_tokens_observed.min == level.input_tokens_observed.max == 96
    assert cache is not None and cache.hit_rate is not None and cache.prompt_tokens == 8 * 96
    # Salted prompts share at most a token or two of their salt by chance.
    assert cache.hit_rate < 0.05, cache


def test_shared_prefix_prompts_hit_the_prefix_cache(url: str) -> None:
    async def work(tokenize: Tokenize, shards: ClientShards, state: LevelState) -> None:
        prompts, method = await shared_prefix_prompts(
            groups=2,
            prefix_tokens=128,
            suffix_tokens=16,
            prompts_per_group=4,
            output_tokens=4,
            seed=3,
            tokenize=tokenize,
        )
        assert method == "tokenize_endpoint"
        await sequential(
            shards, shared_prefix_requests(prompts, api="completions", model=MODEL, extras=EXTRAS), state
        )

    state, cache = asyncio.run(measured(url, work))
    level = level_of(state)
    assert level.completed == 8 and level.input_tokens_observed is not None
    assert level.input_tokens_observed.min == level.input_tokens_observed.max == 144
    assert cache is not None and cache.hit_rate is not None and cache.prompt_tokens == 8 * 144
    # Ideal reuse: the 6 requests after each group's first find its 128-token prefix: 768 / 1152 = 0.67.
    assert 0.5 < cache.hit_rate <= 768 / 1152 + 0.02, cache


def test_multi_turn_history_grows_and_is_reused(url: str) -> None:
    turns_seen: list[int] = []

    async def work(tokenize: Tokenize, shards: ClientShards, state: LevelState) -> None:
        sessions, _ = await chat_sessions(
            sessions=2, turns=3, turn_input_tokens=32, output_tokens=6, seed=2, tokenize=tokenize
        )
        log = await run_sessions(
            shards,
            sessions,
            model=MODEL,
            extras=ADAPTER.request_extras(ignore_eos=True, output_tokens=6),
            users=1,
            think_time_s=0.0,
            total_timeout_s=120,
            state=state,
        )
        turns_seen.extend(log.turns)

    state, cache = asyncio.run(measured(url, work))
    assert turns_seen == [1, 2, 3, 1, 2, 3] and all(o.ok for o in state.outcomes)
    per_turn = turn_latencies(state.outcomes, turns_seen)
    assert [t.turn for t in per_turn] == [1, 2, 3]
    assert all(t.ttft_ms is not None and t.ttft_ms.count == 2 for t in per_turn)
    means = [t.input_tokens_mean or 0 for t in per_turn]
    # Each turn carries the previous turns and replies (plus chat-template tokens): strictly growing.
    assert means[0] >= 32 and means[1] > means[0] + 32 and means[2] > means[1] + 32
    assert cache is not None and cache.hit_rate is not None and cache.hit_rate > 0.3, cache


def test_trace_prompts_are_exact_and_share_their_blocks(url: str) -> None:
    reqs = generate_trace(requests=8, seed=4, block_tokens=64, roots=2, root_blocks=2, max_unique_blocks=1)
    reqs = parse_trace("".join(r.to_json() + "\n" for r in reqs))

    async def work(tokenize: Tokenize, shards: ClientShards, state: LevelState) -> None:
        prompts, method = await trace_prompts(reqs, seed=0, tokenize=tokenize, block_tokens=64)
        assert method == "tokenize_endpoint"
        await sequential(shards, completion_requests([p.text for p in prompts]), state)

    state, cache = asyncio.run(measured(url, work))
    assert [o.prompt_tokens for o in state.outcomes] == [r.input_length for r in reqs]
    assert cache is not None and cache.hit_rate is not None and cache.hit_rate > 0.2, cache
