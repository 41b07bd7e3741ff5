"""aiperf multi-run output (`aiperf profile --num-profile-runs N`, 0.13): folder and confidence intervals.

Layout, from aiperf's own code (aiperf/orchestrator/strategies.py, exporters/aggregate/): ARTIFACT_DIR/
profile_runs/run_0001/ ... run_000N/ (each a full single-run `profile_export_aiperf.json`) and ARTIFACT_DIR/
aggregate/profile_export_aiperf_aggregate.json (`metadata`: aggregation_type "confidence", num_profile_runs,
confidence_level, run_labels; `metrics`: '<metric>_<stat>' -> mean, std (ddof=1), min, max, cv, se, ci_low,
ci_high, t_critical, unit across the runs). The runs become trials 0..N-1 of one level (read by the
single-run importer, definitions as there); the aggregate's intervals are aiperf's Student-t interval of the
mean (mean +- t * std / sqrt(n)), inferboard's own method, so they become the level's repeat summary -- only
for headline metrics the trials carry under inferboard's definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from collector.importers.common import ImportFormatError, number
from collector.schema import ConfidenceInterval, LevelResult, RepeatSummary

AGGREGATE_FILE = "profile_export_aiperf_aggregate.json"
RUN_FILE = "profile_export_aiperf.json"
# inferboard headline metric -> aiperf aggregate key ('<metric>_<statistic>').
HEADLINES = {
    "ttft_ms.p50": "time_to_first_token_p50",
    "ttft_ms.p99": "time_to_first_token_p99",
    "tpot_ms.p50": "inter_token_latency_p50",
    "e2e_ms.p50": "request_latency_p50",
    "output_throughput_tok_s": "output_token_throughput_avg",
    "per_user_tok_s.p50": "output_token_throughput_per_user_p50",
}
NOTE = (
    "aiperf multi-run (--num-profile-runs): each profile run is a trial; aiperf's aggregate confidence "
    "intervals (Student-t of the mean over runs, as inferboard's) are the level's repeat summary for the "
    "headline metrics the trials carry under inferboard's definitions; a low bound below 0 is cut at 0 "
    "(aiperf's own bound kept as a foreign figure)."
)


def folder_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """The per-run exports and the aggregate file of an aiperf artifact folder."""
    runs = sorted(folder.glob(f"profile_runs/*/{RUN_FILE}"))
    aggregates = sorted(folder.glob(f"aggregate/{AGGREGATE_FILE}"))
    if not runs:
        raise ImportFormatError(
            str(folder),
            f"no profile_runs/*/{RUN_FILE}; is this an aiperf --num-profile-runs artifact folder?",
        )
    return runs, aggregates


def is_aggregate(data: Any) -> bool:
    return (
        isinstance(data, Mapping)
        and isinstance(data.get("metadata"), Mapping)
        and (data["metadata"].get("aggregation_type") is not None)
    )


def _interval(entry: Any, level: float, trials: int) -> tuple[ConfidenceInterval, float] | None:
    """inferboard's interval from one aggregate metric, and aiperf's raw low bound."""
    if not isinstance(entry, Mapping):
        return None
    mean, low, high = (number(entry.get(key)) for key in ("mean", "ci_low", "ci_high"))
    if mean is None or low is None or high is None or mean < 0:
        return None
    method = "student-t" if low >= 0 else "student-t, low bound cut at 0"
    interval = ConfidenceInterval(
        estimate=mean, low=max(low, 0.0), high=high, level=level, method=method, trials=trials
    )
    return interval, low


def repeat_summary(
    path: Path, data: Mapping[str, Any], trials: list[LevelResult], foreign: dict[str, Any]
) -> RepeatSummary:
    """The level's repeat summary from aiperf's aggregate, checked against the trials it summarises."""
    metadata = data["metadata"]
    metrics = data.get("metrics")
    if metadata.get("aggregation_type") != "confidence" or not isinstance(metrics, Mapping):
        raise ImportFormatError(str(path), "not a confidence aggregate", "metadata.aggregation_type")
    runs = metadata.get("num_successful_runs")
    if runs != len(trials):
        raise ImportFormatError(
            str(path), f"summarises {runs} runs but the folder has {len(trials)} profile runs", "metadata"
        )
    level = number(metadata.get("confidence_level")) or 0.95
    intervals: dict[str, ConfidenceInterval] = {}
    for ours, theirs in HEADLINES.items():
        field, _, statistic = ours.partition(".")
        values = [getattr(t, field) for t in trials]
        if statistic:
            values = [getattr(v, statistic) if v is not None else None for v in values]
        if any(v is None for v in values):
            continue  # the trials do not carry it under inferboard's definition
        found = _interval(metrics.get(theirs), level, len(trials))
        if found is not None:
            intervals[ours], foreign[f"aggregate.{theirs}.ci_low"] = found
    first = trials[0]
    return RepeatSummary(
        concurrency=first.concurrency,
        request_rate=first.request_rate,
        trials=len(trials),
        intervals=intervals,
    )
