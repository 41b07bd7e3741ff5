"""Confidence intervals across repeated trials of a load level (`--repeats K`).

Percentile bootstrap over trials: each trial is one observation of a headline metric (e.g. the p50 TTFT of
that trial); the trials are resampled with replacement and the statistic recomputed on each resample.
Deterministic for a given seed. With few trials (K < 5 or so) the interval is narrow-biased — the run
records the number of trials next to every interval so a reader can judge.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from collector.schema import ConfidenceInterval, LevelResult, RepeatSummary, Summary

FloatArray = npt.NDArray[np.float64]
Statistic = Callable[[FloatArray], float]

# Headline metrics that get an interval: "<LevelResult field>" or "<Summary field>.<statistic>".
HEADLINE_METRICS: tuple[str, ...] = (
    "ttft_ms.p50",
    "ttft_ms.p99",
    "tpot_ms.p50",
    "output_throughput_tok_s",
    "per_user_tok_s.p50",
)


def mean(values: FloatArray) -> float:
    """Arithmetic mean (the default statistic)."""
    return float(np.mean(values))


def median(values: FloatArray) -> float:
    """Median, for callers that want a robust statistic."""
    return float(np.median(values))


def bootstrap_ci(
    values: Sequence[float],
    stat: Statistic = mean,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> ConfidenceInterval:
    """Percentile-bootstrap confidence interval of `stat` over `values` (one value per trial).

    Resampling: `rng = numpy.random.default_rng(seed)`, `rng.integers(0, n, size=(resamples, n))` indexes
    the resamples; the bounds are the (1-level)/2 and (1+level)/2 percentiles (linear interpolation) of the
    statistic over the resamples. One value gives an interval equal to the estimate.
    """
    data = np.asarray(values, dtype=np.float64)
    if data.ndim != 1 or data.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    if not np.all(np.isfinite(data)):
        raise ValueError("bootstrap_ci values must be finite numbers")
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    estimate = stat(data)
    n = data.size
    if n == 1:
        return ConfidenceInterval(estimate=estimate, low=estimate, high=estimate, level=level, trials=1)
    indices = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    resampled = data[indices]
    if stat is mean:  # the common case, vectorised
        boot = resampled.mean(axis=1)
    else:
        boot = np.fromiter((stat(row) for row in resampled), dtype=np.float64, count=resamples)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(boot, [tail, 100.0 - tail])
    # Floating-point summation can put a bound a hair outside the estimate for constant data.
    low, high = min(float(low), estimate), max(float(high), estimate)
    return ConfidenceInterval(
        estimate=estimate, low=low, high=high, level=level, method="bootstrap-percentile", trials=n
    )


def headline_value(result: LevelResult, metric: str) -> float | None:
    """The value of one headline metric (`field` or `field.statistic`) in a level result, if present."""
    field, _, statistic = metric.partition(".")
    value = getattr(result, field)
    if statistic:
        if value is None:
            return None
        if not isinstance(value, Summary):
            raise ValueError(f"{field} is not a summary, cannot take {statistic!r}")
        value = getattr(value, statistic)
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def repeat_summaries(
    results: Sequence[LevelResult],
    metrics: Sequence[str] = HEADLINE_METRICS,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
    min_trials: int = 2,
) -> list[RepeatSummary]:
    """One summary per load level (grouped by concurrency and request rate, in first-seen order).

    Only trials with status 'complete' count: an interrupted trial would bias the interval. Levels with
    fewer than `min_trials` complete trials get no summary (their single figures already are the estimate).
    A metric missing from some trials (e.g. no TPOT when every output was one token) gets an interval over
    the trials that have it, with its own `trials` count.
    """
    groups: dict[tuple[int | None, float | None], list[LevelResult]] = {}
    for result in results:
        groups.setdefault((result.concurrency, result.request_rate), []).append(result)
    summaries: list[RepeatSummary] = []
    for (concurrency, rate), trials in groups.items():
        complete = [t for t in trials if t.status == "complete"]
        if len(complete) < max(1, min_trials):
            continue
        intervals: dict[str, ConfidenceInterval] = {}
        for metric in metrics:
            values = [v for v in (headline_value(t, metric) for t in complete) if v is not None]
            if values:
                intervals[metric] = bootstrap_ci(values, level=level, resamples=resamples, seed=seed)
        summaries.append(
            RepeatSummary(
                concurrency=concurrency, request_rate=rate, trials=len(complete), intervals=intervals
            )
        )
    return summaries
