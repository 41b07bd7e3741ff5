"""One page per configuration (`configs/<key>.md`): its pooled levels, its runs and their spread.

The home page's verdicts link here for their evidence: which levels are clean, and why the others are not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from collector.schema import (
    PERCENTILE_MIN_SAMPLES,
    LevelResult,
    configuration_fields,
)
from generator.analysis.configs import POOLED_METRICS, Configuration, Estimate, PooledLevel, configurations
from generator.data.load import LoadedRun
from generator.data.tables import as_utc, devices, level_text
from generator.pages.runsummary import plain_title
from generator.render.templates import FragmentStore, md_link, relative_url, template


def _num(value: float) -> str:
    return f"{value:.4g}"


def estimate_cell(est: Estimate | None) -> str:
    """'12.3 [10.1, 14.5]' (interval low bound never below 0), '12.3 (one trial)', or '—'."""
    if est is None:
        return "—"
    if est.low is None or est.high is None:
        return f"{_num(est.value)} (one trial)"
    return f"{_num(est.value)} [{_num(est.low)}, {_num(est.high)}]"


def hidden_title(level: PooledLevel, metric: str) -> str | None:
    """Why a percentile is not shown at this level (None: it is shown)."""
    if level.supported(metric):
        return None
    stat = metric.rsplit("_", 1)[-1]
    per_trial = level.requests // max(level.trials, 1)
    return f"n={per_trial}: too few for {stat} (needs {PERCENTILE_MIN_SAMPLES[stat]} requests per trial)"


def _run_value(trials: Sequence[LevelResult], units: int) -> float | None:
    values = [t.output_throughput_tok_s / units for t in trials if t.status == "complete"]
    return sum(values) / len(values) if values else None


def run_table(config: Configuration, runs: dict[str, LoadedRun]) -> tuple[list[str], list[dict[str, Any]]]:
    """(level labels, one row per run: its mean output tok/s per device at each level over its complete
    trials) and a final spread row (min-max across runs)."""
    levels = [lv.level for lv in config.levels]
    rows: list[dict[str, Any]] = []
    per_level: dict[str, list[float]] = {name: [] for name in levels}
    for slug in config.slugs:
        record = runs[slug].record
        trials: dict[str, list[LevelResult]] = {}
        for result in record.results:
            trials.setdefault(level_text(result.concurrency, result.request_rate), []).append(result)
        cells = {}
        for name in levels:
            value = _run_value(trials.get(name, []), devices(record))
            cells[name] = "—" if value is None else _num(value)
            if value is not None:
                per_level[name].append(value)
        rows.append(
            {
                "slug": slug,
                "created": as_utc(record.created_at).strftime("%Y-%m-%d %H:%M UTC"),
                "trials": record.workload.repeats,
                "cells": cells,
            }
        )
    spread = {
        name: f"{_num(min(v))} – {_num(max(v))}" if len(v) > 1 else "—" for name, v in per_level.items()
    }
    return levels, [*rows, {"slug": None, "created": "", "trials": "", "cells": spread}]


def level_rows(config: Configuration) -> list[dict[str, Any]]:
    rows = []
    for level in config.levels:
        cells = {}
        for metric in POOLED_METRICS:
            title = hidden_title(level, metric) if metric.endswith(("p90", "p95", "p99")) else None
            cells[metric] = {"text": "—" if title else estimate_cell(level.estimate(metric)), "title": title}
        rows.append({"level": level, "cells": cells})
    return rows


def config_context(config: Configuration, runs: dict[str, LoadedRun]) -> dict[str, Any]:
    fields = configuration_fields(runs[config.slugs[0]].record)
    levels, run_rows = run_table(config, runs)
    return {
        "config": config,
        "title": "Configuration " + plain_title([config.label, config.key]),
        "metrics": {k: v[0] for k, v in POOLED_METRICS.items()},
        "rows": level_rows(config),
        "run_levels": levels,
        "run_rows": run_rows,
        "fields": [(name, json.dumps(value, sort_keys=True, default=str)) for name, value in fields.items()],
    }


def config_pages(runs: Sequence[LoadedRun], fragments: FragmentStore, dir_urls: bool) -> dict[str, str]:
    """configs/<key>.md for every configuration: page path -> Markdown."""
    by_slug = {run.slug: run for run in runs}
    pages = {}
    for config in configurations(runs):
        page = f"configs/{config.key}.md"
        context = config_context(config, by_slug)
        context["run_hrefs"] = {s: relative_url(page, f"runs/{s}.md", dir_urls) for s in config.slugs}
        context["home_link"] = md_link(page, "index.md")
        pages[page] = template("config.md.j2").render(fragments=fragments, **context)
    return pages
