"""The Compare page: a compact index of every run; each run's points and metadata load when picked."""

from __future__ import annotations

from typing import Any

from generator.data.columns import BY_KEY
from generator.data.load import LoadedRun
from generator.data.tables import (
    short_backend,
    short_id,
)
from generator.figures.charts import Series, backend_color, num, run_series
from generator.pages.common import SiteContext
from generator.pages.runpage import model_rows, shell_line
from generator.render.assets_data import DATA_DIR, DataAssets, data_ref
from generator.render.safe import clean_text
from generator.render.templates import template


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


# The numbers table's metrics, from the column registry (header, unit, which direction is better).
NUMBER_COLUMNS = ("out_tok_s", "ttft_p50", "tpot_p50", "user_tok_s")
# A level's point: load, each NUMBER_COLUMNS value, throughput per device, each column's interval
# (low, high), then the reasons the level may not decide a verdict ("" when clean).
POINT_COLS = [
    "load",
    *NUMBER_COLUMNS,
    "per_device",
    *(f"{c}_{e}" for c in NUMBER_COLUMNS for e in ("lo", "hi")),
]


def level_points(s: Series) -> list[list[Any]]:
    """One run's levels as compact rows (POINT_COLS, then the unclean text), ordered by load."""
    rows = []
    for i, load in enumerate(s["load"]):
        per_device = (
            s["out_tok_s"][i] / max(int(s["devices"][i]), 1) if s["out_tok_s"][i] is not None else None
        )
        values = [load, *(s[c][i] for c in NUMBER_COLUMNS), per_device]
        values += [
            s.get(f"{c}_{e}", [None] * len(s["load"]))[i] for c in NUMBER_COLUMNS for e in ("lo", "hi")
        ]
        unclean = s.get("unclean", [""] * len(s["load"]))[i]
        rows.append([*(num(v) for v in values), clean_text(str(unclean or ""))])
    return rows


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
        points = [] if s is None else level_points(s)
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
        "point_cols": POINT_COLS,
        "numbers": [[BY_KEY[c].key, BY_KEY[c].heading, BY_KEY[c].higher_is_better] for c in NUMBER_COLUMNS],
        "run_url": "runs/{slug}/" if ctx.dir_urls else "runs/{slug}.html",
    }


def compare_page(ctx: SiteContext, assets: DataAssets) -> str:
    # Every run's rows as plain lists, made here and dropped with this page (a large site's whole level
    # frame as Python objects is not kept beside the other pages' data).
    wanted = ["slug", "load", "devices", "unclean", *NUMBER_COLUMNS]
    wanted += [f"{c}_{e}" for c in NUMBER_COLUMNS for e in ("lo", "hi")]
    columns = [c for c in wanted if c in ctx.levels.columns]
    series_by_slug = {s["slug"][0]: s for s in run_series(ctx.levels[columns])} if columns else {}
    return template("compare.md.j2").render(
        fragments=ctx.fragments,
        data=data_ref("compare", assets.write("compare", compare_payload(ctx, series_by_slug, assets))),
    )
