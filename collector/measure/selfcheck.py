"""The collector's self-check: is the client itself the bottleneck while a level runs, and if so, why?

A background task sleeps in short ticks and records how late each wake-up is (event-loop lag). Around the
level the monitor reads the CPU time of the event-loop thread and the host's /proc/stat (busy CPU, steal)
and load average. A late loop has two different causes with two different fixes:

- busy: the client's own CPU is high (it cannot keep up with the work it was given): add --workers;
- starved: the loop ran late while the client's CPU stayed low: something else (usually an engine sharing
  the cores) held the CPU the client needed: isolate the engine or quiet the host.

Either way the level's latencies include the client's own delay, so the level is not clean.

The client's CPU is the loop thread's (`time.thread_time()`), not the process's (`time.process_time()`):
the embedded engine runs inside this process on its own threads, so process CPU would count the engine's
compute as the client's and call a client busy whenever the engine works.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import numpy as np

from collector.measure.hostload import (
    CpuInterval,
    CpuTimes,
    cpu_interval,
    read_cpu_times,
    read_load_1m,
    ticks_per_second,
)
from collector.schema import ClientHealth

TICK_S = 0.005
LAG_P99_LIMIT_MS = 5.0
CPU_LIMIT_PERCENT = 90.0  # client CPU, percent of one core, above which the client is busy on its own
# Below this client CPU (percent of one core) a late loop cannot be the client's own work: it was starved.
BUSY_CPU_PERCENT = 50.0
BUSY_ADVICE = "add --workers (or a faster client host)"
STARVED_ADVICE = "isolate the engine (--engine-cpus/--client-cpus) or quiet the host"


def _host_figures(load_1m: float | None, steal_percent: float | None, share: float | None) -> str:
    parts = []
    if load_1m is not None:
        parts.append(f"host load {load_1m:.2f}")
    if steal_percent is not None:
        parts.append(f"steal {steal_percent:.1f}%")
    if share is not None:
        parts.append(f"client {share:.0f}% of the host's busy CPU")
    return ", ".join(parts)


def cpu_share_percent(cpu_s: float, host_busy_s: float | None) -> float | None:
    """The client's CPU as a percent of all busy CPU on the host over the same span.

    Capped at 100: /proc/stat counts whole ticks (10 ms) while the thread clock counts nanoseconds, so over
    a short, idle span the client's figure can exceed the host's by up to a tick.
    """
    if host_busy_s is None or host_busy_s <= 0:
        return None
    return min(100.0, 100.0 * cpu_s / host_busy_s)


def assess(
    lags_ms: list[float],
    cpu_s: float,
    wall_s: float,
    *,
    host_busy_s: float | None = None,
    steal_percent: float | None = None,
    load_1m: float | None = None,
) -> ClientHealth:
    """Pure: client health from loop-lag samples, the client's CPU seconds over a wall-clock span, and the
    host's busy CPU seconds, steal percent and load over the same span (None where unknown)."""
    p99 = float(np.percentile(lags_ms, 99)) if lags_ms else None
    worst = max(lags_ms) if lags_ms else None
    cpu_pct = 100.0 * cpu_s / wall_s if wall_s > 0 else None
    share = cpu_share_percent(cpu_s, host_busy_s)
    lag_late = p99 is not None and p99 > LAG_P99_LIMIT_MS
    # Without a CPU figure a late loop keeps the conservative reading (busy): the cause cannot be told.
    cpu_high = cpu_pct is None or cpu_pct >= BUSY_CPU_PERCENT
    cpu_text = "unknown" if cpu_pct is None else f"{cpu_pct:.0f}% of a core"
    reasons = []
    cause = None
    if cpu_pct is not None and cpu_pct > CPU_LIMIT_PERCENT:
        cause = "busy"
        reasons.append(f"collector CPU {cpu_text} > {CPU_LIMIT_PERCENT:g}%")
    if lag_late and cpu_high:
        cause = "busy"
        reasons.append(
            f"event-loop lag p99 {p99:.1f} ms > {LAG_P99_LIMIT_MS:g} ms with collector CPU {cpu_text}"
        )
    elif lag_late:
        cause = "starved"
        reasons.append(
            f"event-loop lag p99 {p99:.1f} ms > {LAG_P99_LIMIT_MS:g} ms while collector CPU was only "
            f"{cpu_text} (< {BUSY_CPU_PERCENT:g}%): other work held the cores"
        )
    host = _host_figures(load_1m, steal_percent, share)
    if reasons and host:
        reasons.append(host)
    return ClientHealth(
        loop_lag_p99_ms=None if p99 is None else round(p99, 3),
        loop_lag_max_ms=None if worst is None else round(worst, 3),
        cpu_percent=None if cpu_pct is None else round(cpu_pct, 1),
        cpu_seconds=round(cpu_s, 4),
        saturated=cause == "busy",
        starved=cause == "starved",
        cause=cause,
        reason="; ".join(reasons) or None,
        advice={"busy": BUSY_ADVICE, "starved": STARVED_ADVICE}.get(cause or ""),
        host_load_1m=None if load_1m is None else round(load_1m, 2),
        host_steal_percent=None if steal_percent is None else round(steal_percent, 2),
        client_cpu_share_percent=None if share is None else round(share, 1),
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
        self._host0: CpuTimes | None = None
        self._host: CpuInterval | None = None
        self._load_1m: float | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.tick_s)
            late = time.perf_counter() - before - self.tick_s
            self.lags_ms.append(max(0.0, late * 1000.0))

    async def __aenter__(self) -> LoopMonitor:
        self._host0 = read_cpu_times()
        self._cpu0, self._wall0 = time.thread_time(), time.perf_counter()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cpu1, self._wall1 = time.thread_time(), time.perf_counter()
        host1 = read_cpu_times()
        if self._host0 is not None and host1 is not None:
            self._host = cpu_interval(self._host0, host1, ticks_per_second())
        self._load_1m = read_load_1m()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def health(self) -> ClientHealth:
        host = self._host
        return assess(
            self.lags_ms,
            self._cpu1 - self._cpu0,
            self._wall1 - self._wall0,
            host_busy_s=None if host is None else host.busy_s,
            steal_percent=None if host is None else host.steal_percent,
            load_1m=self._load_1m,
        )
