"""What every page builder shares: the site context, the nav, links between pages and the one write."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from generator.data.load import LoadedRun
from generator.render.templates import FragmentStore, md_link, relative_url

# Generated pages in nav order: (file, nav title).
GENERATED_NAV = [
    ("index.md", "Home"),
    ("leaderboard.md", "Leaderboard"),
    ("charts.md", "Charts"),
    ("compare.md", "Compare"),
    ("runs/index.md", "All runs"),
    ("methodology.md", "Methodology"),
    ("data.md", "Data"),
    ("backends/index.md", "Backends"),
    ("backends/comparison.md", "Backends side by side"),
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
    # levels.parquet's rows (`collector.schema.table.level_table_rows` of each run) in batches, when the
    # build has them in its cache; None: computed from `runs`.
    table_batches: Callable[[], Iterable[list[dict[str, Any]]]] | None = None


def trusted(text: str) -> Markup:
    """Text from inferboard's own code (not from a run file): HTML-escaped, Markdown left to work."""
    return Markup(escape(text))


def write_page(docs: Path, rel: str, text: str) -> None:
    path = docs / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", errors="replace")


def page_links(ctx: SiteContext, page: str) -> dict[str, str]:
    return {
        name: md_link(page, f"{name}.md" if name != "runs" else "runs/index.md")
        for name in ("leaderboard", "charts", "compare", "runs", "methodology", "data")
    }


def run_href(ctx: SiteContext, page: str, slug: str) -> str:
    return relative_url(page, f"runs/{slug}.md", ctx.dir_urls)
