"""Run pages and each run's downloads, made while the runs are read, and put into the site after the engine.

A site of 10,000 runs is 10,000 run pages. Handing them to MkDocs cost more than a minute and kept every
page in memory; they also need nothing of MkDocs but its page frame (header, navigation, footer), which is
the same for all of them. So the engine builds one stand-in run page (`runs/ib-run-shell.md`: the run
pages' front matter, a title token and a body token) and each run page is that frame with its title and
body put in (`RunPageAssembler`). The body is the page's Markdown turned into HTML with the Markdown
extensions mkdocs.yml configures (what MkDocs itself would use), so the page reads as before.

Each body is made as its run is read (`RunReader.loaded`), stored in the build cache (build/runcache.py)
with the run's raw JSON and llm-d reports, so nothing of a run but its trimmed record stays in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown

from collector.schema import RunFileError, RunRecord, read_run_data
from collector.schema.table import level_table_rows
from generator.build.runcache import (
    LLMD_FILE,
    RAW_FILE,
    CachedRun,
    RunCache,
    body_file,
    cached_rows,
    link_or_copy,
    trimmed,
    write_atomically,
)
from generator.data.load import LoadedRun, read_public_run, settle
from generator.data.tables import level_frame
from generator.figures.charts import run_series
from generator.pages.downloads import llmd_file_name, llmd_zip_bytes, raw_run_bytes, raw_run_file
from generator.pages.runpage import BADGES_MARK, run_page
from generator.render.templates import FragmentStore, badges

SHELL_SLUG = "ib-run-shell"
SHELL_PAGE = f"runs/{SHELL_SLUG}.md"
TITLE_TOKEN = "IBRUNPAGETITLE"
BODY_TOKEN = "IBRUNPAGEBODY"
MAX_RUN_BYTES = 64 * 1024 * 1024
BODY_BATCH = 64
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_SHELL_CONTENT = re.compile(rf"<h1[^>]*>{TITLE_TOKEN}.*?</h1>\s*<p>{BODY_TOKEN}</p>", re.DOTALL)


class MarkdownToHtml:
    """Markdown -> HTML with mkdocs.yml's extensions (MkDocs adds toc, tables and fenced_code to them)."""

    def __init__(self, config_file: Path) -> None:
        from mkdocs.config import load_config

        with tempfile.TemporaryDirectory(prefix="inferboard-md-") as scratch:
            # Only the Markdown settings are read; MkDocs insists on folders that exist and do not nest.
            (Path(scratch) / "docs").mkdir()
            config = load_config(
                config_file=str(config_file), docs_dir=f"{scratch}/docs", site_dir=f"{scratch}/site"
            )
        self.extensions: list[Any] = list(config.markdown_extensions)
        self.configs: dict[str, Any] = dict(config.mdx_configs)
        self._md = markdown.Markdown(extensions=self.extensions, extension_configs=self.configs)

    @property
    def settings(self) -> str:
        """What the output depends on, for the cache key."""
        return repr(sorted(map(str, self.extensions))) + repr(sorted(self.configs.items(), key=str))

    def convert(self, text: str) -> str:
        self._md.reset()
        return str(self._md.convert(_FRONT_MATTER.sub("", text, count=1)))


def shell_page(run_template_text: str) -> str:
    """The stand-in run page the engine builds: the run pages' own front matter, a title and a body token."""
    match = _FRONT_MATTER.match(run_template_text)
    front = match.group(0) if match else ""
    return f"{front}\n# {TITLE_TOKEN}\n\n{BODY_TOKEN}\n"


@dataclass(frozen=True)
class RunPage:
    slug: str
    entry: Path  # its cache entry: the page body, the downloads


