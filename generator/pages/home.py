"""The home page: verdicts per comparison, the top configurations at each operating point."""

from __future__ import annotations

from datetime import UTC
from urllib.parse import urlencode

from collector.schema import (
    MIN_DECIDING_REQUESTS,
)
from generator.analysis.decide import decision_groups, sections
from generator.data.tables import (
    REAL_GPU_CLASS,
)
from generator.pages.common import SiteContext, page_links
from generator.render.assets_data import DataAssets, data_ref
from generator.render.templates import relative_url, template

# Ranked rows shown per operating point on the home page; the rest are counted and linked (leaderboard),
# so the home page stays flat as runs grow.
HOME_TOP = 10


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
        links=page_links(ctx, "index.md"),
        decision_sections=sections(groups),
        decide_data=data_ref("decide", assets.write("decide", curves)),
        extras=extras,
        top=HOME_TOP,
        has_real_gpu=any(g.klass == REAL_GPU_CLASS for g in groups),
        href=lambda path: relative_url("index.md", path, ctx.dir_urls),
        min_requests=MIN_DECIDING_REQUESTS,
        problems=ctx.problems,
    )
