"""The home page: verdicts per comparison, the top configurations at each operating point."""

from __future__ import annotations

from datetime import UTC
from typing import Any
from urllib.parse import urlencode

from collector.schema import (
    MIN_DECIDING_REQUESTS,
)
from generator.analysis.decide import Group, decision_groups, sections
from generator.data.tables import REAL_GPU_CLASS, class_label
from generator.figures.charts import (
    DEFAULT_PRICE_PER_HOUR,
    DEFAULT_PRICE_SOURCE,
    backend_color,
    pareto_frontier,
)
from generator.pages.common import SiteContext, page_links
from generator.render.assets_data import DataAssets, data_ref
from generator.render.templates import relative_url, template

# Ranked rows shown per operating point on the home page; the rest are counted and linked (leaderboard),
# so the home page stays flat as runs grow.
HOME_TOP = 10


def backend_frontiers(group: Group) -> list[list[Any]]:
    """Per backend: the Pareto frontier (per-user tok/s, tok/s per device) over the pooled levels of all its
    configurations, as [backend, colour, [[x, y, "configuration · level", why not clean], ...]]."""
    by_backend: dict[str, list[list[Any]]] = {}
    for label, _key, points, backend in group.curves:
        for p in points:
            if p[0] is not None and p[1] is not None:
                by_backend.setdefault(backend, []).append([p[0], p[1], f"{label} · {p[2]}", p[5]])
    out = []
    for backend, points in sorted(by_backend.items()):
        front = pareto_frontier([(p[0], p[1]) for p in points])
        out.append([backend, backend_color(backend), [points[i] for i in front]])
    return out


def default_set(groups: list[Group]) -> int:
    """The comparison the home page opens on: of the real-weight GPU ones when any exist (else of all), the
    one with most configurations, then most runs; the first such in page order."""
    pool = [i for i, g in enumerate(groups) if g.klass == REAL_GPU_CLASS] or list(range(len(groups)))
    return max(pool, key=lambda i: (groups[i].configs, groups[i].runs, -i)) if pool else 0


def home_choices(groups: list[Group], srcs: list[str], config_url: str) -> dict[str, Any]:
    """The pickers' payload: every comparison (its keys, unit, curves file, per-backend frontier)."""
    sets = [
        {
            "klass": g.klass,
            "class_label": class_label(g.klass),
            "model": g.model,
            "hardware": g.hardware,
            "workload": g.workload,
            "configs": g.configs,
            "runs": g.runs,
            "unit": g.unit,
            "src": src,
            "frontiers": backend_frontiers(g),
        }
        for g, src in zip(groups, srcs, strict=True)
    ]
    return {
        "sets": sets,
        "default": default_set(groups),
        "price": DEFAULT_PRICE_PER_HOUR,
        "price_source": DEFAULT_PRICE_SOURCE,
        "config_url": config_url,
    }


def home_page(ctx: SiteContext, assets: DataAssets) -> str:
    groups = decision_groups(ctx.runs)
    # Each comparison's curves (for the editable interactivity target) are their own file, loaded on edit.
    config_url = "configs/{slug}/" if ctx.dir_urls else "configs/{slug}.html"
    curves = {"config_url": config_url, "top": HOME_TOP}
    board = relative_url("index.md", "leaderboard.md", ctx.dir_urls)
    srcs = [assets.write(f"decide-{i}", g.curves) for i, g in enumerate(groups)]
    extras = [
        {
            "src": srcs[i],
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
        home_data=data_ref("home", assets.write("home", home_choices(groups, srcs, config_url))),
        extras=extras,
        top=HOME_TOP,
        has_real_gpu=any(g.klass == REAL_GPU_CLASS for g in groups),
        href=lambda path: relative_url("index.md", path, ctx.dir_urls),
        min_requests=MIN_DECIDING_REQUESTS,
        problems=ctx.problems,
    )
