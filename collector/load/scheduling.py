"""Load generation: closed-loop virtual users and open-loop (Poisson / gamma) arrivals.

Every outcome is appended to a `LevelState` as soon as it exists, so a cancelled or failed level still
yields the requests that completed (the runner writes them out as an interrupted/incomplete level).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
import numpy as np

from collector.load.client import CONNECT, ClientShards, PreparedRequest, pick_client, stream_request
from collector.measure.metrics import RequestOutcome


@dataclass
class LevelState:
    """Live state of one level: outcomes so far and counters for the progress display."""

    total: int | None
    outcomes: list[RequestOutcome] = field(default_factory=list)
    output_tokens: int = 0
    started_ns: int = 0
    consecutive_connect_failures: int = 0
    on_outcome: Callable[[LevelState, RequestOutcome], None] | None = None

    def add(self, outcome: RequestOutcome) -> None:
        self.outcomes.append(outcome)
        if outcome.ok:
            self.output_tokens += outcome.completion_tokens or len(outcome.chunk_ns)
            self.consecutive_connect_failures = 0
        elif outcome.status == CONNECT:
            self.consecutive_connect_failures += 1
        if self.on_outcome is not None:
            self.on_outcome(self, outcome)


class ServerGone(RuntimeError):
    """The server stopped accepting connections in the middle of a level."""


# After this many connection failures in a row the server is considered gone: stop the level rather than
# hammering a dead port for the rest of its requests.
SERVER_GONE_AFTER = 8
_USER_BATCH = 1024


def _check_server(state: LevelState) -> None:
    if state.consecutive_connect_failures >= SERVER_GONE_AFTER:
        raise ServerGone(f"{state.consecutive_connect_failures} connections in a row refused")


async def closed_loop(
    client: httpx.AsyncClient | ClientShards,
    requests: Sequence[PreparedRequest],
    *,
    concurrency: int,
    count: int | None,
    duration_s: float | None,
    total_timeout_s: float,
    state: LevelState,
    first_index: int = 0,
    retries: int = 0,
) -> None:
    """N users; each sends its next request as soon as its previous one ends."""
    if count is None and duration_s is None:
        raise ValueError("closed loop needs a request count or a duration")
    users = concurrency if count is None else min(concurrency, count)
    if isinstance(client, ClientShards):
        await client.open_connections(users)
    next_index = 0
    start = time.perf_counter_ns()
    state.started_ns = start
    deadline = None if duration_s is None else start + int(duration_s * 1e9)

    async def user(slot: int) -> None:
        nonlocal next_index
        http = pick_client(client, slot)
        while True:
            if count is not None and next_index >= count:
                return
            if deadline is not None and time.perf_counter_ns() >= deadline:
                return
            _check_server(state)
            i = next_index
            next_index += 1
            req = requests[(first_index + i) % len(requests)]
            now = time.perf_counter_ns()
            outcome = await stream_request(
                http, req, scheduled_ns=now, total_timeout_s=total_timeout_s, retries=retries
            )
            state.add(outcome)

    # Users are started in batches, yielding to the loop between them, and never more than there are
    # requests to send: a huge level starts at once, holds only what it uses and stays interruptible.
    tasks: list[asyncio.Task[None]] = []
    try:
        for first in range(0, users, _USER_BATCH):
            tasks.extend(asyncio.create_task(user(u)) for u in range(first, min(users, first + _USER_BATCH)))
            await asyncio.sleep(0)
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    await gather_or_cancel(tasks)


def arrival_offsets_s(n: int, rate: float, burstiness: float, seed: int) -> np.ndarray:
    """Send times (seconds from level start) of n arrivals: gamma inter-arrival times with shape
    `burstiness` and mean 1/rate (burstiness 1 = Poisson). The first request goes at t=0."""
    if rate <= 0 or burstiness <= 0:
        raise ValueError("rate and burstiness must be positive")
    rng = np.random.default_rng(seed)
    gaps = rng.gamma(shape=burstiness, scale=1.0 / (rate * burstiness), size=n)
    gaps[0] = 0.0
    return np.cumsum(gaps)


async def open_loop(
    client: httpx.AsyncClient | ClientShards,
    requests: Sequence[PreparedRequest],
    *,
    rate: float,
    burstiness: float,
    count: int | None,
    duration_s: float | None,
    max_concurrency: int | None,
    total_timeout_s: float,
    seed: int,
    state: LevelState,
    first_index: int = 0,
    keep: tuple[int, int] | None = None,
    start_ns: int | None = None,
    retries: int = 0,
    offsets_s: Sequence[float] | None = None,
) -> None:
    """Arrivals on a precomputed schedule; latency is measured from the scheduled time, so time spent
    waiting for a free slot (max_concurrency) or behind a busy client counts against the server's figures.
    `offsets_s` replaces the rate's schedule with given send times (trace replay)."""
    if count is None and duration_s is None and offsets_s is None:
        raise ValueError("open loop needs a request count or a duration")
    if offsets_s is not None:
        offsets: Sequence[float] = offsets_s
    else:
        n = count if count is not None else int(rate * (duration_s or 0) * 1.5) + 16
        offsets = arrival_offsets_s(n, rate, burstiness, seed).tolist()
    # keep=(k, N): this process sends only arrivals i with i % N == k (the --workers split).
    start = start_ns if start_ns is not None else time.perf_counter_ns()
    state.started_ns = start
    limit = asyncio.Semaphore(max_concurrency) if max_concurrency else None
    tasks: list[asyncio.Task[None]] = []

    async def one(i: int, scheduled_ns: int) -> None:
        req = requests[(first_index + i) % len(requests)]
        if limit is not None:
            await limit.acquire()
        try:
            outcome = await stream_request(
                pick_client(client, i),
                req,
                scheduled_ns=scheduled_ns,
                total_timeout_s=total_timeout_s,
                retries=retries,
            )
        finally:
            if limit is not None:
                limit.release()
        state.add(outcome)

    try:
        for i, off in enumerate(offsets):
            scheduled = start + int(off * 1e9)
            if duration_s is not None and off >= duration_s:
                break
            if keep is not None and i % keep[1] != keep[0]:
                continue
            delay = (scheduled - time.perf_counter_ns()) / 1e9
            if delay > 0:
                await asyncio.sleep(delay)
            _check_server(state)
            tasks.append(asyncio.create_task(one(i, scheduled)))
        await gather_or_cancel(tasks)
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def gather_or_cancel(tasks: list[asyncio.Task[None]]) -> None:
    """Wait for all tasks; if one raises (e.g. ServerGone) or we are cancelled, cancel the rest first."""
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
