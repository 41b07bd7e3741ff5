"""Everything one run recorded, arranged for its page (pure: record -> context dict for run.md.j2)."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup
from pydantic import BaseModel

from collector.schema import RunRecord, configuration_key, percentile_supported
from generator.analysis.history import config_key
from generator.data.columns import HEADINGS, level_values
from generator.data.load import LoadedRun
from generator.data.tables import level_text, run_info
from generator.figures.charts import Series
from generator.figures.runfigures import run_figures
from generator.pages.runsummary import (
    foreign_matrix,
    human_title,
    launch_note,
    merged_level_rows,
    public_command,
    server_metrics_matrix,
    subtitle,
    summary_items,
)
from generator.pages.workload import workload_context, workload_figures
from generator.render.safe import clean_text, safe_url
from generator.render.templates import FragmentStore, relative_url, template

Row = tuple[str, Any]
MAX_ERROR_SAMPLES = 20
# The columns of the every-trial table (run.md.j2), in its order; goodput is shown with its fraction.
TRIAL_COLUMNS = (
    "out_tok_s",
    "out_tok_s_gpu",
    "ttft_p50",
    "ttft_p99",
    "tpot_p50",
    "e2e_p50",
    "rps",
    "j_per_tok",
)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return ", ".join(_fmt(v) for v in value) if value else "—"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={_fmt(v)}" for k, v in value.items()) if value else "—"
    return clean_text(value)


def model_rows(model: BaseModel | None, skip: Iterable[str] = ()) -> list[Row]:
    """A flat (field, value) list of one schema model's scalar fields; nested models are flattened."""
    if model is None:
        return []
    rows: list[Row] = []
    for name in type(model).model_fields:
        if name in skip:
            continue
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            rows.extend((f"{name}.{k}", v) for k, v in model_rows(value))
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for i, item in enumerate(value):
                rows.extend((f"{name}[{i}].{k}", v) for k, v in model_rows(item))
        else:
            rows.append((name, _fmt(value)))
    return rows


def shell_line(argv: list[str] | None) -> str | None:
    return None if not argv else shlex.join(clean_text(a) for a in argv)


def level_table(record: RunRecord) -> list[dict[str, Any]]:
    """Every trial of every level, its figures read by `columns.level_values` (the leaderboard's own path,
    so an invalid energy reading shows no J/token here either)."""
    rows = []
    for level in record.results:
        p99_shown = percentile_supported("p99", level.completed)
        values = level_values(level)
        row = {
            "level": level_text(level.concurrency, level.request_rate),
            "trial": level.trial,
            "status": level.status,
            "completed": level.completed,
            "failed": level.failed,
            **{key: values[key] for key in TRIAL_COLUMNS},
            "goodput": f"{level.goodput.rate_rps:.4g} ({level.goodput.fraction:.0%})"
            if level.goodput
            else None,
            "mismatch": level.length_mismatches,
            "saturated": level.client.reason or "client saturated"
            if level.client and level.client.saturated
            else None,
        }
        if not p99_shown:
            row["ttft_p99"] = None
        row["ttft_p99_title"] = None if p99_shown else f"n={level.completed}: too few for p99"
        rows.append(row)
    return [{k: v if k.endswith("_title") else _fmt(v) for k, v in r.items()} for r in rows]


def error_tables(record: RunRecord) -> tuple[list[Row], list[Row]]:
    """(level, reason -> count) rows and a bounded sample of the error messages requests recorded."""
    counts: list[Row] = []
    samples: list[Row] = []
    for level in record.results:
        name = level_text(level.concurrency, level.request_rate)
        counts.extend((name, f"{clean_text(reason)}: {n}") for reason, n in level.errors.items())
        for req in level.requests:
            if req.error and len(samples) < MAX_ERROR_SAMPLES:
                samples.append((f"{name} {clean_text(req.status)}", clean_text(req.error)))
    return counts, samples


