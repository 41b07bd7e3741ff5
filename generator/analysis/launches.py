"""Launch figures over many runs, and the seed's load levels: pure functions, hand-checked in tests.

Startup time and memory footprint are one value per run (its launch), not per load level, so they are pooled
over runs: the median, the range (min - max) and n, the number of runs that measured it. Only the launches
the collector saw happen count (managed `--launch` servers and the embedded engine); an external server's
start is not seen, and a run without the figure is "not measured", never 0.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from collector.schema import RunRecord
from generator.data.columns import NOT_MEASURED, LaunchColumn

# The user counts the seed benchmark (BentoML's comparison of vLLM, LMDeploy, MLC-LLM, TRT-LLM and TGI)
# reported tokens per second per user at.
SEED_USERS: tuple[int, ...] = (10, 50, 100)
MEASURED_MODES = ("managed", "embedded")


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float
    n: int

    def text(self, column: LaunchColumn) -> str:
        """'5.48 s (5.08 – 5.89, n=2)'; one run: '5.89 s (n=1)'."""
        head = column.format(self.median)
        if self.n == 1:
            return f"{head} (n=1)"
        return f"{head} ({format(self.low, column.fmt)} – {format(self.high, column.fmt)}, n={self.n})"


def spread(values: Iterable[float]) -> Spread | None:
    """Median, min, max and count of the values; None when there is none."""
    kept = sorted(values)
    if not kept:
        return None
    return Spread(statistics.median(kept), kept[0], kept[-1], len(kept))


def launch_spread(records: Iterable[RunRecord], column: LaunchColumn) -> Spread | None:
    """The column's spread over the runs whose launch the collector saw (managed or embedded)."""
    values = [v for r in records if r.launch.mode in MEASURED_MODES and (v := column.read(r)) is not None]
    return spread(values)


def spread_text(value: Spread | None, column: LaunchColumn) -> str:
    return NOT_MEASURED if value is None else value.text(column)


def nearest_load(loads: Sequence[float], target: float) -> float | None:
    """The measured load nearest to the target (ties go to the lower load, the one measured with less
    queueing); None when nothing was measured."""
    return min(loads, key=lambda load: (abs(load - target), load), default=None)
