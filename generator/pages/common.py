"""Page builders: frames and records -> Markdown files in the generated docs folder."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from markupsafe import Markup, escape

from collector.schema import (
    CAPACITY_DEFINITIONS,
    CLEAN_RULES,
    CONFIGURATION_FIELDS,
    METRIC_DEFINITIONS,
    MIN_DECIDING_REASON,
    MIN_DECIDING_REQUESTS,
    PERCENTILE_MIN_SAMPLES,
    PRESET_DEFINITIONS,
    SCHEMA_VERSION,
    WORKLOAD_DEFINITIONS,
    configuration_key,
    json_schema,
)
from generator.analysis.decide import decision_groups, sections
from generator.analysis.history import config_key
from generator.data.columns import COLUMN_DEFINITIONS, LEVEL_METRICS
from generator.data.load import LoadedRun
from generator.data.tables import (
    REAL_GPU_CLASS,
    class_label,
    default_class,
    short_backend,
    short_id,
)
from generator.figures.charts import DEFAULT_PRICE_PER_HOUR, Series, backend_color, num, run_series
from generator.pages.configpages import config_pages
from generator.pages.downloads import (
    PARQUET,
    column_rows,
    llmd_zip_name,
    results_csv,
    write_level_parquet,
    write_llmd_reports,
)
from generator.pages.leaderboard import CONFIG_COLS, ROW_COLS, board_sets, chart_scopes
from generator.pages.runpage import model_rows, run_context, shell_line
from generator.render.assets_data import DATA_DIR, DataAssets, data_ref
from generator.render.safe import clean_text, json_text
from generator.render.templates import FragmentStore, md_link, relative_url, template

CHART_NAMES = [
    ("throughput", "Output throughput vs concurrency"),
    ("ttft_p50", "TTFT p50 vs concurrency"),
    ("ttft_p99", "TTFT p99 vs concurrency"),
    ("tpot", "TPOT vs concurrency"),
    ("pareto", "Pareto frontier: throughput per GPU vs per-user speed"),
    ("latency", "Latency distribution"),
    ("energy", "Energy per output token"),
    ("cost", "Cost per million output tokens"),
]
# Ranked rows shown per operating point on the home page; the rest are counted and linked (leaderboard),
# so the home page stays flat as runs grow.
HOME_TOP = 10
RUNS_PER_PAGE = 500
# Generated pages in nav order: (file, nav title).
GENERATED_NAV = [
    ("index.md", "Home"),
    ("leaderboard.md", "Leaderboard"),
    ("charts.md", "Charts"),
    ("compare.md", "Compare"),
    ("runs/index.md", "All runs"),
    ("methodology.md", "Methodology"),
    ("data.md", "Data"),
]


@dataclass(frozen=True)
class SiteContext:
    runs: list[LoadedRun]
    runs_frame: pd.DataFrame
    levels: pd.DataFrame
    problems: list[str]
    dir_urls: bool
    built_at: datetime
    fragments: FragmentStore = field(default_factory=FragmentStore)


def trusted(text: str) -> Markup:
    """Text from inferboard's own code (not from a run file): HTML-escaped, Markdown left to work."""
    return Markup(escape(text))


def _write(docs: Path, rel: str, text: str) -> None:
    path = docs / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", errors="replace")


def _links(ctx: SiteContext, page: str) -> dict[str, str]:
    return {
        name: md_link(page, f"{name}.md" if name != "runs" else "runs/index.md")
        for name in ("leaderboard", "charts", "compare", "runs", "methodology", "data")
    }


def run_href(ctx: SiteContext, page: str, slug: str) -> str:
    return relative_url(page, f"runs/{slug}.md", ctx.dir_urls)


