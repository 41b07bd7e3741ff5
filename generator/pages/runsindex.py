"""The All runs list: static pages (readable without JavaScript) and, for the page script, a compact index
of every run that the filter and the pager load when first used."""

from __future__ import annotations

from typing import Any

from generator.data.tables import short_id
from generator.pages.common import SiteContext, run_href
from generator.render.assets_data import DataAssets, data_ref
from generator.render.templates import relative_url, template

RUNS_PER_PAGE = 500  # rows of one static page (what a reader without JavaScript gets)
ROWS_SHOWN = 100  # rows the page script shows at a time, filtered or not
# The index's text columns: each distinct value is stored once and rows point at it, so 10,000 runs of a
# few dozen models, backends and hardware stay a few hundred KB.
LOOKUP_COLS = ("model", "backend", "hardware", "quant", "workload")


def runs_index_payload(rows: list[dict[str, Any]], dir_urls: bool, per_page: int) -> dict[str, Any]:
    """Every run, newest first: [slug, created, model, backend, hardware, quant, workload, levels, badges],
    the text columns as indexes into `values`."""
    values: dict[str, list[str]] = {c: [] for c in LOOKUP_COLS}
    slots: dict[str, dict[str, int]] = {c: {} for c in LOOKUP_COLS}

    def slot(col: str, text: str) -> int:
        if text not in slots[col]:
            slots[col][text] = len(values[col])
            values[col].append(text)
        return slots[col][text]

    out = []
    for run in rows:
        texts = {c: str(run[c]) for c in LOOKUP_COLS}
        texts["backend"] = f"{run['backend']} {run['backend_version']}"
        out.append(
            [
                run["slug"],
                run["created"],
                *(slot(c, texts[c]) for c in LOOKUP_COLS),
                run["levels"],
                run["badges"],
            ]
        )
    return {
        "cols": ["slug", "created", *LOOKUP_COLS, "levels", "badges"],
        "values": values,
        "rows": out,
        "per_page": per_page,
        "short": len(short_id("x" * 64)),
        "run_url": "runs/{slug}/" if dir_urls else "runs/{slug}.html",
    }


def runs_index_pages(ctx: SiteContext, assets: DataAssets) -> dict[str, str]:
    """The All runs list, newest first, RUNS_PER_PAGE to a page (runs/index.md, runs/page_2.md, ...; the
    underscore keeps these names apart from run slugs), so no list page grows with the number of runs."""
    runs = ctx.runs_frame.sort_values("created_ts", ascending=False).to_dict("records")
    index = data_ref("runs", assets.write("runs", runs_index_payload(runs, ctx.dir_urls, ROWS_SHOWN)))
    chunks = [runs[i : i + RUNS_PER_PAGE] for i in range(0, len(runs), RUNS_PER_PAGE)] or [[]]
    names = ["runs/index.md"] + [f"runs/page_{n}.md" for n in range(2, len(chunks) + 1)]
    pages = {}
    for number, (name, chunk) in enumerate(zip(names, chunks, strict=True), start=1):
        for run in chunk:
            run["href"] = run_href(ctx, name, run["slug"])
            run["short"] = short_id(run["slug"])
        pages[name] = template("runs_index.md.j2").render(
            fragments=ctx.fragments,
            runs=chunk,
            count=len(runs),
            first=(number - 1) * RUNS_PER_PAGE + 1,
            number=number,
            pager=[(n, relative_url(name, other, ctx.dir_urls)) for n, other in enumerate(names, start=1)],
            index=index,
            per_page=ROWS_SHOWN,
        )
    return pages
