"""The self-check tells a busy client from a starved one, with the host's figures (hand-computed /proc)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from collector.measure import selfcheck
from collector.measure.hostload import (
    CpuTimes,
    cpu_interval,
    parse_cpu_times,
    parse_loadavg,
    parse_process_cpu_ticks,
    read_cpu_times,
    read_load_1m,
    read_process_cpu_ticks,
)
from collector.measure.selfcheck import BUSY_ADVICE, STARVED_ADVICE, LoopMonitor, assess

STAT_BEFORE = """cpu  1000 50 300 8000 100 10 40 20 0 0
cpu0 500 25 150 4000 50 5 20 10 0 0
cpu1 500 25 150 4000 50 5 20 10 0 0
intr 12345
"""
STAT_AFTER = "cpu  1150 50 350 8150 110 10 40 40 0 0\n"


def test_cpu_line_busy_and_steal_by_hand() -> None:
    before, after = parse_cpu_times(STAT_BEFORE), parse_cpu_times(STAT_AFTER)
    assert before == CpuTimes(1000, 50, 300, 8000, 100, 10, 40, 20)
    assert before is not None and after is not None
    # busy: user+nice+system+irq+softirq = 1400 -> 1600; total adds idle, iowait, steal: 9520 -> 9900.
    assert (before.busy, before.total, after.busy, after.total) == (1400, 9520, 1600, 9900)
    interval = cpu_interval(before, after, ticks_per_s=100)
    assert interval is not None
    assert interval.busy_s == pytest.approx(2.0)  # 200 ticks at 100 Hz
    assert interval.steal_percent == pytest.approx(100 * 20 / 380)  # 5.263%


def test_cpu_interval_rejects_counters_that_went_back() -> None:
    before, after = parse_cpu_times(STAT_AFTER), parse_cpu_times(STAT_BEFORE)
    assert before is not None and after is not None
    assert cpu_interval(before, after, 100) is None
    same = cpu_interval(before, before, 100)
    assert same is not None and same.busy_s == 0 and same.steal_percent is None  # no time passed


def test_old_kernels_short_cpu_line_and_garbage() -> None:
    assert parse_cpu_times("cpu 10 0 5 100\n") == CpuTimes(10, 0, 5, 100)
    assert parse_cpu_times("cpu 10 0\n") is None
    assert parse_cpu_times("cpu0 1 2 3 4\n") is None  # only the aggregate line counts
    assert parse_cpu_times("cpu x y z w\n") is None


def test_loadavg_and_process_ticks() -> None:
    assert parse_loadavg("10.52 8.61 3.70 2/345 6789\n") == 10.52
    assert parse_loadavg("") is None and parse_loadavg("busy") is None
    # A command name with spaces and parentheses; utime 250 + stime 75.
    stat = "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 100 0 0"
    assert parse_process_cpu_ticks(stat) == 325
    assert parse_process_cpu_ticks("1234 (x) S 1") is None


def test_missing_proc_gives_none_never_raises(tmp_path: Path) -> None:
    assert read_cpu_times(tmp_path) is None
    assert read_load_1m(tmp_path) is None
    assert read_process_cpu_ticks(1, tmp_path) is None


def test_busy_by_own_cpu() -> None:
    health = assess([1.0] * 100, cpu_s=0.95, wall_s=1.0, host_busy_s=1.9, steal_percent=0.0, load_1m=1.0)
    assert health.saturated and not health.starved and health.cause == "busy"
    assert health.cpu_percent == 95.0 and health.advice == BUSY_ADVICE
    assert health.reason is not None and "collector CPU 95% of a core > 90%" in health.reason
    assert health.client_cpu_share_percent == 50.0  # 0.95 / 1.9


def test_busy_by_lag_with_high_cpu() -> None:
    health = assess([10.0] * 100, cpu_s=0.6, wall_s=1.0)
    assert health.cause == "busy" and health.saturated and not health.starved
    assert health.reason is not None and "lag p99 10.0 ms > 5 ms with collector CPU 60% of a core" in (
        health.reason
    )


def test_starved_late_loop_low_cpu_names_the_figures() -> None:
    health = assess([20.0] * 100, cpu_s=0.02, wall_s=1.0, host_busy_s=1.9, steal_percent=0.5, load_1m=10.0)
    assert health.starved and not health.saturated and health.cause == "starved"
    assert health.advice == STARVED_ADVICE
    assert health.reason is not None
    for figure in ("lag p99 20.0 ms", "only 2% of a core", "host load 10.00", "steal 0.5%", "client 1% of"):
        assert figure in health.reason, (figure, health.reason)
    assert health.client_cpu_share_percent == 1.1  # 0.02 / 1.9 = 1.05%
    assert (health.host_load_1m, health.host_steal_percent) == (10.0, 0.5)


def test_clean_level() -> None:
    health = assess([1.0] * 100, cpu_s=0.1, wall_s=1.0, host_busy_s=0.5, steal_percent=0.0, load_1m=0.3)
    assert not health.saturated and not health.starved
    assert health.cause is None and health.reason is None and health.advice is None
    assert health.client_cpu_share_percent == 20.0 and health.host_load_1m == 0.3


def test_share_capped_and_unknown_host() -> None:
    # /proc/stat ticks are 10 ms: a client's ns-exact CPU can pass the host's figure over a short span.
    assert assess([], cpu_s=0.012, wall_s=0.1, host_busy_s=0.01).client_cpu_share_percent == 100.0
    health = assess([20.0] * 10, cpu_s=0.0, wall_s=1.0)  # no /proc: the cause is still told
    assert health.starved and health.host_load_1m is None and health.client_cpu_share_percent is None


def test_monitor_without_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selfcheck, "read_cpu_times", lambda: None)
    monkeypatch.setattr(selfcheck, "read_load_1m", lambda: None)

    async def level() -> LoopMonitor:
        async with LoopMonitor() as monitor:
            await asyncio.sleep(0.05)
        return monitor

    health = asyncio.run(level()).health()
    assert health.host_load_1m is None and health.host_steal_percent is None
    assert health.client_cpu_share_percent is None and health.cpu_seconds is not None


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs Linux /proc")
def test_monitor_records_host_figures_on_linux() -> None:
    async def level() -> LoopMonitor:
        async with LoopMonitor() as monitor:
            await asyncio.sleep(0.2)  # some ticks pass on every CPU
        return monitor

    health = asyncio.run(level()).health()
    assert health.host_load_1m is not None and health.host_load_1m >= 0
    assert health.host_steal_percent is not None and health.host_steal_percent >= 0
