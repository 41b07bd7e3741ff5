"""Multi-turn chat: sessions of N user turns; every request carries the whole conversation so far (the chat
API's messages: earlier user turns and the assistant's actual streamed replies), with think time between a
reply and the next turn.

A session's first message starts with a salt (so sessions share nothing); its later turns are not salted,
because reusing the session's own history is exactly what this workload measures. A failed turn ends its
session: the history it would carry does not exist.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from collector import stop
from collector.errors import WorkloadError
from collector.load.client import ClientShards, PreparedRequest, api_path, pick_client, stream_request
from collector.load.scheduling import SERVER_GONE_AFTER, LevelState, ServerGone, gather_or_cancel
from collector.measure.metrics import RequestOutcome, request_metrics, summarize
from collector.schema import TurnLatency
from collector.workloads.prompts import Tokenize
from collector.workloads.requests import body_for, encode
from collector.workloads.text import TextMaker, length_method


@dataclass(frozen=True)
class Session:
    index: int
    user_messages: tuple[str, ...]  # one per turn
    output_tokens: int  # max_tokens of every reply


async def chat_sessions(
    *,
    sessions: int,
    turns: int,
    turn_input_tokens: int,
    output_tokens: int,
    seed: int,
    tokenize: Tokenize | None,
) -> tuple[list[Session], str]:
    """`sessions` sessions of `turns` user messages of exactly `turn_input_tokens` tokens each."""
    for name, value in (("sessions", sessions), ("turns", turns), ("turn input tokens", turn_input_tokens)):
        if value < 1:
            raise WorkloadError(f"multi-turn: {name} must be at least 1, got {value}")
    if output_tokens < 1:
        raise WorkloadError(f"multi-turn: output tokens must be at least 1, got {output_tokens}")
    method = await length_method(tokenize)
    maker = TextMaker(tokenize, method)
    rng = random.Random(seed)
    out = []
    for s in range(sessions):
        stop.check()
        msgs = [await maker.text(turn_input_tokens, rng, salt=(t == 0)) for t in range(turns)]
        out.append(Session(s, tuple(msgs), output_tokens))
    return out, method


@dataclass
class TurnLog:
    """Which session and turn each outcome of a multi-turn level belongs to (aligned with the outcomes)."""

    sessions: list[int]
    turns: list[int]  # 1-based


async def run_sessions(
    client: ClientShards | httpx.AsyncClient,
    sessions: Sequence[Session],
    *,
    model: str,
    extras: dict[str, Any],
    users: int,
    think_time_s: float,
    total_timeout_s: float,
    state: LevelState,
    retries: int = 0,
) -> TurnLog:
    """`users` concurrent users, each running whole sessions one after another until none are left.
    Each turn is a normal request in `state` (closed loop: its t0 is its actual send)."""
    log = TurnLog([], [])
    next_session = 0
    state.started_ns = time.perf_counter_ns()

    async def user(slot: int) -> None:
        nonlocal next_session
        http = pick_client(client, slot)
        while next_session < len(sessions):
            session = sessions[next_session]
            next_session += 1
            history: list[dict[str, Any]] = []
            for turn, message in enumerate(session.user_messages, 1):
                if state.consecutive_connect_failures >= SERVER_GONE_AFTER:
                    raise ServerGone(f"{state.consecutive_connect_failures} connections in a row refused")
                history.append({"role": "user", "content": message})
                body = body_for(
                    api="chat", model=model, max_tokens=session.output_tokens, extras=extras, messages=history
                )
                request = PreparedRequest(
                    api_path("chat"), encode(body), session.output_tokens, keep_text=True
                )
                outcome = await stream_request(
                    http,
                    request,
                    scheduled_ns=time.perf_counter_ns(),
                    total_timeout_s=total_timeout_s,
                    retries=retries,
                )
                log.sessions.append(session.index)
                log.turns.append(turn)
                state.add(outcome)
                if not outcome.ok:
                    break
                history.append({"role": "assistant", "content": "".join(outcome.text or [])})
                if turn < len(session.user_messages) and think_time_s > 0:
                    await asyncio.sleep(think_time_s)  # the user reading and typing: part of the workload

    await gather_or_cancel([asyncio.create_task(user(u)) for u in range(max(1, users))])
    return log


def turn_latencies(outcomes: Sequence[RequestOutcome], turns: Sequence[int]) -> list[TurnLatency]:
    """TTFT per turn position over the completed requests (closed loop: measured from the actual send)."""
    by_turn: dict[int, tuple[list[float], list[int]]] = {}
    for o, t in zip(outcomes, turns, strict=True):
        ttfts, prompt_tokens = by_turn.setdefault(t, ([], []))
        m = request_metrics(o, measure_from_scheduled=False)
        if m is None:
            continue
        ttfts.append(m.ttft_ms)
        if o.prompt_tokens is not None:
            prompt_tokens.append(o.prompt_tokens)
    return [
        TurnLatency(
            turn=t,
            ttft_ms=summarize(ttfts),
            input_tokens_mean=sum(pt) / len(pt) if pt else None,
        )
        for t, (ttfts, pt) in sorted(by_turn.items())
    ]
