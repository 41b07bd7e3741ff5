"""The Compare page: a compact index of every run; each run's points and metadata load when picked."""

from __future__ import annotations

from typing import Any

from generator.data.load import LoadedRun
from generator.data.tables import (
    short_backend,
    short_id,
)
from generator.figures.charts import Series, backend_color, num
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


def compare_page(ctx: SiteContext, series_by_slug: dict[str, Series], assets: DataAssets) -> str:
    return template("compare.md.j2").render(
        fragments=ctx.fragments,
        data=data_ref("compare", assets.write("compare", compare_payload(ctx, series_by_slug, assets))),
    )
