"""Pure functions: run records -> tidy pandas frames (one row per run, one row per run x load level)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

import pandas as pd

from collector.schema import (
    HEADLINE_METRICS,
    RULE_TEXT,
    LevelResult,
    RunRecord,
    configuration_key,
    level_unclean_reasons,
    percentile_supported,
)
from generator.data.capacity import capacity_key, capacity_range, capacity_text, capacity_where
from generator.data.columns import LEVEL_METRICS, level_values
from generator.data.load import LoadedRun
from generator.render.safe import clean_text

REAL_GPU_CLASS = "gpu-real"
CLASS_LABELS = {
    REAL_GPU_CLASS: "Real weights on GPU, measured",
}

# The schema's headline metrics (which carry confidence intervals) -> the site's column for each.
_HEADLINE_COLUMNS = {
    "output_throughput_tok_s": "out_tok_s",
    "ttft_ms.p50": "ttft_p50",
    "ttft_ms.p99": "ttft_p99",
    "tpot_ms.p50": "tpot_p50",
    "e2e_ms.p50": "e2e_p50",
    "per_user_tok_s.p50": "user_tok_s",
}
INTERVAL_KEYS = {key: _HEADLINE_COLUMNS[key] for key in HEADLINE_METRICS if key in _HEADLINE_COLUMNS}


SHORT_ID = 12  # one run-id length everywhere on the site (12 hex digits: collisions need ~16M runs)


def short_id(slug: str) -> str:
    return slug[:SHORT_ID]


def short_version(version: str) -> str:
    """'xllamacpp 2026.10.11549 (llama.cpp build unknown)' -> 'xllamacpp 2026.10': parentheses dropped,
    the first version-like token shortened, a leading word naming the package kept."""
    text = re.sub(r"\(.*?\)", "", version).strip()
    words = text.split()
    for i, word in enumerate(words):
        if re.match(r"v?\d", word):
            lead = " ".join(words[:i])
            # long build-numbered versions keep two components; short ones (0.6.3, b4123) stay whole
            short = word if len(word) <= 8 else ".".join(word.split(".")[:2])[:12]
            return f"{lead} {short}".strip()
    return text[:16] or "unknown"


def short_backend(name: str, version: str) -> str:
    short = short_version(version)
    if short == "unknown":
        return name
    return f"{name} {short}" if not short.startswith(name) else short


def as_utc(moment: datetime) -> datetime:
    """Naive timestamps are taken as UTC so that mixed files still sort."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def run_badges(record: RunRecord) -> list[str]:
    """Labels shown next to a run wherever it appears (deduplicated, in a stable order)."""
    badges: list[str] = []
    if record.model.weights == "random":
        badges.append("random weights")
    if record.hardware.accelerator == "cpu":
        badges.append("CPU")
    if record.origin.kind == "imported":
        badges.append("imported")
    if record.status != "complete":
        badges.append(record.status)
    seen = {b.lower().replace("-", " ") for b in badges}
    for label in record.labels:
        text = clean_text(label).strip()
        key = text.lower().replace("-", " ").replace("_", " ")
        if text and key not in seen and key not in ("cpu only", "random"):
            seen.add(key)
            badges.append(text)
    return badges


def run_class(record: RunRecord) -> str:
    """Runs are only ranked against runs of the same class unless the reader asks otherwise."""
    parts = []
    if record.hardware.accelerator == "cpu":
        parts.append("cpu")
    if record.model.weights == "random":
        parts.append("random")
    if record.origin.kind == "imported":
        parts.append("imported")
    return "+".join(parts) if parts else REAL_GPU_CLASS


def class_label(key: str) -> str:
    if key in CLASS_LABELS:
        return CLASS_LABELS[key]
    names = {"cpu": "CPU", "random": "random weights", "imported": "imported"}
    return " + ".join(names.get(p, p) for p in key.split("+"))


def gpu_count(record: RunRecord) -> int:
    hw = record.hardware
    if hw.accelerator == "cpu":
        return 0
    return hw.gpu_count or len(hw.gpus)


def hardware_text(record: RunRecord) -> str:
    hw = record.hardware
    if hw.label:
        return clean_text(hw.label)
    if hw.accelerator == "cpu":
        return clean_text(hw.host.cpu_model or "CPU")
    name = hw.gpus[0].name if hw.gpus else "GPU"
    return clean_text(f"{gpu_count(record)}× {name}")


def quant_text(record: RunRecord) -> str:
    q = record.quantization
    return clean_text(q.format or q.weights_dtype or "unknown")


