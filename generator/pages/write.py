"""Every generated page but the run pages (build/runpages.py makes those as the runs are read), written in
one pass: the one call build/site.py makes for the main pages."""

from __future__ import annotations

from itertools import chain
from pathlib import Path

from generator.pages.backends import backend_pages
from generator.pages.chartspage import charts_page
from generator.pages.common import GENERATED_NAV, SiteContext, write_page
from generator.pages.compare import compare_page
from generator.pages.configpages import config_pages
from generator.pages.downloads import data_page
from generator.pages.home import home_page
from generator.pages.leaderboard import leaderboard_page
from generator.pages.methodology import methodology_page
from generator.pages.runsindex import runs_index_pages
from generator.pages.sidebyside import PAGE as COMPARISON_PAGE
from generator.pages.sidebyside import comparison_page
from generator.render.assets_data import DataAssets


def write_pages(ctx: SiteContext, docs: Path) -> list[tuple[str, str]]:
    """Write every generated page; returns the generated nav as (title, file) pairs."""
    assets = DataAssets(docs)
    fixed = {
        "index.md": home_page(ctx, assets),
        "leaderboard.md": leaderboard_page(ctx, assets),
        "charts.md": charts_page(ctx, assets),
        "compare.md": compare_page(ctx, assets),
        "methodology.md": methodology_page(ctx),
        "data.md": data_page(ctx, docs),
    }
    pages = chain(
        fixed.items(),
        runs_index_pages(ctx, assets).items(),
        config_pages(ctx.runs, ctx.fragments, ctx.dir_urls).items(),
        backend_pages(ctx).items(),
        [(COMPARISON_PAGE, comparison_page(ctx))],
    )
    for name, text in pages:
        write_page(docs, name, text)
    return [(title, path) for path, title in GENERATED_NAV]
