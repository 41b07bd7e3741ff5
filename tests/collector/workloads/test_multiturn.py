"""Multi-turn sessions against the scripted server: turn order, think time, the replies carried back as
history, per-turn TTFT, and a failed turn ending its session."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from collector.errors import WorkloadError
from collector.load.client import ClientShards
from collector.load.scheduling import LevelState
from collector.schema import Timeouts
from collector.workloads.multiturn import Session, TurnLog, chat_sessions, run_sessions, turn_latencies
from tests.helpers.scripted_server import Script, ScriptedServer

THINK_S = 0.2


async def words(text: str) -> list[int]:
    return [len(w) for w in text.split()]


def _run(
    url: str, sessions: list[Session], users: int, think_s: float = THINK_S
) -> tuple[LevelState, TurnLog]:
    async def go() -> tuple[LevelState, TurnLog]:
        state = LevelState(total=None)
        async with ClientShards(
            url, api_key=None, timeouts=Timeouts(connect_s=10.0, read_s=60.0, total_s=600.0), users=users
        ) as shards:
            log = await run_sessions(
                shards,
                sessions,
                model="m",
                extras={},
                users=users,
                think_time_s=think_s,
                total_timeout_s=30,
                state=state,
            )
        return state, log

    return asyncio.run(go())


def test_sessions_are_generated_exact_and_salted_once() -> None:
    sessions, method = asyncio.run(
        chat_sessions(sessions=3, turns=2, turn_input_tokens=12, output_tokens=5, seed=1, tokenize=words)
    )
    assert method == "tokenize_endpoint" and [s.index for s in sessions] == [0, 1, 2]
    assert all(len(m.split()) == 12 for s in sessions for m in s.user_messages)
    hexdigits = set("0123456789abcdef")
    assert all(set(s.user_messages[0].split()[0]) <= hexdigits for s in sessions)  # first turn salted
    assert not any(set(s.user_messages[1].split()[0]) <= hexdigits for s in sessions)
    with pytest.raises(WorkloadError, match="turns must be at least 1"):
        asyncio.run(
            chat_sessions(sessions=1, turns=0, turn_input_tokens=4, output_tokens=1, seed=0, tokenize=None)
        )


def test_turns_run_in_order_with_think_time_and_replies_as_history() -> None:
    sessions = [Session(i, ("hello there", "and again", "last one"), 4) for i in range(2)]
    with ScriptedServer(Script(ttft_ms=30.0, itl_ms=5.0)) as srv:
        start = time.perf_counter()
        state, log = _run(srv.url, sessions, users=2)
        elapsed = time.perf_counter() - start
    assert sorted(zip(log.sessions, log.turns, strict=True)) == [(s, t) for s in (0, 1) for t in (1, 2, 3)]
    assert all(o.ok for o in state.outcomes)
    # The scripted reply is 4 chunks of " tok": kept as the assistant's message for the next turn.
    assert all("".join(o.text or []) == " tok" * 4 for o in state.outcomes)
    # Two think pauses per session (none after the last turn) lie between its turns.
    assert elapsed >= 2 * THINK_S
    for s in (0, 1):
        sends = [o.sent_ns for o, ss in zip(state.outcomes, log.sessions, strict=True) if ss == s]
        assert all(b - a >= THINK_S * 1e9 for a, b in itertools.pairwise(sends))
    per_turn = turn_latencies(state.outcomes, log.turns)
    assert [(t.turn, t.ttft_ms.count if t.ttft_ms else 0) for t in per_turn] == [(1, 2), (2, 2), (3, 2)]


def test_a_failed_turn_ends_its_session() -> None:
    sessions = [Session(0, ("a", "b", "c"), 4)]
    with ScriptedServer(Script(ttft_ms=5.0, itl_ms=1.0, faults={1: "http_500"})) as srv:
        state, log = _run(srv.url, sessions, users=1, think_s=0.0)
    assert log.turns == [1, 2] and [o.status for o in state.outcomes] == ["ok", "http_500"]
    per_turn = turn_latencies(state.outcomes, log.turns)
    assert per_turn[1].turn == 2 and per_turn[1].ttft_ms is None