class RunReader:
    """Reads run files for `load_runs` through the cache: a file whose bytes are cached is not parsed; a new
    one is validated once, and its page body and downloads are made and cached while its record is whole."""

    def __init__(self, cache: RunCache, to_html: MarkdownToHtml, dir_urls: bool) -> None:
        self.cache = cache
        self.to_html = to_html
        self.dir_urls = dir_urls
        self.pages: list[RunPage] = []
        self._pending: tuple[str, CachedRun | None, RunRecord | None] | None = None
        self._unrendered: list[tuple[LoadedRun, Path]] = []

    def read(self, path: Path) -> RunRecord:
        try:
            raw = path.read_bytes() if 0 < path.stat().st_size <= MAX_RUN_BYTES else None
        except OSError:
            raw = None
        if raw is None:
            read_run_data(path, MAX_RUN_BYTES)  # raises the one-line error (empty, too large, unreadable)
            raise RunFileError(str(path), "cannot read")  # not reached unless the file changed meanwhile
        content_hash = hashlib.sha256(raw).hexdigest()
        hit = self.cache.get(content_hash)
        if hit is not None:
            self._pending = (content_hash, hit, None)
            return hit.record
        record = read_public_run(path)
        self._pending = (content_hash, None, record)
        return record

    def loaded(self, run: LoadedRun) -> LoadedRun:
        """The run the build keeps (trimmed), after its page body and downloads are in the cache."""
        if self._pending is None:
            raise RunFileError(str(run.path), "read out of order")  # not reached: load_runs calls read first
        content_hash, hit, whole = self._pending
        self._pending = None
        if hit is None:
            assert whole is not None
            hit = self.cache.put(
                content_hash,
                trimmed(whole),
                level_table_rows(whole),
                raw_run_bytes(whole),
                llmd_zip_bytes(whole),
            )
        body = body_file(hit.entry, run.slug)
        if not body.is_file():
            full = whole if whole is not None else self._reread(run.path)
            self._unrendered.append((LoadedRun(full, run.path, run.slug), body))
            if len(self._unrendered) >= BODY_BATCH:
                self.flush()
        self.pages.append(RunPage(run.slug, hit.entry))
        return LoadedRun(hit.record, run.path, run.slug)

    def table_batches(self, runs_per_batch: int = 200) -> Iterator[list[dict[str, Any]]]:
        """levels.parquet's rows, a batch of runs at a time, from the cache (never all in memory)."""
        for start in range(0, len(self.pages), runs_per_batch):
            yield [
                row for page in self.pages[start : start + runs_per_batch] for row in cached_rows(page.entry)
            ]

    def flush(self) -> None:
        """Render the page bodies still owed (in batches: one pandas frame for many runs costs about what
        one run's would)."""
        batch, self._unrendered = self._unrendered, []
        if not batch:
            return
        series = {s["slug"][0]: s for s in run_series(level_frame([run for run, _ in batch]))}
        for run, body in batch:
            fragments = FragmentStore()
            text = run_page(run, series.get(run.slug), self.dir_urls, fragments)
            write_atomically(body, fragments.expand(self.to_html.convert(text)))

    def _reread(self, path: Path) -> RunRecord:
        """The whole record of a cached run whose page is wanted under another name (a slug clash)."""
        record = read_public_run(path)
        settle(record)
        return record


_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.DOTALL)
_H1_ID = re.compile(r'<h1 id="([^"]*)"')
_TAGS = re.compile(r"<[^>]+>")


def _title(body: str) -> str:
    """The page title as text: its first heading, without the permalink mark."""
    found = _H1.search(body, 0, 4096)
    text = _TAGS.sub("", re.sub(r'<a class="headerlink".*?</a>', "", found.group(1))) if found else "Run"
    return html.unescape(text).strip()


class RunPageAssembler:
    """Puts each run page into the built site: the engine's stand-in page with the run's title and body."""

    def __init__(self, site: Path, dir_urls: bool) -> None:
        self.site = site
        self.dir_urls = dir_urls
        self.shell_file = site / "runs" / (f"{SHELL_SLUG}/index.html" if dir_urls else f"{SHELL_SLUG}.html")
        text = self.shell_file.read_text(encoding="utf-8")
        found = _SHELL_CONTENT.search(text)
        if found is None:
            raise RunFileError(str(self.shell_file), "the engine's stand-in run page has no title and body")
        self.parts = (text[: found.start()], text[found.end() :])

    def target(self, slug: str) -> Path:
        return self.site / "runs" / (f"{slug}/index.html" if self.dir_urls else f"{slug}.html")

    def write(self, page: RunPage, badge_list: list[str]) -> None:
        body = body_file(page.entry, page.slug).read_text(encoding="utf-8")
        title = html.escape(_title(body), quote=False)
        body = body.replace(BADGES_MARK, str(badges(badge_list)), 1)
        found = _H1_ID.search(body)
        anchor = found.group(1) if found else ""  # the frame's "skip to content" link points at it
        frame = [
            part.replace(TITLE_TOKEN, title)
            .replace(TITLE_TOKEN.lower(), anchor)
            .replace(SHELL_SLUG, page.slug)
            for part in self.parts
        ]
        text = frame[0] + body + frame[1]
        target = self.target(page.slug)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def finish(self, slugs: list[str]) -> None:
        """Remove the stand-in page and list the run pages in the sitemap in its place."""
        self.shell_file.unlink()
        if self.dir_urls:
            self.shell_file.parent.rmdir()
        sitemap = self.site / "sitemap.xml"
        if not sitemap.is_file():
            return
        text = sitemap.read_text(encoding="utf-8")
        entry = re.search(rf"<url>(?:(?!</url>).)*{SHELL_SLUG}.*?</url>\s*", text, re.DOTALL)
        if entry is None:
            return
        urls = "".join(entry.group(0).replace(SHELL_SLUG, slug) for slug in slugs)
        text = text[: entry.start()] + urls + text[entry.end() :]
        sitemap.write_text(text, encoding="utf-8")
        gz = self.site / "sitemap.xml.gz"
        if gz.is_file():
            gz.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))


def place_run_files(site: Path, pages: Iterable[RunPage]) -> None:
    """Each run's raw JSON and llm-d reports, from the cache into the site's data folder."""
    for page in pages:
        for cached, rel in ((RAW_FILE, raw_run_file(page.slug)), (LLMD_FILE, llmd_file_name(page.slug))):
            target = site / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            link_or_copy(page.entry / cached, target)
