"""Client actors on a Ray cluster (`collect --cluster`): the actor itself, and the pure arithmetic that joins
what several actors measured into one level.

Each actor runs inferboard's own load client on its share of a level (the `--workers` split, unchanged) and
returns its request outcomes with its own self-check. Its clock is not the driver's: on another node
`perf_counter_ns()` counts from another boot. The driver measures each actor's offset before the first
level (the ping with the smallest round trip bounds the error by half that round trip), tells each actor
the common start instant on the actor's own clock, and moves the returned times onto its own clock before
the merged outcomes go through the same per-level summary as a single-process level.

This module imports Ray nowhere: the actor class is made remote by `collector.load.cluster` at run time, so
the collector works without the optional `cluster` extra.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from collector.load.scheduling import LevelState, ServerGone
from collector.load.workers import WorkerJob, run_share, wait_until
from collector.measure.metrics import RequestOutcome
from collector.measure.selfcheck import LoopMonitor
from collector.schema import ClientHealth

__all__ = [
    "ClientActor",
    "ShareResult",
    "merge_health",
    "offset_from_pings",
    "shift_outcome",
    "start_skew_ms",
]


@dataclass
class ShareResult:
    """What one actor sends back for its share of a level (times on the actor's clock)."""

    outcomes: list[RequestOutcome] = field(default_factory=list)
    began_ns: int = 0  # when it started sending (0: it never started)
    health: ClientHealth | None = None
    server_gone: str | None = None  # the share ended because the server refused connections


def offset_from_pings(pings: Sequence[tuple[int, int, int]]) -> tuple[int, int]:
    """(offset, round trip) in ns from pings (driver send, actor clock, driver receive): the actor's clock
    minus the driver's, read at the midpoint of the ping with the smallest round trip (Cristian's method;
    the error is at most half that round trip)."""
    if not pings:
        raise ValueError("no pings")
    sent, actor, received = min(pings, key=lambda p: p[2] - p[0])
    return actor - (sent + received) // 2, received - sent


def shift_outcome(outcome: RequestOutcome, delta_ns: int) -> RequestOutcome:
    """The outcome with every time moved by `delta_ns` (actor clock -> driver clock: delta = -offset)."""

    def moved(value: int | None) -> int | None:
        return None if value is None else value + delta_ns

    return dataclasses.replace(
        outcome,
        scheduled_ns=outcome.scheduled_ns + delta_ns,
        sent_ns=outcome.sent_ns + delta_ns,
        chunk_ns=[t + delta_ns for t in outcome.chunk_ns],
        end_ns=moved(outcome.end_ns),
        first_reasoning_ns=moved(outcome.first_reasoning_ns),
        first_answer_ns=moved(outcome.first_answer_ns),
    )


def start_skew_ms(starts_ns: Sequence[int]) -> float | None:
    """Spread (max - min, ms) of the actors' start instants on one clock; None for fewer than two."""
    if len(starts_ns) < 2:
        return None
    return (max(starts_ns) - min(starts_ns)) / 1e6


def merge_health(healths: Sequence[ClientHealth | None]) -> ClientHealth | None:
    """The level's client health from its actors': saturated when any actor was, with which and why; the
    worst lag and CPU of any actor, the CPU seconds of all."""
    known = [(i, h) for i, h in enumerate(healths) if h is not None]
    if not known:
        return None

    def worst(values: list[float | None]) -> float | None:
        present = [v for v in values if v is not None]
        return max(present) if present else None

    reasons = [f"actor {i}: {h.reason}" for i, h in known if h.saturated and h.reason]
    return ClientHealth(
        loop_lag_p99_ms=worst([h.loop_lag_p99_ms for _, h in known]),
        loop_lag_max_ms=worst([h.loop_lag_max_ms for _, h in known]),
        cpu_percent=worst([h.cpu_percent for _, h in known]),
        cpu_seconds=round(sum(h.cpu_seconds or 0.0 for _, h in known), 4),
        saturated=any(h.saturated for _, h in known),
        reason="; ".join(reasons) or None,
    )


class ClientActor:
    """One client actor (made a Ray actor by `collector.load.cluster`): runs shares of levels on request.

    Its methods are coroutines, so Ray runs them on the actor's event loop and `stop` can arrive while
    `run` is sending."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._state: LevelState | None = None
        self._stop = False

    async def describe(self) -> tuple[str, str, int]:
        """(Ray node id, host name, process id)."""
        import ray  # the actor runs inside Ray: it is installed there

        return ray.get_runtime_context().get_node_id(), socket.gethostname(), os.getpid()

    async def clock(self) -> int:
        return time.perf_counter_ns()

    async def done(self) -> int:
        """Requests finished in the current share so far (for progress, and for tests)."""
        return 0 if self._state is None else len(self._state.outcomes)

    async def run(self, job: WorkerJob) -> ShareResult:
        """The share `job` (its start_ns on this actor's clock); what was done when stopped or refused."""
        self._stop = False
        state = self._state = LevelState(total=job.count)
        result = ShareResult(outcomes=state.outcomes)
        await wait_until(job.start_ns)
        if self._stop:  # stopped before it started
            return result
        result.began_ns = time.perf_counter_ns()
        async with LoopMonitor() as monitor:
            self._task = asyncio.create_task(run_share(job, state))
            try:
                await self._task
            except asyncio.CancelledError:
                pass  # stopped (Ctrl-C on the driver): what was done goes back
            except ServerGone as exc:
                result.server_gone = str(exc)
            finally:
                self._task = None
        result.health = monitor.health()
        return result

    async def stop(self) -> None:
        """Stop the running share; `run` returns what was done."""
        self._stop = True
        if self._task is not None:
            self._task.cancel()
