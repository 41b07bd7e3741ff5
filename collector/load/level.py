"""One load level as a frozen value: what the scheduler, the worker processes and the level's result need,
taken once from the options (by `collector.run.sweep.level_spec`) instead of threading a dozen loose
parameters through every layer."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LevelSpec"]


@dataclass(frozen=True)
class LevelSpec:
    concurrency: int | None  # closed loop: virtual users; None in rate mode
    rate: float | None  # open loop: target arrivals per second; None in closed-loop mode
    trial: int  # 0-based repeat of this level
    first_index: int  # where in the prompt list the level's counted requests start
    count: int | None  # counted requests (None: duration only)
    duration_s: float | None
    burstiness: float
    max_concurrency: int | None
    seed: int  # the arrival schedule's seed (the options' seed + the trial)
    retries: int
    total_timeout_s: float

    @property
    def open_loop(self) -> bool:
        return self.rate is not None

    @property
    def label(self) -> str:
        return f"c={self.concurrency}" if self.rate is None else f"rate={self.rate:g}/s"
