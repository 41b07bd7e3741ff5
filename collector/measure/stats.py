"""Confidence intervals across repeated trials of a load level (`--repeats K`).

Each trial is one observation of a headline metric (e.g. the p50 TTFT of that trial). The run files carry
a Student-t interval of the mean over the complete trials: with the 2-5 trials people actually run, a
percentile bootstrap is not a 95% interval (with 2 trials it is roughly their range), while the t interval
widens honestly as n shrinks. The number of trials is recorded next to every interval. `bootstrap_ci` stays
for callers that want a distribution-free interval on many trials.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from collector.schema import HEADLINE_METRICS, ConfidenceInterval, LevelResult, RepeatSummary, Summary
from collector.schema.tdist import t_cdf, t_quantile

FloatArray = npt.NDArray[np.float64]
Statistic = Callable[[FloatArray], float]

# t_cdf and t_quantile live in collector.schema.tdist (the site computes pooled intervals with them too).
__all__ = [
    "HEADLINE_METRICS",
    "bootstrap_ci",
    "mean",
    "median",
    "repeat_summaries",
    "student_t_ci",
    "t_cdf",
    "t_quantile",
]


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


def student_t_ci(
    values: Sequence[float], level: float = 0.95, *, floor: float | None = None
) -> ConfidenceInterval:
    """Student-t confidence interval of the mean: mean +- t(level, n-1) * s / sqrt(n), s the sample std.

    One value gives an interval equal to the estimate (method "single-trial"): there is no spread to speak of.
    `floor`: the smallest value the metric can take (0 for latencies and throughputs); with 2-3 noisy trials
    the t interval can reach below it, and a bound no measurement can have is cut there (method says so).
    """
    data = np.asarray(values, dtype=np.float64)
    if data.ndim != 1 or data.size == 0:
        raise ValueError("student_t_ci needs at least one value")
    if not np.all(np.isfinite(data)):
        raise ValueError("student_t_ci values must be finite numbers")
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
    estimate = float(np.mean(data))
    n = int(data.size)
    if n == 1:
        return ConfidenceInterval(
            estimate=estimate, low=estimate, high=estimate, level=level, method="single-trial", trials=1
        )
    half = t_quantile((1.0 + level) / 2.0, n - 1) * float(np.std(data, ddof=1)) / math.sqrt(n)
    low, method = estimate - half, "student-t"
    if floor is not None and low < floor:
        low, method = floor, f"student-t, low bound cut at {floor:g}"
    return ConfidenceInterval(
        estimate=estimate, low=low, high=estimate + half, level=level, method=method, trials=n
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
                # every headline metric is a latency, a throughput or tokens/s: none can be negative
                intervals[metric] = student_t_ci(values, level=level, floor=0.0)
        summaries.append(
            RepeatSummary(
                concurrency=concurrency, request_rate=rate, trials=len(complete), intervals=intervals
            )
        )
    return summaries
