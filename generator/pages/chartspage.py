"""The Charts page: one chart set per comparable scope, its figures in their own data files."""

from __future__ import annotations

from typing import Any

from generator.data.tables import (
    default_class,
)
from generator.figures.charts import DEFAULT_PRICE_PER_HOUR
from generator.pages.common import SiteContext
from generator.pages.leaderboard import chart_scopes
from generator.render.assets_data import DataAssets, data_ref
from generator.render.templates import md_link, template

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


def charts_payload(ctx: SiteContext, assets: DataAssets) -> dict[str, Any]:
    """The list of comparable sets; each set's figures go to their own data file, loaded when viewed."""
    # One chart set per hardware (a chart never mixes 1x H100 with 8x A100), one line per configuration.
    scopes = chart_scopes(ctx.runs, assets.write) if not ctx.levels.empty else []
    preferred = default_class(ctx.runs_frame)
    # The default view: the preferred class first, then the scope with the most runs.
    scopes.sort(key=lambda s: (preferred != "all" and s["klass"] != preferred, -s["runs"], s["label"]))
    return {"scopes": scopes, "default_price": DEFAULT_PRICE_PER_HOUR}


def charts_page(ctx: SiteContext, assets: DataAssets) -> str:
    charts = charts_payload(ctx, assets)
    return template("charts.md.j2").render(
        fragments=ctx.fragments,
        data=data_ref("charts", assets.write("charts", charts)),
        scopes=charts["scopes"],
        chart_names=CHART_NAMES,
        default_price=DEFAULT_PRICE_PER_HOUR,
        home_link=md_link("charts.md", "index.md"),
    )
