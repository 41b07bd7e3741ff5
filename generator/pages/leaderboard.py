"""The leaderboard and the charts by configuration: one row per configuration x load level, one line per
configuration, never one per run.

Pure functions over `analysis.configs.configurations` (the one pooling of trials the home page also uses):
a figure is the mean over the complete trials of all the configuration's runs at that level; a level that
`collector.schema.level_unclean_reasons` rejects carries its reasons, and a percentile the per-trial sample
cannot support is left out with why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from collector.schema import mean_interval, percentile_supported
from generator.analysis.configs import Configuration, PooledLevel, configurations
from generator.analysis.decide import distinct_labels
from generator.data.columns import (
    COLUMN_DEFINITIONS,
    COLUMN_SETS,
    COLUMNS,
    DEFAULT_COLUMN_SET,
    LEVEL_METRICS,
)
from generator.data.load import LoadedRun
from generator.data.tables import INTERVAL_KEYS, PERCENTILE_COLUMNS, class_label, default_class
from generator.figures.charts import (
    DEFAULT_PRICE_PER_HOUR,
    DEFAULT_PRICE_SOURCE,
    Series,
    num,
    scope_figures,
)
from generator.pages.common import SiteContext
from generator.render.assets_data import DataAssets, data_ref
from generator.render.templates import md_link, relative_url, template

SetKey = tuple[str, str, str, str]  # class, model, hardware, workload
# A leaderboard entity: one configuration, described by its most recent run (whose id a row's Compare box
# sends, and whose badges and SLO it shows) and the capacity of its most recent run with a capacity search.
CONFIG_COLS = [
    "slug",
    "label",
    "model",
    "backend",
    "backend_label",
    "hardware",
    "quant",
    "workload",
    "klass",
    "badges",
    "devices",
    "slo",
    "capacity",
    "capacity_text",
    "config",
    "runs",
]
# One leaderboard row: "run" indexes the set's configurations (the page script's name for a row's entity).
ROW_COLS = [
    *["run", "level", "load", *LEVEL_METRICS],
    *["status", "saturated", "trials", "requests", "unclean", "hidden"],
]
# Extra chart columns beyond the leaderboard's (the latency distribution chart's percentiles).
CHART_COLUMNS = [*LEVEL_METRICS, *(c.key for c in COLUMNS if not c.on_board)]


def comparable_sets(runs: Sequence[LoadedRun]) -> list[tuple[SetKey, list[Configuration]]]:
    """Configurations grouped by class x model x hardware x workload, labelled apart as the home page does."""
    buckets: dict[SetKey, list[Configuration]] = {}
    for config in configurations(runs):
        buckets.setdefault((config.klass, config.model, config.hardware, config.workload), []).append(config)
    for part in buckets.values():
        distinct_labels(part)
    return sorted(buckets.items())


def thin_percentiles(level: PooledLevel) -> dict[str, str]:
    """Percentile columns the level's requests per trial cannot support -> why (shown on hover)."""
    per_trial = level.requests // max(level.trials, 1)
    return {
        column: f"n={per_trial}: too few for {stat}"
        for column, stat in PERCENTILE_COLUMNS.items()
        if not percentile_supported(stat, per_trial)
    }


def _value(level: PooledLevel, column: str, hidden: dict[str, str]) -> float | None:
    return None if column in hidden else num(level.columns.get(column))


def board_rows(index: int, config: Configuration) -> list[list[Any]]:
    """The configuration's leaderboard rows, one per load level, in ROW_COLS order."""
    rows = []
    for level in config.levels:
        hidden = thin_percentiles(level)
        values: list[Any] = [index, level.level, num(level.load)]
        values += [_value(level, k, hidden) for k in LEVEL_METRICS]
        values += [level.columns.get("status", "complete"), 1 if level.columns.get("saturated") else 0]
        values += [level.trials, level.requests, level.reason_text, hidden]
        rows.append(values)
    return rows


def config_entry(config: Configuration, info: dict[str, dict[str, Any]]) -> list[Any]:
    """One configuration in CONFIG_COLS order, described by its most recent run."""
    members = sorted((info[slug] for slug in config.slugs), key=lambda row: row["created_ts"])
    latest = members[-1]
    # capacity is one run's search, never pooled: the most recent run that has one
    searched = [row for row in members if row["capacity_text"]]
    own = {"label": config.label, "config": config.key, "runs": len(config.slugs)}
    if searched:
        own.update(capacity=searched[-1]["capacity"], capacity_text=searched[-1]["capacity_text"])
    return [own[c] if c in own else latest[c] for c in CONFIG_COLS]


def board_sets(
    runs: Sequence[LoadedRun], runs_frame: pd.DataFrame, write: Callable[[str, Any], str]
) -> list[dict[str, Any]]:
    """The leaderboard's comparable sets; each set's configurations and rows go to their own data file."""
    info = {row["slug"]: row for row in runs_frame.to_dict("records")}
    sets: list[dict[str, Any]] = []
    for (klass, model, hardware, workload), part in comparable_sets(runs):
        rows = [row for i, config in enumerate(part) for row in board_rows(i, config)]
        body = {"runs": [config_entry(c, info) for c in part], "rows": rows}
        sets.append(
            {
                "klass": klass,
                "model": model,
                "hardware": hardware,
                "workload": workload,
                "configs": len(part),
                "runs": sum(len(c.slugs) for c in part),
                "rows": len(rows),
                "src": write(f"board-{len(sets)}", body),
            }
        )
    return sets


