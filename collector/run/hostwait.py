"""The host's load before each level, and the bounded wait for a quiet host (`--quiet-wait`).

A benchmark run while other heavy work shares the host measures that work. Before every level the collector
watches the host for HOST_WINDOW_S and records, as the level's `host`, the CPU used by OTHER processes: the
host's busy CPU minus this process's CPU and minus its descendants' CPU.

- This process: `time.process_time()`, which counts all its threads, the in-process embedded engine's
  included (here that is wanted: the engine is ours, not "other" load).
- Its descendants: utime + stime from /proc/<pid>/stat of every process below this one, which covers a
  `--launch`ed server's whole tree (started by the collector, so its child) and `--workers` processes.
  A server the collector did not start (an external URL, a container started by a daemon) counts as
  other load: it is, as far as this host can tell.

With --quiet-wait the window is repeated until other processes use at most --quiet-cores cores or the
wait runs out; then the level runs anyway and `host.quiet` says it was not quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from collector.measure.hostload import (
    cpu_interval,
    read_cpu_times,
    read_load_1m,
    read_process_cpu_ticks,
    ticks_per_second,
)
from collector.schema import HostLoad
from collector.server.launch import process_tree

# Long enough that /proc/stat's 10 ms ticks resolve a quarter of a core well (0.02 cores per tick), short
# enough to add little to a level.
HOST_WINDOW_S = 0.5


@dataclass(frozen=True)
class HostSample:
    """One window of host load; None where /proc could not say."""

    load_1m: float | None
    other_cpu_cores: float | None
    steal_percent: float | None


Sampler = Callable[[], Awaitable[HostSample]]
OnWait = Callable[[HostSample, float], None]


def other_cpu_cores(host_busy_s: float, own_s: float, descendants_s: float, wall_s: float) -> float | None:
    """Pure: cores used by other processes over a window: (host busy - ours - our children's) / wall.

    Floored at 0: the host's busy time is counted in 10 ms ticks, ours in nanoseconds, so on an otherwise
    idle host the difference can dip a tick below zero.
    """
    if wall_s <= 0:
        return None
    return max(0.0, (host_busy_s - own_s - descendants_s) / wall_s)


def is_quiet(sample: HostSample, threshold_cores: float) -> bool | None:
    """Pure: whether the sample is under the threshold; None when the host's CPU use is unknown."""
    if sample.other_cpu_cores is None:
        return None
    return sample.other_cpu_cores <= threshold_cores


def _descendant_ticks() -> dict[int, int]:
    """CPU ticks (utime + stime) of every process below this one."""
    with contextlib.suppress(OSError):
        tree = process_tree(os.getpid())
        ticks = {pid: read_process_cpu_ticks(pid) for pid in tree if pid != os.getpid()}
        return {pid: t for pid, t in ticks.items() if t is not None}
    return {}


async def sample_host(window_s: float = HOST_WINDOW_S) -> HostSample:
    """Watch the host for `window_s` (asleep, so a Ctrl-C cancels it at once). Without /proc: no figures,
    no wait."""
    cpu0 = read_cpu_times()
    if cpu0 is None:
        return HostSample(read_load_1m(), None, None)
    kids0, own0, wall0 = _descendant_ticks(), time.process_time(), time.perf_counter()
    await asyncio.sleep(window_s)
    cpu1, kids1, own1, wall1 = read_cpu_times(), _descendant_ticks(), time.process_time(), time.perf_counter()
    hz = ticks_per_second()
    interval = None if cpu1 is None else cpu_interval(cpu0, cpu1, hz)
    if interval is None:
        return HostSample(read_load_1m(), None, None)
    # A process born inside the window ran only inside it: all its ticks count.
    kids_s = sum(max(0, t - kids0.get(pid, 0)) for pid, t in kids1.items()) / hz
    other = other_cpu_cores(interval.busy_s, own1 - own0, kids_s, wall1 - wall0)
    steal = interval.steal_percent
    return HostSample(
        load_1m=read_load_1m(),
        other_cpu_cores=None if other is None else round(other, 3),
        steal_percent=None if steal is None else round(steal, 2),
    )


async def host_before_level(
    *,
    wait_s: float,
    threshold_cores: float,
    sample: Sampler | None = None,
    clock: Callable[[], float] = time.monotonic,
    on_wait: OnWait | None = None,
) -> HostLoad:
    """The host's load just before a level; with wait_s > 0, sampled again until it is quiet or wait_s has
    passed. `waited_s` counts the time after the first window (0 when the host was quiet at once).
    `sample` defaults to `sample_host`, looked up at call time."""
    sample = sample or sample_host
    current = await sample()
    if wait_s <= 0:
        return HostLoad(
            load_1m=current.load_1m,
            other_cpu_cores=current.other_cpu_cores,
            steal_percent=current.steal_percent,
        )
    start, waited = clock(), 0.0
    while is_quiet(current, threshold_cores) is False and waited < wait_s:
        if on_wait is not None:
            on_wait(current, waited)
        current = await sample()
        waited = clock() - start
    return HostLoad(
        load_1m=current.load_1m,
        other_cpu_cores=current.other_cpu_cores,
        steal_percent=current.steal_percent,
        threshold_cores=threshold_cores,
        waited_s=round(waited, 1),
        quiet=is_quiet(current, threshold_cores),
    )
