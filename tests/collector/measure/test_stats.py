"""Student-t and bootstrap confidence intervals and repeat summaries on known data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from collector.measure.stats import (
    HEADLINE_METRICS,
    bootstrap_ci,
    median,
    repeat_summaries,
    student_t_ci,
    t_quantile,
)
from collector.schema import LevelResult, Summary


def test_identical_values_give_a_zero_width_interval() -> None:
    ci = bootstrap_ci([12.5] * 7)
    assert ci.estimate == ci.low == ci.high == 12.5
    assert ci.trials == 7 and ci.level == 0.95 and ci.method == "bootstrap-percentile"


def test_single_trial_interval_equals_the_estimate() -> None:
    ci = bootstrap_ci([3.0])
    assert (ci.estimate, ci.low, ci.high, ci.trials) == (3.0, 3.0, 3.0, 1)


def test_matches_an_independent_numpy_computation() -> None:
    values = [101.0, 97.5, 110.25, 99.0, 104.75]
    ci = bootstrap_ci(values, resamples=4000, seed=7)
    # Independent re-implementation of the documented procedure, loop by loop.
    rng = np.random.default_rng(7)
    idx = rng.integers(0, len(values), size=(4000, len(values)))
    means = [sum(values[j] for j in row) / len(values) for row in idx]
    low, high = np.percentile(means, [2.5, 97.5])
    assert ci.estimate == pytest.approx(np.mean(values))
    assert ci.low == pytest.approx(low) and ci.high == pytest.approx(high)
    assert ci.low < ci.estimate < ci.high


def test_deterministic_with_seed_and_varies_without() -> None:
    values = [1.0, 2.0, 4.0, 8.0, 16.0]
    assert bootstrap_ci(values, seed=3) == bootstrap_ci(values, seed=3)
    assert bootstrap_ci(values, seed=3) != bootstrap_ci(values, seed=4)


def test_interval_width_is_close_to_the_normal_theory_width() -> None:
    rng = np.random.default_rng(123)
    values = list(rng.normal(50.0, 5.0, size=200))
    ci = bootstrap_ci(values, resamples=3000)
    theory = 2 * 1.96 * np.std(values) / np.sqrt(len(values))
    assert (ci.high - ci.low) == pytest.approx(theory, rel=0.15)
    assert ci.low < np.mean(values) < ci.high


def test_custom_statistic_and_level() -> None:
    values = [1.0, 2.0, 3.0, 100.0, 5.0, 4.0]
    ci = bootstrap_ci(values, stat=median, level=0.9, resamples=500)
    assert ci.estimate == 3.5 and ci.level == 0.9
    assert ci.low <= 3.5 <= ci.high and ci.high < 100.0


@pytest.mark.parametrize(
    ("values", "kwargs"),
    [([], {}), ([1.0, float("nan")], {}), ([1.0, 2.0], {"level": 1.0}), ([1.0, 2.0], {"resamples": 0})],
)
def test_bad_input_is_a_clear_error(values: list[float], kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        bootstrap_ci(values, **kwargs)


def _summary(p50: float, p99: float) -> Summary:
    return Summary(count=10, mean=p50, std=1.0, min=p50 / 2, max=p99, p50=p50, p90=p99, p95=p99, p99=p99)


def _level(
    concurrency: int | None,
    trial: int,
    ttft: float,
    thr: float,
    *,
    rate: float | None = None,
    status: str = "complete",
) -> LevelResult:
    return LevelResult.model_validate(
        {
            "concurrency": concurrency,
            "request_rate": rate,
            "trial": trial,
            "status": status,
            "completed": 10,
            "failed": 0,
            "duration_s": 2.0,
            "ttft_ms": _summary(ttft, ttft * 2).model_dump(),
            "tpot_ms": _summary(20.0 + trial, 30.0).model_dump(),
            "itl_ms": None,
            "e2e_ms": _summary(ttft + 100.0, ttft + 200.0).model_dump(),
            "per_user_tok_s": _summary(1000.0 / (20.0 + trial), 60.0).model_dump(),
            "output_throughput_tok_s": thr,
            "request_throughput_rps": 5.0,
            "input_tokens_total": 100,
            "output_tokens_total": 200,
        }
    )


def test_repeat_summaries_group_by_level_in_order() -> None:
    results = [
        _level(1, 0, 10.0, 100.0),
        _level(4, 0, 20.0, 300.0),
        _level(1, 1, 12.0, 104.0),
        _level(4, 1, 22.0, 310.0),
        _level(1, 2, 11.0, 102.0),
        _level(4, 2, 21.0, 290.0, status="interrupted"),
    ]
    summaries = repeat_summaries(results)
    assert [(s.concurrency, s.request_rate, s.trials) for s in summaries] == [(1, None, 3), (4, None, 2)]
    first = summaries[0]
    assert set(first.intervals) == set(HEADLINE_METRICS)
    assert first.intervals["ttft_ms.p50"].estimate == pytest.approx(11.0)
    assert first.intervals["ttft_ms.p99"].estimate == pytest.approx(22.0)
    assert first.intervals["output_throughput_tok_s"] == student_t_ci([100.0, 104.0, 102.0])
    assert first.intervals["e2e_ms.p50"].estimate == pytest.approx(111.0)
    assert first.intervals["e2e_ms.p50"].method == "student-t"
    assert first.intervals["tpot_ms.p50"].estimate == pytest.approx(21.0)
    # the interrupted trial of concurrency 4 is left out
    assert summaries[1].intervals["output_throughput_tok_s"].estimate == pytest.approx(305.0)


def test_repeat_summaries_rate_mode_single_trials_and_missing_metrics() -> None:
    single = repeat_summaries([_level(None, 0, 10.0, 50.0, rate=2.0)])
    assert single == []
    assert repeat_summaries([_level(None, 0, 10.0, 50.0, rate=2.0)], min_trials=1)[0].trials == 1
    a = _level(None, 0, 10.0, 50.0, rate=2.0)
    b = _level(None, 1, 12.0, 52.0, rate=2.0).model_copy(update={"tpot_ms": None})
    summary = repeat_summaries([a, b])[0]
    assert summary.request_rate == 2.0 and summary.concurrency is None
    assert summary.intervals["tpot_ms.p50"].trials == 1
    assert summary.intervals["ttft_ms.p50"].trials == 2


@pytest.mark.parametrize(
    ("p", "df", "expected"),
    # Reference quantiles from published t tables (scipy.stats.t.ppf gives the same to 9 digits).
    [(0.975, 1, 12.706204736), (0.975, 2, 4.302652730), (0.975, 4, 2.776445105), (0.95, 10, 1.812461123)],
)
def test_t_quantile_matches_published_tables(p: float, df: int, expected: float) -> None:
    assert t_quantile(p, df) == pytest.approx(expected, rel=1e-7)
    assert t_quantile(1.0 - p, df) == pytest.approx(-expected, rel=1e-7)


def test_student_t_interval_by_hand() -> None:
    # n = 3, mean 102, sample std 2 -> half width 4.302652730 * 2 / sqrt(3)
    ci = student_t_ci([100.0, 104.0, 102.0])
    half = 4.302652730 * 2.0 / np.sqrt(3.0)
    assert ci.method == "student-t" and ci.trials == 3 and ci.level == 0.95
    assert ci.estimate == pytest.approx(102.0)
    assert ci.low == pytest.approx(102.0 - half) and ci.high == pytest.approx(102.0 + half)


def test_two_trials_give_a_wide_honest_interval_not_their_range() -> None:
    ci = student_t_ci([10.0, 12.0])
    # the bootstrap would give about [10, 12]; t with 1 degree of freedom is 12.7 standard errors
    assert ci.low < 0.0 and ci.high > 22.0


def test_student_t_single_value_and_bad_input() -> None:
    one = student_t_ci([5.0])
    assert (one.estimate, one.low, one.high, one.trials, one.method) == (5.0, 5.0, 5.0, 1, "single-trial")
    for bad in ([], [1.0, float("inf")]):
        with pytest.raises(ValueError):
            student_t_ci(bad)
    with pytest.raises(ValueError):
        student_t_ci([1.0, 2.0], level=0.0)


def test_a_low_bound_below_zero_is_cut_at_the_floor_and_says_so() -> None:
    # Two trials far apart: mean 50, s = 56.57, t(0.975, 1) = 12.706 -> 50 +- 508.2, low bound -458.2.
    ci = student_t_ci([10.0, 90.0], floor=0.0)
    assert ci.low == 0.0 and ci.high == pytest.approx(50.0 + 12.7062047 * 56.5685425 / 2**0.5, rel=1e-6)
    assert ci.method == "student-t, low bound cut at 0"
    assert student_t_ci([10.0, 90.0]).low < 0  # no floor: the plain t interval
