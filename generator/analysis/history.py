"""Histories of one configuration over backend versions and time, and the regressions between versions.

A configuration key is everything but versions and time (collector.schema.QUALITY_DEFINITIONS
'config_key'); runs sharing it form a history. Regression rule: 'regression' in the same definitions.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from collector.schema import RunRecord
from collector.schema.definitions import REGRESSION_THRESHOLD
from generator.data.load import LoadedRun
from generator.data.tables import as_utc, level_text

# Compared metrics: repeat-summary key -> (label, higher is better).
METRICS: dict[str, tuple[str, bool]] = {
    "output_throughput_tok_s": ("Output tok/s", True),
    "ttft_ms.p50": ("TTFT p50 (ms)", False),
}


def config_fields(record: RunRecord) -> dict[str, Any]:
    """The configuration a run measured, without versions or time (the history key's input)."""
    hw = record.hardware
    w = record.workload
    levels = sorted({(r.concurrency, r.request_rate) for r in record.results}, key=str)
    return {
        "backend": record.backend.name,
        "model": [record.model.name, record.model.revision, record.model.file_sha256, record.model.weights],
        "quantization": record.quantization.model_dump(exclude={"source"}),
        "hardware": [
            hw.accelerator,
            hw.label,
            hw.host.cpu_model if hw.accelerator == "cpu" else None,
            sorted(g.name for g in hw.gpus),
            hw.gpu_count,
        ],
        "workload": [
            w.api,
            w.input_tokens,
            w.output_tokens,
            w.dataset.sha256 if w.dataset else None,
            w.mode,
            w.ignore_eos,
            w.burstiness,
            w.max_concurrency,
            levels,
        ],
        "serving": record.serving.model_dump(),
    }


def config_key(record: RunRecord) -> str:
    """A short stable id of the configuration (also the history page's file name)."""
    text = json.dumps(config_fields(record), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def histories(runs: Iterable[LoadedRun]) -> dict[str, list[LoadedRun]]:
    """Config key -> its runs, oldest first."""
    out: dict[str, list[LoadedRun]] = {}
    for run in runs:
        out.setdefault(config_key(run.record), []).append(run)
    for items in out.values():
        items.sort(key=lambda r: (as_utc(r.record.created_at).timestamp(), r.slug))
    return out


@dataclass(frozen=True)
class Value:
    estimate: float
    low: float | None  # 95% interval, when the level was repeated
    high: float | None


def level_values(record: RunRecord) -> dict[str, dict[str, Value]]:
    """Level label -> metric key -> value (trials averaged; the interval where repeats were summarised)."""
    intervals = {level_text(s.concurrency, s.request_rate): s.intervals for s in record.repeat_summaries}
    sums: dict[str, dict[str, list[float]]] = {}
    for level in record.results:
        if level.status != "complete":
            continue
        slot = sums.setdefault(level_text(level.concurrency, level.request_rate), {})
        slot.setdefault("output_throughput_tok_s", []).append(level.output_throughput_tok_s)
        if level.ttft_ms is not None and level.ttft_ms.p50 is not None:
            slot.setdefault("ttft_ms.p50", []).append(level.ttft_ms.p50)
    out: dict[str, dict[str, Value]] = {}
    for label, metrics in sums.items():
        for key, values in metrics.items():
            ci = intervals.get(label, {}).get(key)
            value = (
                Value(ci.estimate, max(0.0, ci.low), ci.high)  # headline metrics are never negative
                if ci is not None
                else Value(sum(values) / len(values), None, None)
            )
            out.setdefault(label, {})[key] = value
    return out


@dataclass(frozen=True)
class Change:
    key: str
    backend: str
    old: LoadedRun
    new: LoadedRun
    level: str
    metric: str
    old_value: float | None
    new_value: float | None
    relative: float | None  # new / old - 1
    kind: str  # "regression", "improvement" or "not comparable"
    basis: str  # how it was decided

    @property
    def when(self) -> float:
        return as_utc(self.new.record.created_at).timestamp()


def classify(old: Value, new: Value, higher_is_better: bool) -> tuple[str | None, str]:
    """'regression' / 'improvement' / None (no significant change), and the basis of the decision."""
    if old.low is not None and old.high is not None and new.low is not None and new.high is not None:
        basis = "95% confidence intervals do not overlap"
        if new.high < old.low:
            return ("regression" if higher_is_better else "improvement"), basis
        if new.low > old.high:
            return ("improvement" if higher_is_better else "regression"), basis
        return None, "95% confidence intervals overlap"
    basis = f"no repeats: change beyond the {REGRESSION_THRESHOLD:.0%} threshold"
    if old.estimate <= 0:
        return None, "old value is zero"
    change = new.estimate / old.estimate - 1
    if abs(change) <= REGRESSION_THRESHOLD:
        return None, f"no repeats: within the {REGRESSION_THRESHOLD:.0%} threshold"
    better = change > 0 if higher_is_better else change < 0
    return ("improvement" if better else "regression"), basis


def run_version(run: LoadedRun) -> str:
    return run.record.backend.version or "unknown"


def version_steps(history: list[LoadedRun]) -> list[tuple[LoadedRun, LoadedRun]]:
    """(latest run of a version, latest run of the next version), versions ordered by their first run."""
    latest: dict[str, LoadedRun] = {}
    order: list[str] = []
    for run in history:  # oldest first
        version = run_version(run)
        if version not in latest:
            order.append(version)
        latest[version] = run
    return [(latest[a], latest[b]) for a, b in itertools.pairwise(order)]


def detect_changes(key: str, history: list[LoadedRun]) -> list[Change]:
    """Regressions, improvements and not-comparable pairs between consecutive versions of one key."""
    changes: list[Change] = []
    for old, new in version_steps(history):
        mv_old, mv_new = old.record.collector.measurement_version, new.record.collector.measurement_version
        backend = new.record.backend.name
        if mv_old is None or mv_new is None or mv_old != mv_new:
            basis = f"measurement version {mv_old or 'unknown'} → {mv_new or 'unknown'}"
            changes.append(
                Change(key, backend, old, new, "all", "-", None, None, None, "not comparable", basis)
            )
            continue
        before, after = level_values(old.record), level_values(new.record)
        for level in sorted(before.keys() & after.keys()):
            for metric, (_, higher) in METRICS.items():
                if metric not in before[level] or metric not in after[level]:
                    continue
                a, b = before[level][metric], after[level][metric]
                kind, basis = classify(a, b, higher)
                if kind is None:
                    continue
                rel = b.estimate / a.estimate - 1 if a.estimate else None
                changes.append(
                    Change(key, backend, old, new, level, metric, a.estimate, b.estimate, rel, kind, basis)
                )
    return changes


def all_changes(runs: Iterable[LoadedRun]) -> list[Change]:
    """Every change of every history, newest first."""
    changes = [c for key, items in histories(runs).items() for c in detect_changes(key, items)]
    changes.sort(key=lambda c: (-c.when, c.backend, c.key, c.level, c.metric))
    return changes
