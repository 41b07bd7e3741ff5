"""Reasoning streams: time to first reasoning token, time to first answer token and reasoning tokens,
measured against the scripted loopback server (first R tokens stream as delta.reasoning_content)."""

from __future__ import annotations

import asyncio
import json

from collector.load.client import ClientShards, PreparedRequest
from collector.load.scheduling import LevelState, closed_loop
from collector.measure.metrics import aggregate_level
from collector.schema import LevelResult, Summary, Timeouts
from tests.helpers.scripted_server import Script, ScriptedServer

TTFT_MS, ITL_MS, TOKENS, REASONING = 60.0, 20.0, 8, 5


def p50(s: Summary | None) -> float:
    assert s is not None and s.p50 is not None
    return s.p50


def _level(url: str, api: str, n: int = 4) -> LevelResult:
    if api == "chat":
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": TOKENS}
        path = "/v1/chat/completions"
    else:
        body = {"model": "m", "prompt": "hi", "max_tokens": TOKENS}
        path = "/v1/completions"
    body |= {"stream": True, "stream_options": {"include_usage": True}}
    requests = [PreparedRequest(path, json.dumps(body).encode(), TOKENS)]

    async def go() -> LevelState:
        state = LevelState(total=n)
        async with ClientShards(
            url, api_key=None, timeouts=Timeouts(connect_s=10.0, read_s=60.0, total_s=600.0), users=2
        ) as shards:
            await closed_loop(
                shards, requests, concurrency=2, count=n, duration_s=None, total_timeout_s=30, state=state
            )
        return state

    state = asyncio.run(go())
    return aggregate_level(
        state.outcomes, concurrency=2, request_rate=None, measure_from_scheduled=False, ignore_eos=True
    )


def test_reasoning_and_answer_are_timed_apart() -> None:
    with ScriptedServer(Script(ttft_ms=TTFT_MS, itl_ms=ITL_MS, reasoning_tokens=REASONING)) as srv:
        level = _level(srv.url, "chat")
    r = level.reasoning
    assert r is not None and r.requests == 4 and level.completed == 4
    assert r.ttfr_ms is not None and r.ttfa_ms is not None and r.reasoning_tokens is not None
    # First reasoning chunk at TTFT; the first answer chunk REASONING inter-token gaps later.
    assert TTFT_MS - 1 <= p50(r.ttfr_ms) <= TTFT_MS + 30
    gap = p50(r.ttfa_ms) - p50(r.ttfr_ms)
    assert REASONING * ITL_MS - 10 <= gap <= REASONING * ITL_MS + 30
    assert r.reasoning_tokens.min == r.reasoning_tokens.max == REASONING
    assert r.reasoning_tokens_total == 4 * REASONING and r.counted_from_chunks == 0
    # Reasoning chunks are tokens: TTFT is the first reasoning chunk, output tokens include reasoning.
    assert abs(p50(level.ttft_ms) - p50(r.ttfr_ms)) < 1e-6
    assert level.output_tokens_total == 4 * TOKENS


def test_reasoning_tokens_fall_back_to_chunks_without_usage_details() -> None:
    script = Script(ttft_ms=20.0, itl_ms=2.0, reasoning_tokens=REASONING, default_fault="no_usage")
    with ScriptedServer(script) as srv:
        level = _level(srv.url, "chat")
    r = level.reasoning
    assert r is not None and r.counted_from_chunks == 4
    assert r.reasoning_tokens is not None and r.reasoning_tokens.max == REASONING


def test_a_stream_without_reasoning_has_no_reasoning_figures() -> None:
    with ScriptedServer(Script(ttft_ms=20.0, itl_ms=2.0)) as srv:
        assert _level(srv.url, "chat").reasoning is None
        assert _level(srv.url, "completions").reasoning is None