def workload_text(record: RunRecord) -> str:
    w = record.workload
    if w.dataset is not None:
        source = PurePath(clean_text(w.dataset.path)).name or "dataset"
        text = f"{w.api} {source}"
        if w.output_tokens:
            text += f" →{w.output_tokens}"
    elif w.kind in ("shared-prefix", "multi-turn", "trace"):
        text = f"{w.api} {_kind_text(record)}"
    else:
        text = f"{w.api} {w.input_tokens or '?'}→{w.output_tokens or '?'}"
    if w.preset:
        text += f" ({w.preset} preset)"
    return clean_text(text + (" (rate)" if w.mode == "rate" else ""))


def _kind_text(record: RunRecord) -> str:
    """Short names of the generated workloads; their knobs are part of the set label, so runs with other
    knobs never share a comparable set."""
    w = record.workload
    if w.shared_prefix is not None:
        s = w.shared_prefix
        return f"shared-prefix {s.groups}×{s.prefix_tokens}+{s.suffix_tokens}→{w.output_tokens or '?'}"
    if w.multi_turn is not None:
        m = w.multi_turn
        return f"multi-turn {m.turns} turns {m.turn_input_tokens}→{m.turn_output_tokens}"
    if w.trace is not None:
        return f"trace {PurePath(clean_text(w.trace.path)).name} ×{w.trace.time_scale:g} {w.trace.sha256[:8]}"
    return str(w.kind)


def level_text(concurrency: int | None, rate: float | None) -> str:
    if concurrency is not None:
        return f"c={concurrency}"
    if rate is not None:
        return f"rate {rate:g}/s"
    return "level"


def devices(record: RunRecord) -> int:
    """Units a price per hour applies to: GPUs serving the model, or the host for CPU runs."""
    return max(gpu_count(record), 1)


def slo_text(record: RunRecord) -> str:
    """The SLO a run's goodput was measured against, e.g. 'TTFT ≤ 500 ms, TPOT ≤ 50 ms' ('' if none)."""
    slo = record.workload.slo
    if slo is None:
        return ""
    parts = [
        f"{name} ≤ {value:g} ms"
        for name, value in (("TTFT", slo.ttft_ms), ("TPOT", slo.tpot_ms), ("E2E", slo.e2e_ms))
        if value is not None
    ]
    return ", ".join(parts)


RUN_COLUMNS = [
    "slug",
    "run_id",
    "model",
    "backend",
    "backend_version",
    "backend_label",
    "hardware",
    "quant",
    "workload",
    "created",
    "created_ts",
    "status",
    "badges",
    "klass",
    "gpus",
    "devices",
    "levels",
    "slo",
    "capacity",
    "capacity_key",
    "capacity_lo",
    "capacity_hi",
    "capacity_where",
    "capacity_text",
    "config",
]


def run_info(loaded: LoadedRun) -> dict[str, Any]:
    r = loaded.record
    return {
        "slug": loaded.slug,
        "run_id": clean_text(r.run_id),
        "model": clean_text(r.model.name),
        "backend": clean_text(r.backend.name),
        "backend_version": clean_text(r.backend.version or "unknown"),
        "backend_label": short_backend(
            clean_text(r.backend.name), clean_text(r.backend.version or "unknown")
        ),
        "hardware": hardware_text(r),
        "quant": quant_text(r),
        "workload": workload_text(r),
        "created": as_utc(r.created_at).strftime("%Y-%m-%d %H:%M UTC"),
        "created_ts": as_utc(r.created_at).timestamp(),
        "status": r.status,
        "badges": run_badges(r),
        "klass": run_class(r),
        "gpus": gpu_count(r),
        "devices": devices(r),
        "levels": len(r.results),
        "slo": slo_text(r),
        **capacity_info(r),
        "config": configuration_key(r),
    }


def capacity_info(record: RunRecord) -> dict[str, Any]:
    """The run's capacity under SLO, flattened for the frames (all None without a capacity search)."""
    cap = record.capacity
    if cap is None:
        first, last = RUN_COLUMNS.index("capacity"), RUN_COLUMNS.index("capacity_text")
        return dict.fromkeys(RUN_COLUMNS[first : last + 1])
    low, high = capacity_range(cap)
    return {
        "capacity": cap.capacity,
        "capacity_key": capacity_key(cap),
        "capacity_lo": low,
        "capacity_hi": high,
        "capacity_where": capacity_where(cap),
        "capacity_text": capacity_text(cap),
    }


def run_frame(runs: Iterable[LoadedRun]) -> pd.DataFrame:
    """One row per run."""
    rows = [run_info(run) for run in runs]
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


