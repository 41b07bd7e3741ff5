"""The host's load from /proc: the 1-minute load average, and busy CPU and steal over an interval.

The parsing and arithmetic are pure functions of the /proc text (tests feed them hand-written samples); the
readers are thin and return None where /proc is missing (not Linux) or unreadable, never raise.

/proc/stat's aggregate `cpu` line counts, in USER_HZ ticks since boot, the time all CPUs together spent in:
user nice system idle iowait irq softirq steal guest guest_nice. guest and guest_nice are already inside
user and nice, so they are not added again. Busy CPU is the time some process (or the kernel working for
one) ran: user + nice + system + irq + softirq. Idle and iowait are no work; steal is time the hypervisor
gave the CPU to another guest, so it is neither ours nor idle, and is reported on its own as a percent of
all CPU time.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_FALLBACK_TICKS_PER_S = 100  # USER_HZ on every mainstream Linux build


@dataclass(frozen=True)
class CpuTimes:
    """The aggregate `cpu` line of /proc/stat, in ticks (fields a kernel does not report are 0)."""

    user: int
    nice: int
    system: int
    idle: int
    iowait: int = 0
    irq: int = 0
    softirq: int = 0
    steal: int = 0

    @property
    def busy(self) -> int:
        return self.user + self.nice + self.system + self.irq + self.softirq

    @property
    def total(self) -> int:
        return self.busy + self.idle + self.iowait + self.steal


@dataclass(frozen=True)
class CpuInterval:
    """What all CPUs of the host did between two /proc/stat samples."""

    busy_s: float  # CPU seconds some process (or the kernel for it) ran, summed over all CPUs
    steal_percent: float | None  # percent of all CPU time stolen by the hypervisor; None: no time passed


def parse_loadavg(text: str) -> float | None:
    """The 1-minute load average from /proc/loadavg text ("0.52 0.61 0.70 2/345 6789")."""
    try:
        value = float(text.split()[0])
    except (IndexError, ValueError):
        return None
    return value if value >= 0 else None


def parse_cpu_times(text: str) -> CpuTimes | None:
    """The aggregate `cpu` line of /proc/stat text (not the per-CPU `cpu0`, `cpu1` lines)."""
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0] != "cpu":
            continue
        try:
            ticks = [int(v) for v in fields[1:9]]
        except ValueError:
            return None
        if len(ticks) < 4:
            return None
        return CpuTimes(*ticks)
    return None


def cpu_interval(before: CpuTimes, after: CpuTimes, ticks_per_s: int) -> CpuInterval | None:
    """Busy CPU seconds and steal percent between two samples; None when the counters went backwards."""
    busy, total, steal = after.busy - before.busy, after.total - before.total, after.steal - before.steal
    if busy < 0 or total < 0 or steal < 0 or ticks_per_s <= 0:
        return None
    return CpuInterval(busy_s=busy / ticks_per_s, steal_percent=100.0 * steal / total if total > 0 else None)


def parse_process_cpu_ticks(text: str) -> int | None:
    """utime + stime (ticks, all threads) from /proc/<pid>/stat text.

    The command name (field 2) may hold spaces and parentheses, so fields are counted after the last ')':
    there field 3 (state) is index 0, so utime (field 14) is index 11 and stime (field 15) index 12.
    """
    fields = text.rsplit(")", 1)[-1].split()
    try:
        return int(fields[11]) + int(fields[12])
    except (IndexError, ValueError):
        return None


def ticks_per_second() -> int:
    """USER_HZ: the unit of /proc/stat and /proc/<pid>/stat CPU times."""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        value = os.sysconf("SC_CLK_TCK")
        if value > 0:
            return value
    return _FALLBACK_TICKS_PER_S


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:  # no /proc (not Linux), or the process is gone
        return None


def read_load_1m(proc: Path = PROC) -> float | None:
    text = _read(proc / "loadavg")
    return None if text is None else parse_loadavg(text)


def read_cpu_times(proc: Path = PROC) -> CpuTimes | None:
    text = _read(proc / "stat")
    return None if text is None else parse_cpu_times(text)


def read_process_cpu_ticks(pid: int, proc: Path = PROC) -> int | None:
    text = _read(proc / str(pid) / "stat")
    return None if text is None else parse_process_cpu_ticks(text)