def _interval(level: PooledLevel, column: str) -> tuple[float | None, float | None]:
    values = level.column_trials.get(column, [])
    if len(values) < 2:
        return None, None
    _, low, high = mean_interval(values)
    return low, high


def config_series(part: Sequence[Configuration]) -> list[Series]:
    """One chart series per configuration (pooled levels, ordered by load), in the columns the chart
    functions read; `unclean` holds each point's reasons (empty: clean)."""
    out = []
    for config in part:
        levels = config.levels
        hidden = [thin_percentiles(level) for level in levels]
        series: Series = {
            "slug": [config.key] * len(levels),
            "label": [config.label] * len(levels),
            "backend": [config.backend] * len(levels),
            "backend_version": [config.backend_version] * len(levels),
            "quant": [config.quant] * len(levels),
            "devices": [config.devices] * len(levels),
            "load": [level.load for level in levels],
            "level": [level.level for level in levels],
            "unclean": [level.reason_text for level in levels],
        }
        for column in CHART_COLUMNS:
            series[column] = [_value(level, column, h) for level, h in zip(levels, hidden, strict=True)]
        for column in INTERVAL_KEYS.values():
            bounds = [
                (None, None) if column in h else _interval(level, column)
                for level, h in zip(levels, hidden, strict=True)
            ]
            series[f"{column}_lo"] = [b[0] for b in bounds]
            series[f"{column}_hi"] = [b[1] for b in bounds]
        if levels:
            out.append(series)
    return out


def chart_scopes(runs: Sequence[LoadedRun], write: Callable[[str, Any], str]) -> list[dict[str, Any]]:
    """The charts page's comparable sets, each with its figures (one line per configuration) in a file."""
    scopes: list[dict[str, Any]] = []
    for (klass, model, hardware, workload), part in comparable_sets(runs):
        count = sum(len(c.slugs) for c in part)
        scopes.append(
            {
                "key": f"{klass}|{model}|{hardware}|{workload}",
                "klass": klass,
                "label": f"{class_label(klass)}: {model}, {hardware}, {workload} "
                f"({len(part)} configurations, {count} runs)",
                "src": write(f"charts-{len(scopes)}", scope_figures(config_series(part))),
                "runs": count,
            }
        )
    return scopes


def leaderboard_payload(ctx: SiteContext, assets: DataAssets) -> dict[str, Any]:
    """A small index of comparable sets (class x model x hardware x workload); each set's configurations
    and their pooled rows are their own data file, loaded when the filters reach it."""
    sets = board_sets(ctx.runs, ctx.runs_frame, assets.write) if not ctx.levels.empty else []
    classes = sorted(set(ctx.runs_frame["klass"]))
    return {
        "definitions": COLUMN_DEFINITIONS,
        "column_sets": COLUMN_SETS,
        "default_column_set": DEFAULT_COLUMN_SET,
        "price_source": DEFAULT_PRICE_SOURCE,
        "default_view": default_view(ctx.runs_frame),
        "compare_url": "compare/" if ctx.dir_urls else "compare.html",
        "run_cols": CONFIG_COLS,
        "cols": ROW_COLS,
        "sets": sets,
        "metrics": {k: list(v) for k, v in LEVEL_METRICS.items()},
        "has_capacity": bool(ctx.runs_frame["capacity"].notna().any()),
        "classes": {k: class_label(k) for k in classes},
        "default_class": default_class(ctx.runs_frame),
        "run_url": "runs/{slug}/" if ctx.dir_urls else "runs/{slug}.html",
        "config_url": "configs/{slug}/" if ctx.dir_urls else "configs/{slug}.html",
    }


def default_view(runs: pd.DataFrame) -> dict[str, str]:
    """The comparable set the leaderboard opens on: the model x hardware x workload of the default class
    with the most runs (so 1x A100 never sits next to 8x H100 until the reader widens the view)."""
    cls = default_class(runs)
    scope = runs if cls == "all" else runs[runs["klass"] == cls]
    if scope.empty:
        return {}
    counts = scope.groupby(["model", "hardware", "workload"], sort=True).size()
    model, hardware, workload = counts.idxmax()
    return {"model": str(model), "hardware": str(hardware), "workload": str(workload)}


def leaderboard_page(ctx: SiteContext, assets: DataAssets) -> str:
    return template("leaderboard.md.j2").render(
        fragments=ctx.fragments,
        data=data_ref("leaderboard", assets.write("leaderboard", leaderboard_payload(ctx, assets))),
        has_runs=bool(ctx.runs),
        default_price=DEFAULT_PRICE_PER_HOUR,
        price_source=DEFAULT_PRICE_SOURCE,
        home_link=md_link("leaderboard.md", "index.md"),
        data_link=relative_url("leaderboard.md", "data.md", ctx.dir_urls),
        methodology_link=md_link("leaderboard.md", "methodology.md"),
    )
