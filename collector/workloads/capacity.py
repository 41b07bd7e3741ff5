"""Capacity under an SLO: the largest load at which enough requests meet every latency target.

A pure search over an injected probe: `probe(level)` runs one normal load level (a concurrency or a request
rate) and returns its SLO attainment, the fraction of all requests sent at that level that completed and met
every SLO given (the level's `goodput.fraction`; failed requests count as misses). A level passes when its
attainment reaches the target.

The search assumes attainment falls as load rises. It expands geometrically from the lowest level (x2 per
step, clamped to the maximum) until a level fails, then bisects between the last passing and the first
failing level: integer concurrency is resolved exactly (the capacity passes and capacity + 1 was probed and
failed); a rate is resolved until (fail - pass) / pass <= the stated relative precision. No level is probed
twice. A server that still passes at the maximum reports the maximum as a lower bound; one that fails at the
lowest level reports zero capacity.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from collector.errors import InferboardError
from collector.schema import SLO, Capacity, CapacityProbe

Mode = Literal["concurrency", "rate"]
Probe = Callable[[float], Awaitable[float]]

DEFAULT_ATTAINMENT = 0.99
DEFAULT_RATE_PRECISION = 0.05
DEFAULT_MAX = {"concurrency": 256.0, "rate": 256.0}
DEFAULT_START = {"concurrency": 1.0, "rate": 1.0}


class CapacityError(InferboardError, ValueError):
    """A capacity search that cannot run as asked; the message says why in one line."""


def parse_slo(text: str) -> SLO:
    """`ttft=MS[,tpot=MS,e2e=MS]` -> SLO; at least one limit, each a positive number of milliseconds."""
    limits: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep or name not in ("ttft", "tpot", "e2e"):
            raise CapacityError(f"--slo {text!r}: expected ttft=MS[,tpot=MS,e2e=MS], got {part!r}")
        if name in limits:
            raise CapacityError(f"--slo {text!r}: {name} given twice")
        try:
            ms = float(value)
        except ValueError:
            raise CapacityError(f"--slo {text!r}: {name} limit {value!r} is not a number") from None
        if not math.isfinite(ms) or ms <= 0:
            raise CapacityError(f"--slo {text!r}: {name} limit must be a positive number of ms")
        limits[name] = ms
    if not limits:
        raise CapacityError(f"--slo {text!r}: give at least one limit, e.g. ttft=500")
    return SLO(ttft_ms=limits.get("ttft"), tpot_ms=limits.get("tpot"), e2e_ms=limits.get("e2e"))


@dataclass
class CapacitySearch:
    """One search; `probes` keeps every level measured, so an interrupted search still reports them."""

    mode: Mode
    slo: SLO
    attainment: float = DEFAULT_ATTAINMENT
    maximum: float | None = None
    start: float | None = None
    precision: float = DEFAULT_RATE_PRECISION
    probes: list[CapacityProbe] = field(default_factory=list)
    on_probe: Callable[[CapacityProbe, str], None] | None = None  # (probe, phase) for the progress display

    def __post_init__(self) -> None:
        if self.mode not in ("concurrency", "rate"):
            raise CapacityError(f"--find-capacity must be 'concurrency' or 'rate', not {self.mode!r}")
        if not 0 < self.attainment <= 1:
            raise CapacityError(f"--slo-attainment must be in (0, 1], got {self.attainment:g}")
        if self.maximum is None:
            self.maximum = DEFAULT_MAX[self.mode]
        if self.start is None:
            self.start = DEFAULT_START[self.mode]
        if self.mode == "concurrency":
            for name, v in (("--capacity-max", self.maximum), ("lowest level", self.start)):
                if v != int(v) or v < 1:
                    raise CapacityError(f"{name} must be a whole number of users >= 1, got {v:g}")
        if not (0 < self.start <= self.maximum):
            raise CapacityError(
                f"--capacity-max ({self.maximum:g}) must be at least the lowest level ({self.start:g})"
            )
        if not 0 < self.precision < 1:
            raise CapacityError(f"rate precision must be in (0, 1), got {self.precision:g}")

    def _attainment_of(self, level: float) -> float | None:
        for p in self.probes:
            if p.level == level:
                return p.attainment
        return None

    async def _probe(self, probe: Probe, level: float, phase: str) -> bool:
        known = self._attainment_of(level)
        if known is None:
            known = float(await probe(level))
            item = CapacityProbe(level=level, attainment=known, passed=known >= self.attainment, phase=phase)
            self.probes.append(item)
            if self.on_probe is not None:
                self.on_probe(item, phase)
        return known >= self.attainment

    def _resolved(self, lo: float, hi: float) -> bool:
        if self.mode == "concurrency":
            return hi - lo <= 1
        return (hi - lo) / lo <= self.precision

    def _midpoint(self, lo: float, hi: float) -> float:
        if self.mode == "concurrency":
            return float((int(lo) + int(hi)) // 2)
        return (lo + hi) / 2.0

    async def run(self, probe: Probe) -> Capacity:
        assert self.maximum is not None and self.start is not None
        level = self.start
        if not await self._probe(probe, level, "expand"):
            return self.result()
        lo, hi = level, None
        while lo < self.maximum:
            level = min(lo * 2.0, self.maximum)
            if await self._probe(probe, level, "expand"):
                lo = level
            else:
                hi = level
                break
        if hi is None:
            return self.result()
        while not self._resolved(lo, hi):
            mid = self._midpoint(lo, hi)
            if await self._probe(probe, mid, "bisect"):
                lo = mid
            else:
                hi = mid
        return self.result()

    def result(self, *, interrupted: bool = False) -> Capacity:
        """The outcome from the probes so far (also for a search stopped part-way)."""
        assert self.maximum is not None and self.start is not None
        passing = [p.level for p in self.probes if p.passed]
        capacity = max(passing, default=0.0)
        failing_above = [p.level for p in self.probes if not p.passed and p.level > capacity]
        next_level = min(failing_above, default=None)
        zero = bool(self.probes) and not passing and self.probes[0].level == self.start
        lower_bound = capacity == self.maximum
        if interrupted:
            note = f"search interrupted after {len(self.probes)} probes; capacity is the best level so far"
        elif zero:
            note = (
                f"zero capacity: the lowest level ({_fmt(self.mode, self.start)}) already misses the SLO "
                f"(attainment {self.probes[0].attainment:.3f} < {self.attainment:g})"
            )
        elif lower_bound:
            note = (
                f"lower bound: the SLO is still met at --capacity-max {_fmt(self.mode, self.maximum)}; "
                "the true capacity may be higher"
            )
        elif next_level is not None:
            note = (
                f"capacity {_fmt(self.mode, capacity)}: meets the SLO; {_fmt(self.mode, next_level)} does not"
            )
        else:
            note = "no probes yet"
        return Capacity(
            mode=self.mode,
            capacity=int(capacity) if self.mode == "concurrency" else capacity,
            slo=self.slo,
            attainment_target=self.attainment,
            attainment_at_capacity=self._attainment_of(capacity) if passing else None,
            next_level=next_level,
            attainment_at_next_level=None if next_level is None else self._attainment_of(next_level),
            lower_bound=lower_bound and not interrupted,
            zero_capacity=zero,
            interrupted=interrupted,
            start=self.start,
            maximum=self.maximum,
            rate_precision=self.precision if self.mode == "rate" else None,
            probes=list(self.probes),
            note=note,
        )


def _fmt(mode: Mode, level: float) -> str:
    return f"c={int(level)}" if mode == "concurrency" else f"{level:g} req/s"


async def find_capacity(
    probe: Probe,
    *,
    mode: Mode,
    slo: SLO,
    attainment: float = DEFAULT_ATTAINMENT,
    maximum: float | None = None,
    start: float | None = None,
    precision: float = DEFAULT_RATE_PRECISION,
) -> Capacity:
    """Convenience wrapper: build a CapacitySearch and run it to the end."""
    search = CapacitySearch(
        mode=mode, slo=slo, attainment=attainment, maximum=maximum, start=start, precision=precision
    )
    return await search.run(probe)
