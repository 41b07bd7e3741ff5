"""The collector's self-check: is the client itself the bottleneck while a level runs?

A background task sleeps in short ticks and records how late each wake-up is (event-loop lag); CPU time of
the event-loop thread (not the process: an in-process engine has its own threads) is read around the level.
Lag or CPU past the thresholds marks the level `client_saturated`, because from then on measured
latencies include the client's own queueing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import numpy as np

from collector.schema import ClientHealth

TICK_S = 0.005
LAG_P99_LIMIT_MS = 5.0
CPU_LIMIT_PERCENT = 90.0


def assess(lags_ms: list[float], cpu_s: float, wall_s: float) -> ClientHealth:
    """Pure: client health from loop-lag samples and CPU seconds over a wall-clock span."""
    p99 = float(np.percentile(lags_ms, 99)) if lags_ms else None
    worst = max(lags_ms) if lags_ms else None
    cpu_pct = 100.0 * cpu_s / wall_s if wall_s > 0 else None
    reasons = []
    if p99 is not None and p99 > LAG_P99_LIMIT_MS:
        reasons.append(f"event-loop lag p99 {p99:.1f} ms > {LAG_P99_LIMIT_MS:g} ms")
    if cpu_pct is not None and cpu_pct > CPU_LIMIT_PERCENT:
        reasons.append(f"collector CPU {cpu_pct:.0f}% of a core > {CPU_LIMIT_PERCENT:g}%")
    return ClientHealth(
        loop_lag_p99_ms=None if p99 is None else round(p99, 3),
        loop_lag_max_ms=None if worst is None else round(worst, 3),
        cpu_percent=None if cpu_pct is None else round(cpu_pct, 1),
        cpu_seconds=round(cpu_s, 4),
        saturated=bool(reasons),
        reason="; ".join(reasons) or None,
    )


class LoopMonitor:
    """Use as `async with LoopMonitor() as mon: ...`; then `mon.health()`."""

    def __init__(self, tick_s: float = TICK_S) -> None:
        self.tick_s = tick_s
        self.lags_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self._cpu0 = 0.0
        self._wall0 = 0.0
        self._cpu1 = 0.0
        self._wall1 = 0.0

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.tick_s)
            late = time.perf_counter() - before - self.tick_s
            self.lags_ms.append(max(0.0, late * 1000.0))

    async def __aenter__(self) -> LoopMonitor:
        self._cpu0, self._wall0 = time.thread_time(), time.perf_counter()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cpu1, self._wall1 = time.thread_time(), time.perf_counter()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def health(self) -> ClientHealth:
        return assess(self.lags_ms, self._cpu1 - self._cpu0, self._wall1 - self._wall0)
