"""Student's t distribution, pure Python: the collector's confidence intervals and the site's pooled
verdicts use this one definition (the site may import only `collector.schema`, so it lives here)."""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Sequence


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        for aa in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _incomplete_beta(a: float, b: float, x: float) -> float:
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: int) -> float:
    """CDF of Student's t distribution (no scipy dependency for one function)."""
    tail = 0.5 * _incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


# Pure, and asked for the same few (level, degrees of freedom) thousands of times by one site build.
@functools.lru_cache(maxsize=1024)
def t_quantile(p: float, df: int) -> float:
    """Quantile of Student's t distribution by bisection on `t_cdf` (monotone, so bisection converges)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"probability must be between 0 and 1, got {p}")
    low, high = -1e6, 1e6
    for _ in range(200):
        mid = (low + high) / 2.0
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2.0


def mean_interval(
    values: Sequence[float], level: float = 0.95, floor: float | None = 0.0
) -> tuple[float, float | None, float | None]:
    """(mean, low, high): the Student-t interval of the mean, mean +- t(level, n-1) * s / sqrt(n).

    One value has no interval (low and high are None). `floor` is the smallest value the quantity can take
    (0 for throughputs and latencies): a low bound below it is cut there, never shown.
    """
    if not values:
        raise ValueError("mean_interval needs at least one value")
    estimate = statistics.fmean(values)
    if len(values) < 2:
        return estimate, None, None
    n = len(values)
    half = t_quantile((1.0 + level) / 2.0, n - 1) * statistics.stdev(values) / math.sqrt(n)
    low = estimate - half
    if floor is not None:
        low = max(low, floor)
    return estimate, low, estimate + half
