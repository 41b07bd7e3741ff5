"""The All runs list, paged."""

from __future__ import annotations

from generator.pages.common import SiteContext, run_href
from generator.render.templates import relative_url, template

RUNS_PER_PAGE = 500


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