def leaderboard_payload(ctx: SiteContext, assets: DataAssets) -> dict[str, Any]:
    """A small index of comparable sets (class x model x hardware x workload); each set's configurations
    and their pooled rows are their own data file, loaded when the filters reach it."""
    sets = board_sets(ctx.runs, ctx.runs_frame, assets.write) if not ctx.levels.empty else []
    classes = sorted(set(ctx.runs_frame["klass"]))
    return {
        "definitions": COLUMN_DEFINITIONS,
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


def charts_payload(ctx: SiteContext, assets: DataAssets) -> dict[str, Any]:
    """The list of comparable sets; each set's figures go to their own data file, loaded when viewed."""
    # One chart set per hardware (a chart never mixes 1x H100 with 8x A100), one line per configuration.
    scopes = chart_scopes(ctx.runs, assets.write) if not ctx.levels.empty else []
    preferred = default_class(ctx.runs_frame)
    # The default view: the preferred class first, then the scope with the most runs.
    scopes.sort(key=lambda s: (preferred != "all" and s["klass"] != preferred, -s["runs"], s["label"]))
    return {"scopes": scopes, "default_price": DEFAULT_PRICE_PER_HOUR}


def compare_meta(run: LoadedRun) -> dict[str, str]:
    r = run.record
    meta: dict[str, str] = {
        "run_id": clean_text(r.run_id),
        "created_at": r.created_at.isoformat(),
        "status": r.status,
        "origin": r.origin.kind,
        "labels": ", ".join(r.labels),
    }
    for section, model in (
        ("model", r.model),
        ("quantization", r.quantization),
        ("serving", r.serving),
        ("backend", r.backend),
        ("hardware", r.hardware),
        ("software", r.software),
        ("workload", r.workload),
        ("collector", r.collector),
    ):
        meta.update({f"{section}.{k}": str(v) for k, v in model_rows(model)})
    meta["launch.mode"] = r.launch.mode
    meta["launch.argv"] = shell_line(r.launch.argv) or "—"
    meta["launch.env"] = "; ".join(f"{k}={v}" for k, v in r.launch.env.items()) or "—"
    return meta


def compare_payload(
    ctx: SiteContext, series_by_slug: dict[str, Series], assets: DataAssets
) -> dict[str, Any]:
    """A compact index of every run (id, short label, comparable set, badges, colour); each run's curve
    points and metadata are its own file, loaded when the run is picked, so the index stays small."""
    runs: list[list[Any]] = []
    groups: dict[tuple[str, str, str, str], int] = {}
    colors: dict[str, int] = {}
    for run, row in zip(ctx.runs, ctx.runs_frame.to_dict("records"), strict=True):
        s = series_by_slug.get(run.slug)
        points = (
            []
            if s is None
            else [
                [num(v) for v in values]
                for values in zip(
                    s["load"],
                    s["out_tok_s"],
                    s["ttft_p50"],
                    s["tpot_p50"],
                    s["user_tok_s"],
                    [t / max(int(d), 1) for t, d in zip(s["out_tok_s"], s["devices"], strict=True)],
                    strict=True,
                )
            ]
        )
        key = (str(row["klass"]), str(row["model"]), str(row["hardware"]), str(row["workload"]))
        group = groups.setdefault(key, len(groups))
        color = colors.setdefault(backend_color(str(row["backend"])), len(colors))
        src = assets.write(f"run-{run.slug}", {"meta": compare_meta(run), "levels": points})
        digest = src.rsplit("-", 1)[1].removesuffix(".js")
        head = f"{short_backend(row['backend'], row['backend_version'])} · {row['quant']}"
        runs.append([run.slug, head, group, row["badges"], color, digest])
    return {
        "cols": ["slug", "head", "group", "badges", "color", "digest"],
        "runs": runs,
        "groups": [list(k) for k in groups],
        "colors": list(colors),
        "src": f"{DATA_DIR}/run-{{slug}}-{{digest}}.js",
        "short": len(short_id("x" * 64)),
        "run_url": "runs/{slug}/" if ctx.dir_urls else "runs/{slug}.html",
    }


def home_page(ctx: SiteContext, assets: DataAssets) -> str:
    groups = decision_groups(ctx.runs)
    # Each comparison's curves (for the editable interactivity target) are their own file, loaded on edit.
    curves = {"config_url": "configs/{slug}/" if ctx.dir_urls else "configs/{slug}.html", "top": HOME_TOP}
    board = relative_url("index.md", "leaderboard.md", ctx.dir_urls)
    extras = [
        {
            "src": assets.write(f"decide-{i}", g.curves),
            "board": board
            + "?"
            + urlencode({"class": g.klass, "model": g.model, "hardware": g.hardware, "workload": g.workload}),
        }
        for i, g in enumerate(groups)
    ]
    updated = max((r.record.created_at for r in ctx.runs), default=None, key=lambda d: d.timestamp())
    return template("index.md.j2").render(
        fragments=ctx.fragments,
        run_count=len(ctx.runs),
        level_count=len(ctx.levels),
        updated=updated.astimezone(UTC).strftime("%Y-%m-%d") if updated else "",
        built=ctx.built_at.strftime("%Y-%m-%d %H:%M UTC"),
        links=_links(ctx, "index.md"),
        decision_sections=sections(groups),
        decide_data=data_ref("decide", assets.write("decide", curves)),
        extras=extras,
        top=HOME_TOP,
        has_real_gpu=any(g.klass == REAL_GPU_CLASS for g in groups),
        href=lambda path: relative_url("index.md", path, ctx.dir_urls),
        min_requests=MIN_DECIDING_REQUESTS,
        problems=ctx.problems,
    )


def methodology_page(ctx: SiteContext) -> str:
    hw: Counter[tuple[str, str, str]] = Counter()
    quant: Counter[tuple[str, str, str]] = Counter()
    for run, info in zip(ctx.runs, ctx.runs_frame.to_dict("records"), strict=True):
        h, q = run.record.hardware, run.record.quantization
        driver = f"{h.driver_version or '—'} / {h.cuda_version or '—'}"
        hw[(info["hardware"], class_label(info["klass"]), driver)] += 1
        quant[(q.format or "unknown", q.weights_dtype or "—", q.kv_cache_dtype or "—")] += 1
    return template("methodology.md.j2").render(
        fragments=ctx.fragments,
        definitions=METRIC_DEFINITIONS,
        workload_definitions=WORKLOAD_DEFINITIONS,
        capacity_definitions=CAPACITY_DEFINITIONS,
        presets=PRESET_DEFINITIONS,
        configuration_fields=CONFIGURATION_FIELDS,
        clean_rules=CLEAN_RULES,
        min_requests=MIN_DECIDING_REQUESTS,
        min_requests_why=MIN_DECIDING_REASON,
        percentile_min=PERCENTILE_MIN_SAMPLES,
        trusted=trusted,
        hardware_rows=[{"hardware": k[0], "klass": k[1], "driver": k[2], "runs": n} for k, n in hw.items()],
        quant_rows=[{"format": k[0], "weights": k[1], "kv": k[2], "runs": n} for k, n in quant.items()],
    )


def runs_index_pages(ctx: SiteContext) -> dict[str, str]:
    """The All runs list, newest first, RUNS_PER_PAGE to a page (runs/index.md, runs/page_2.md, ...; the
    underscore keeps these names apart from run slugs), so no list page grows with the number of runs."""
    runs = ctx.runs_frame.sort_values("created_ts", ascending=False).to_dict("records")
    chunks = [runs[i : i + RUNS_PER_PAGE] for i in range(0, len(runs), RUNS_PER_PAGE)] or [[]]
    names = ["runs/index.md"] + [f"runs/page_{n}.md" for n in range(2, len(chunks) + 1)]
    pages = {}
    for number, (name, chunk) in enumerate(zip(names, chunks, strict=True), start=1):
        for run in chunk:
            run["href"] = run_href(ctx, name, run["slug"])
        pages[name] = template("runs_index.md.j2").render(
            fragments=ctx.fragments,
            runs=chunk,
            count=len(runs),
            first=(number - 1) * RUNS_PER_PAGE + 1,
            number=number,
            pager=[(n, relative_url(name, other, ctx.dir_urls)) for n, other in enumerate(names, start=1)],
        )
    return pages


def write_data_files(ctx: SiteContext, docs: Path) -> str | None:
    """Every download of the Data page; returns why levels.parquet is missing, when it is."""
    _write(docs, "data/results.csv", results_csv(ctx.levels))
    runs = ctx.runs_frame.drop(columns=["created_ts"]).to_dict("records")
    rows = [] if ctx.levels.empty else ctx.levels.drop(columns=["badges"]).to_dict("records")
    _write(
        docs, "data/results.json", json_text({"schema_version": SCHEMA_VERSION, "runs": runs, "levels": rows})
    )
    _write(docs, "data/run-schema.json", json_text(json_schema()))
    raw = docs / "data" / "runs"
    raw.mkdir(parents=True, exist_ok=True)
    for run in ctx.runs:
        # The run as loaded (local paths made public, generator/publicpaths.py), not the file's bytes.
        (raw / f"{run.slug}.json").write_text(json_text(run.record.model_dump(mode="json")), encoding="utf-8")
    write_llmd_reports(ctx.runs, docs)
    return write_level_parquet(ctx.runs, docs)


def write_pages(ctx: SiteContext, docs: Path) -> list[tuple[str, str]]:
    """Write every generated page; returns the generated nav as (title, file) pairs."""
    price = DEFAULT_PRICE_PER_HOUR
    assets = DataAssets(docs)
    _write(docs, "index.md", home_page(ctx, assets))
    _write(
        docs,
        "leaderboard.md",
        template("leaderboard.md.j2").render(
            fragments=ctx.fragments,
            data=data_ref("leaderboard", assets.write("leaderboard", leaderboard_payload(ctx, assets))),
            has_runs=bool(ctx.runs),
            default_price=price,
            home_link=md_link("leaderboard.md", "index.md"),
            data_link=relative_url("leaderboard.md", "data.md", ctx.dir_urls),
            methodology_link=md_link("leaderboard.md", "methodology.md"),
        ),
    )
    charts = charts_payload(ctx, assets)
    _write(
        docs,
        "charts.md",
        template("charts.md.j2").render(
            fragments=ctx.fragments,
            data=data_ref("charts", assets.write("charts", charts)),
            scopes=charts["scopes"],
            chart_names=CHART_NAMES,
            default_price=price,
            home_link=md_link("charts.md", "index.md"),
        ),
    )
    series_by_slug = {s["slug"][0]: s for s in run_series(ctx.levels)}
    _write(
        docs,
        "compare.md",
        template("compare.md.j2").render(
            fragments=ctx.fragments,
            data=data_ref("compare", assets.write("compare", compare_payload(ctx, series_by_slug, assets))),
        ),
    )
    _write(docs, "methodology.md", methodology_page(ctx))
    parquet_problem = write_data_files(ctx, docs)
    _write(
        docs,
        "data.md",
        template("data.md.j2").render(
            fragments=ctx.fragments,
            schema_version=SCHEMA_VERSION,
            links={
                "csv": "data/results.csv",
                "json": "data/results.json",
                "schema": "data/run-schema.json",
                "runs": "runs/index.md",
                "parquet": PARQUET,
            },
            parquet_problem=parquet_problem,
            columns=column_rows(),
            downloads=[
                {"slug": run.slug, "run": f"data/runs/{run.slug}.json", "llmd": llmd_zip_name(run)}
                for run in ctx.runs
            ],
        ),
    )
    for name, text in runs_index_pages(ctx).items():
        _write(docs, name, text)
    for name, text in config_pages(ctx.runs, ctx.fragments, ctx.dir_urls).items():
        _write(docs, name, text)
    run_template = template("run.md.j2")
    # Badges that depend on other runs (e.g. "answers diverge") live in the frame, not the record.
    frame_badges = dict(zip(ctx.runs_frame["slug"], ctx.runs_frame["badges"], strict=True))
    for run in ctx.runs:
        page = f"runs/{run.slug}.md"
        context = run_context(run, series_by_slug.get(run.slug))
        context["raw_json_link"] = f"../data/runs/{run.slug}.json"
        context["compare_href"] = relative_url(page, "compare.md", ctx.dir_urls) + f"?runs={run.slug}"
        context["run"]["badges"] = frame_badges.get(run.slug, context["run"]["badges"])
        context["config_href"] = relative_url(
            page, f"configs/{configuration_key(run.record)}.md", ctx.dir_urls
        )
        context["history_href"] = relative_url(page, f"history/{config_key(run.record)}.md", ctx.dir_urls)
        _write(docs, page, run_template.render(fragments=ctx.fragments, **context))
    return [(title, path) for path, title in GENERATED_NAV]
