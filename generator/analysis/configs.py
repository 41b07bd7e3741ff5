"""Configurations: the runs that share one `collector.schema.configuration_key`, their trials pooled.

Pure functions over run records. A configuration's figure at a load level is the mean over the complete
trials of all its runs at that level, with a Student-t 95% interval over those trials; the level may
decide a verdict only when `collector.schema.level_unclean_reasons` finds nothing wrong with the pooled
trials. The site ranks configurations, never single runs, so 75 runs of one setup cannot crown their
luckiest member.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from collector.schema import (
    RULE_TEXT,
    LevelResult,
    RunRecord,
    configuration_key,
    keyed_by_name,
    level_unclean_reasons,
    mean_interval,
    percentile_supported,
)
from generator.data.columns import BY_KEY, level_values
from generator.data.load import LoadedRun
from generator.data.tables import (
    devices,
    hardware_text,
    level_text,
    merge_trials,
    quant_text,
    run_class,
    short_backend,
    workload_text,
)
from generator.render.safe import clean_text

LevelKey = tuple[int | None, float | None]  # (concurrency, request rate)
Trial = tuple[LevelResult, int]  # one trial and the devices its throughput is divided by


def _per_device(level: LevelResult, units: int) -> float | None:
    return level.output_throughput_tok_s / units


def _column_reader(key: str) -> Callable[[LevelResult, int], float | None]:
    column = BY_KEY[key]
    return lambda level, _units: column.read(level)


def _registered(key: str) -> tuple[str, str, bool, Callable[[LevelResult, int], float | None]]:
    column = BY_KEY[key]
    return column.header, column.unit, column.higher_is_better, _column_reader(key)


# Pooled metrics: key -> (header, unit, higher is better, per-trial reader), from the column registry
# (generator.data.columns). Output throughput is per GPU (per host on CPU), the unit rankings compare.
POOLED_METRICS: dict[str, tuple[str, str, bool, Callable[[LevelResult, int], float | None]]] = {
    "out_tok_s": ("Output tok/s per device", "tok/s", True, _per_device),
    **{key: _registered(key) for key in ("user_tok_s", "ttft_p50", "tpot_p50", "ttft_p99")},
}


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float | None  # None: one trial, no interval
    high: float | None


@lru_cache(maxsize=65_536)  # many pages ask for the same level's interval; the t quantile is not cheap
def _estimate(values: tuple[float, ...]) -> Estimate:
    value, low, high = mean_interval(list(values))
    return Estimate(value, low, high)


@dataclass
class PooledLevel:
    """One load level of a configuration, over the complete trials of all its runs."""

    level: str
    load: float
    trials: int  # complete trials pooled
    requests: int  # counted (completed) requests over those trials
    reasons: list[str]  # keys of collector.schema.CLEAN_RULES it breaks; empty: it may decide
    values: dict[str, list[float]] = field(default_factory=dict)  # metric -> one value per trial
    # Every leaderboard column, merged over the same trials the way a run's own row is (tables.merge_trials):
    # the mean over the complete trials, counts summed, the worst status kept.
    columns: dict[str, Any] = field(default_factory=dict)
    # leaderboard column -> one value per complete trial (for the charts' intervals)
    column_trials: dict[str, list[float]] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.reasons

    @property
    def reason_text(self) -> str:
        return "; ".join(RULE_TEXT[r] for r in self.reasons)

    def estimate(self, metric: str) -> Estimate | None:
        values = self.values.get(metric)
        if not values:
            return None
        return _estimate(tuple(values))

    def supported(self, metric: str) -> bool:
        """Whether a percentile metric (e.g. ttft_p99) rests on enough requests per trial to be shown."""
        stat = metric.rsplit("_", 1)[-1]
        return percentile_supported(stat, self.requests // max(self.trials, 1))


@dataclass
class Configuration:
    key: str
    label: str  # short backend · quantization
    klass: str
    model: str
    hardware: str
    workload: str
    by_name: bool  # weights known by model name only
    slugs: list[str]
    levels: list[PooledLevel]
    backend: str = ""
    backend_version: str = ""
    quant: str = ""
    devices: int = 1

    @property
    def title(self) -> str:
        return f"{self.label} · {self.model} · {self.hardware} · {self.workload}"


def config_label(record: RunRecord) -> str:
    backend = short_backend(clean_text(record.backend.name), clean_text(record.backend.version or "unknown"))
    return f"{backend} · {quant_text(record)}"


def _level_key(level: LevelResult) -> LevelKey:
    return (level.concurrency, level.request_rate)


def pool_levels(
    trials_by_level: dict[LevelKey, list[Trial]],
) -> list[PooledLevel]:
    """Pool each level's trials: complete trials count; a level with none shows why (its other trials)."""
    out = []
    for (conc, rate), trials in trials_by_level.items():
        complete = [(t, units) for t, units in trials if t.status == "complete"]
        used = complete or trials
        pooled = PooledLevel(
            level=level_text(conc, rate),
            load=float(conc) if conc is not None else float(rate or 0.0),
            trials=len(complete),
            requests=sum(t.completed for t, _ in complete),
            reasons=level_unclean_reasons([t for t, _ in used]),
        )
        pooled.columns = merge_trials([level_values(t) for t, _ in trials])
        for row in (level_values(t) for t, _ in complete):
            for column, value in row.items():
                if isinstance(value, float) and math.isfinite(value):
                    pooled.column_trials.setdefault(column, []).append(value)
        for metric, (*_, read) in POOLED_METRICS.items():
            values = [v for t, units in complete if (v := read(t, units)) is not None]
            if values:
                pooled.values[metric] = values
        out.append(pooled)
    out.sort(key=lambda p: p.load)
    return out


def configurations(runs: Sequence[LoadedRun]) -> list[Configuration]:
    """Every configuration of the runs, with its levels pooled; in first-seen order."""
    members: dict[str, list[LoadedRun]] = {}
    for run in runs:
        members.setdefault(configuration_key(run.record), []).append(run)
    return [_configuration(key, group) for key, group in members.items()]


# Several pages ask for the configurations of the same runs (home, leaderboard, configuration pages,
# backends, side by side): a group of runs is pooled once. Keyed by the runs' identities; the entry holds
# the runs, so an identity is never reused while it is cached, and the cache is emptied when it grows past
# a few builds' worth.
_POOLED: dict[tuple[int, ...], tuple[tuple[LoadedRun, ...], Configuration]] = {}
_POOLED_LIMIT = 50_000


def _configuration(key: str, group: list[LoadedRun]) -> Configuration:
    ids = tuple(id(run) for run in group)
    cached = _POOLED.get(ids)
    if cached is not None:
        return cached[1]
    if len(_POOLED) >= _POOLED_LIMIT:
        _POOLED.clear()
    record = group[0].record
    by_level: dict[LevelKey, list[Trial]] = {}
    for run in group:
        units = devices(run.record)
        for level in run.record.results:
            by_level.setdefault(_level_key(level), []).append((level, units))
    config = Configuration(
        key=key,
        label=config_label(record),
        klass=run_class(record),
        model=clean_text(record.model.name),
        hardware=hardware_text(record),
        workload=workload_text(record),
        by_name=keyed_by_name(record),
        slugs=[run.slug for run in group],
        levels=pool_levels(by_level),
        backend=clean_text(record.backend.name),
        backend_version=clean_text(record.backend.version or "unknown"),
        quant=quant_text(record),
        devices=devices(record),
    )
    _POOLED[ids] = (tuple(group), config)
    return config