_STATUS_RANK = {"complete": 0, "incomplete": 1, "interrupted": 2}


def merge_trials(all_trials: list[dict[str, Any]]) -> dict[str, Any]:
    """Trials of one level: metrics averaged over the complete trials only (as the collector's intervals
    are, so a shown point never sits outside its own interval), counts summed, the worst status of the
    counted trials kept (`trials_all` says how many were run).
    A level with no complete trial shows its other trials' figures, flagged by its status."""
    complete = [t for t in all_trials if t["status"] == "complete"]
    trials = complete or all_trials
    merged: dict[str, Any] = {}
    for key in trials[0]:
        values = [t[key] for t in trials]
        if key == "status":
            merged[key] = max(values, key=lambda s: _STATUS_RANK.get(s, 3))
        elif key == "saturated":
            merged[key] = any(values)
        elif key in ("completed", "failed"):
            merged[key] = sum(values)
        else:
            nums = [float(v) for v in values if v is not None and math.isfinite(float(v))]
            merged[key] = sum(nums) / len(nums) if nums else None
    merged["trials"] = len(trials)
    merged["trials_all"] = len(all_trials)
    return merged


# Percentile columns -> their statistic: shown only where each trial counted enough requests for it
# (collector.schema.percentile_supported); elsewhere None, with the reason in the row's `hidden` map.
PERCENTILE_COLUMNS = {"ttft_p99": "p99", "e2e_p90": "p90", "e2e_p95": "p95", "e2e_p99": "p99"}


def _hide_thin_percentiles(row: dict[str, Any], trials: list[LevelResult]) -> None:
    counted = [t.completed for t in trials if t.status == "complete"] or [t.completed for t in trials]
    per_trial = min(counted, default=0)
    hidden = {}
    for column, stat in PERCENTILE_COLUMNS.items():
        if not percentile_supported(stat, per_trial):
            hidden[column] = f"n={per_trial}: too few for {stat}"
            for suffix in ("", "_lo", "_hi"):
                if column + suffix in row:
                    row[column + suffix] = None
    row["hidden"] = hidden


def level_rows(loaded: LoadedRun) -> list[dict[str, Any]]:
    """One row per load level of one run (repeated trials merged, intervals attached, percentiles the
    sample cannot support hidden, and why the level may not decide a verdict in `unclean`)."""
    record = loaded.record
    groups: dict[tuple[int | None, float | None], list[LevelResult]] = {}
    for level in record.results:
        groups.setdefault((level.concurrency, level.request_rate), []).append(level)
    intervals = {(s.concurrency, s.request_rate): s.intervals for s in record.repeat_summaries}
    rows = []
    for (conc, rate), results in groups.items():
        row = {"slug": loaded.slug, "concurrency": conc, "request_rate": rate}
        row["level"] = level_text(conc, rate)
        row["load"] = float(conc) if conc is not None else rate
        row.update(merge_trials([level_values(t) for t in results]))
        for key, column in INTERVAL_KEYS.items():
            ci = intervals.get((conc, rate), {}).get(key)
            if ci is not None:
                row[column] = ci.estimate  # the displayed value is the interval's own estimate
            # a negative low bound in an old file is cut by the upgrader (collector.schema.upgrade)
            row[f"{column}_lo"] = ci.low if ci else None
            row[f"{column}_hi"] = ci.high if ci else None
            row[f"{column}_n"] = ci.trials if ci else None
        complete = [t for t in results if t.status == "complete"]
        row["unclean"] = "; ".join(RULE_TEXT[r] for r in level_unclean_reasons(complete or results))
        _hide_thin_percentiles(row, results)
        rows.append(row)
    rows.sort(key=lambda r: (r["load"] is None, r["load"] or 0.0))
    return rows


def level_frame(runs: Iterable[LoadedRun]) -> pd.DataFrame:
    """One row per (run, load level), with the run's descriptive columns joined in."""
    runs = list(runs)
    rows = [row for run in runs for row in level_rows(run)]
    levels = pd.DataFrame(rows)
    info = run_frame(runs)
    if levels.empty:
        return pd.DataFrame(columns=[*info.columns, "level", "load", *LEVEL_METRICS])
    return levels.merge(info, on="slug", how="left", suffixes=("", "_run"))


def default_class(frame: pd.DataFrame) -> str:
    """The class shown by default: real-weight GPU measured runs when any exist, else everything."""
    if not frame.empty and (frame["klass"] == REAL_GPU_CLASS).any():
        return REAL_GPU_CLASS
    return "all"