def run_context(loaded: LoadedRun, series: Series | None) -> dict[str, Any]:
    figures = run_figures(loaded.record, series)
    r = loaded.record
    rows = (
        [] if series is None else [{k: v[i] for k, v in series.items()} for i in range(len(series["slug"]))]
    )
    sm_columns, sm_rows = server_metrics_matrix(r)
    stat_columns, foreign_rows, foreign_full = foreign_matrix(r.origin.foreign_metrics)
    hw_rows = model_rows(r.hardware, skip=("gpus", "host"))
    hw_rows += [(f"host.{k}", v) for k, v in model_rows(r.hardware.host)]
    for gpu in r.hardware.gpus:
        hw_rows += [(f"gpu[{gpu.index}].{k}", v) for k, v in model_rows(gpu, skip=("index",))]
    launch_rows = model_rows(r.launch, skip=("argv",))
    provenance = [
        ("run_id", clean_text(r.run_id)),
        ("schema_version", str(r.schema_version)),
        ("created_at", _fmt(r.created_at.isoformat())),
        ("started_at", _fmt(r.started_at.isoformat() if r.started_at else None)),
        ("finished_at", _fmt(r.finished_at.isoformat() if r.finished_at else None)),
        ("status", r.status),
        ("status_reason", _fmt(r.status_reason)),
        *[(f"collector.{k}", v) for k, v in model_rows(r.collector)],
        *[(f"origin.{k}", v) for k, v in model_rows(r.origin, skip=("notes", "foreign_metrics"))],
        *[(f"suite.{k}", v) for k, v in model_rows(r.suite, skip=("text",))],
        ("labels", _fmt(r.labels)),
    ]
    sections = [
        ("Model", model_rows(r.model)),
        ("Quantization", model_rows(r.quantization)),
        ("Serving configuration", model_rows(r.serving)),
        ("Hardware", hw_rows),
        ("Backend", model_rows(r.backend)),
        ("Software", model_rows(r.software)),
        ("Launch", launch_rows),
        ("Isolation", model_rows(r.isolation)),
        ("Workload", model_rows(r.workload)),
        ("Provenance", provenance),
    ]
    counts, samples = error_tables(r)
    telemetry = r.telemetry
    return {
        "run": run_info(loaded),
        "record": r,
        "title": human_title(r),
        "summary": summary_items(rows, r),
        "subtitle": subtitle(r),
        "merged_rows": merged_level_rows(rows),
        "launch_line": public_command(r.launch.argv),
        "launch_note": launch_note(r),
        "collect_line": public_command(r.command),
        "sm_columns": sm_columns,
        "sm_rows": sm_rows,
        "stat_columns": stat_columns,
        "foreign_rows": foreign_rows,
        "ci_url": safe_url(r.ci.run_url) if r.ci and r.ci.run_url else None,
        "sections": [(title, rows) for title, rows in sections if rows],
        "level_rows": level_table(r),
        "headings": HEADINGS,
        "error_counts": counts,
        "error_samples": samples,
        "figures": figures,
        "hist_names": [name for name in figures if name.startswith("ttft_hist")],
        "telemetry_note": None
        if telemetry is None or telemetry.available
        else clean_text(telemetry.reason or ""),
        "notes": [clean_text(n) for n in r.notes],
        "imported": r.origin.kind == "imported",
        "origin_notes": [clean_text(n) for n in r.origin.notes],
        "foreign_metrics": foreign_full,
        "suite_text": clean_text(r.suite.text) if r.suite else None,
        "wl": workload_context(r),
        "wl_figures": workload_figures(r),
    }


# Where the badges of a run page go: some depend on other runs ("answers diverge"), which are known only
# when every run has been read, while the page is written as each run is read (build/runpages.py).
BADGES_MARK = "<!--ib-run-badges-->"


def run_page(loaded: LoadedRun, series: Series | None, dir_urls: bool, fragments: FragmentStore) -> str:
    """The Markdown of one run's page (runs/<slug>.md), its large HTML blocks in `fragments`."""
    run = loaded
    page = f"runs/{run.slug}.md"
    context = run_context(run, series)
    context["raw_json_link"] = relative_url(page, f"data/runs/{run.slug}.json", dir_urls)
    context["compare_href"] = relative_url(page, "compare.md", dir_urls) + f"?runs={run.slug}"
    context["badges_html"] = Markup(BADGES_MARK)
    context["config_href"] = relative_url(page, f"configs/{configuration_key(run.record)}.md", dir_urls)
    context["history_href"] = relative_url(page, f"history/{config_key(run.record)}.md", dir_urls)
    return template("run.md.j2").render(fragments=fragments, **context)
