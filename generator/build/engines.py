"""The static-site engines `inferboard build` can hand its finished pages to: MkDocs + Material (default) or
Zensical (`--engine zensical`, the optional `zensical` extra).

Everything the site shows is written before the engine runs: the Markdown pages, the assets, and the HTML
fragments the templates set aside (put back into the engine's output by `expand_fragments`, a pass over the
written HTML). So no inferboard MkDocs plugin or hook is needed for content, and Zensical, which runs no
third-party plugin and ignores `hooks`, builds the same pages. The one theme addition
(generator/overrides: the head script that keeps the search index and sitemap off a first visit) is given to
each engine as its theme's first template folder.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from collector.schema import InferboardError
from generator.render.templates import FragmentStore

ENGINES = ("mkdocs", "zensical")
THEME_OVERRIDES = Path(__file__).parents[1] / "overrides"
# Run, history and configuration pages are reached from tables, not the sidebar (thousands of entries would
# bury the nav).
NOT_IN_NAV = "/runs/*.md\n/history/*.md\n/configs/*.md\n/backends/*.md\n"
ZENSICAL_MISSING = (
    "--engine zensical needs Zensical, which is not installed: pip install 'inferboard[zensical]' "
    "(or use the default --engine mkdocs)"
)


class EngineError(InferboardError):
    """The engine could not build the site; the message says why in one line."""


@dataclass(frozen=True)
class EngineJob:
    """What every engine is given: the generated pages, where the site goes, and how it is linked."""

    config_file: Path
    docs: Path
    site: Path
    nav: list[Any]
    site_url: str | None
    dir_urls: bool


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _collect_mkdocs_warnings() -> Iterator[_WarningCollector]:
    handler = _WarningCollector()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def run_mkdocs(job: EngineJob) -> list[str]:
    """Build with MkDocs + Material in this process; returns MkDocs' warnings."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    with _collect_mkdocs_warnings() as collected:
        overrides: dict[str, Any] = {"site_url": job.site_url} if job.site_url else {}
        config = load_config(
            config_file=str(job.config_file),
            docs_dir=str(job.docs),
            site_dir=str(job.site),
            nav=job.nav,
            not_in_nav=NOT_IN_NAV,
            use_directory_urls=job.dir_urls,
            **overrides,
        )
        config.theme.dirs.insert(0, str(THEME_OVERRIDES))  # what `theme.custom_dir` would do
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    return collected.messages


def zensical_installed() -> bool:
    return importlib.util.find_spec("zensical") is not None


def zensical_config(job: EngineJob) -> dict[str, Any]:
    """The project's mkdocs.yml (its !ENV values resolved) with this build's folders, nav and URLs: Zensical
    wants docs_dir and site_dir relative to, and inside, the config's folder."""
    from mkdocs.utils.yaml import yaml_load

    with job.config_file.open(encoding="utf-8") as handle:
        config: dict[str, Any] = dict(yaml_load(handle) or {})
    theme = config.get("theme") or {"name": "material"}
    theme = {"name": theme} if isinstance(theme, str) else dict(theme)
    theme["custom_dir"] = "overrides"
    # Zensical's "classic" variant is Material's look and templates (the "modern" default restyles the site
    # and renames template blocks): the same pages, looking the same, with either engine.
    theme.setdefault("variant", "classic")
    config.update(
        docs_dir="docs",
        site_dir="site",
        nav=job.nav,
        not_in_nav=NOT_IN_NAV,
        use_directory_urls=job.dir_urls,
        theme=theme,
    )
    if job.site_url:
        config["site_url"] = job.site_url
    return config


def run_zensical(job: EngineJob) -> list[str]:
    """Build with Zensical in a child process (its own runtime; a crash there is one error line here) from a
    scratch project folder holding the config, a copy of the pages and the theme overrides."""
    if not zensical_installed():
        raise EngineError(ZENSICAL_MISSING)
    project = Path(tempfile.mkdtemp(prefix="inferboard-zensical-"))
    try:
        shutil.copytree(job.docs, project / "docs")
        shutil.copytree(THEME_OVERRIDES, project / "overrides")
        config_path = project / "mkdocs.yml"
        config_path.write_text(yaml.safe_dump(zensical_config(job), sort_keys=False), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "zensical", "build", "--clean", "--config-file", str(config_path)],
            cwd=project,
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
            check=False,
        )
        output = (done.stdout + done.stderr).strip().splitlines()
        if done.returncode != 0 or not (project / "site" / "index.html").is_file():
            last = output[-1] if output else f"exit status {done.returncode}"
            raise EngineError(f"zensical build failed: {last}")
        for entry in (project / "site").iterdir():
            shutil.move(str(entry), job.site / entry.name)
        return [line for line in output if "warning" in line.lower()]
    finally:
        shutil.rmtree(project, ignore_errors=True)


def run_engine(engine: str, job: EngineJob) -> list[str]:
    if engine == "mkdocs":
        return run_mkdocs(job)
    if engine == "zensical":
        return run_zensical(job)
    raise EngineError(f"unknown engine {engine!r} (choose one of: {', '.join(ENGINES)})")


def expand_fragments(site: Path, store: FragmentStore) -> int:
    """Put the HTML fragments back into every written page (the engine saw only their placeholders, HTML
    comments that Markdown passes through); returns how many pages held one."""
    changed = 0
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if "<!--ib-fragment:" not in text:
            continue
        page.write_text(store.expand(text), encoding="utf-8")
        changed += 1
    return changed
