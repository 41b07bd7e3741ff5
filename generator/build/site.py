"""`inferboard build`: validate runs -> tidy frames -> Markdown pages -> MkDocs or Zensical -> site/.

The site is built into a temporary folder beside the target and swapped in only when the build
succeeded, so a failed build never leaves a half-written site.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from collector.schema import InferboardError
from generator.analysis.agreement import diverging_slugs, with_divergence_badge
from generator.build.engines import EngineError, EngineJob, expand_fragments, run_engine
from generator.build.jsbundle import write_bundle
from generator.build.prefill import prefill
from generator.build.runcache import RunCache, code_digest
from generator.build.runpages import (
    SHELL_PAGE,
    MarkdownToHtml,
    RunPageAssembler,
    RunReader,
    place_run_files,
    shell_page,
)
from generator.build.sitedir import SiteDirError, build_lock, check_replaceable, mark
from generator.build.stages import stage
from generator.data.load import LoadResult, load_runs
from generator.data.tables import level_frame, run_frame
from generator.pages.common import SiteContext, write_page
from generator.pages.quality import write_quality_pages
from generator.pages.write import write_pages
from generator.render.templates import TEMPLATES

ASSETS = Path(__file__).parents[1] / "assets"
GENERATED_MARK = ".inferboard-generated"
# plotly.js "basic" partial bundle (scatter, bar; MIT, vendored in generator/assets with its licence):
# 1.2 MB instead of the full 4.8 MB build, loaded by the page script only on pages that have charts.
PLOTLY_ASSET = "assets/ib/plotly-basic.min.js"


class BuildError(InferboardError):
    """The build cannot go on; the message says why in one line (or one line per bad file)."""


@dataclass
class BuildReport:
    site_dir: Path
    runs_loaded: int = 0
    files_seen: int = 0
    problems: list[str] = field(default_factory=list)  # skipped files, one line each
    mkdocs_warnings: list[str] = field(default_factory=list)
    pages: int = 0
    seconds: float = 0.0


def find_config(explicit: Path | None = None) -> Path:
    """The MkDocs config: given, else ./mkdocs.yml, else the one in the inferboard checkout."""
    candidates = (
        [explicit] if explicit else [Path.cwd() / "mkdocs.yml", Path(__file__).parents[2] / "mkdocs.yml"]
    )
    for path in candidates:
        if path is not None and path.is_file():
            return path
    raise BuildError(f"no mkdocs.yml found (looked at {', '.join(str(c) for c in candidates)})")


def guide_title(path: Path) -> str:
    """A guide page's nav title: its first `# ` heading, else its file name."""
    try:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("# "):
                return line[2:].strip().strip("#").strip() or path.stem
    except OSError:
        pass
    return path.stem.replace("-", " ").replace("_", " ").capitalize()


def copy_guides(guide_dir: Path, docs: Path) -> list[tuple[str, str]]:
    """Copy every guide page (docs/*.md) under guide/ and return (title, file) nav entries."""
    nav = []
    if guide_dir.is_dir():
        for path in sorted(guide_dir.glob("*.md")):
            target = docs / "guide" / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            nav.append((guide_title(path), f"guide/{path.name}"))
        for extra in sorted(p for p in guide_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            shutil.copytree(extra, docs / "guide" / extra.name, dirs_exist_ok=True)  # images of the guides
    return nav


def prepare_docs_dir(docs: Path) -> None:
    """Empty the generated docs folder; refuse to touch a non-empty folder this code did not create."""
    if docs.exists():
        if any(docs.iterdir()) and not (docs / GENERATED_MARK).exists():
            raise BuildError(f"{docs}: not empty and not made by inferboard; refusing to overwrite it")
        shutil.rmtree(docs)
    docs.mkdir(parents=True)
    (docs / GENERATED_MARK).write_text("made by `inferboard build`; deleted and rewritten on every build\n")


def copy_assets(docs: Path) -> None:
    target = docs / "assets" / "ib"
    target.mkdir(parents=True, exist_ok=True)
    for path in ASSETS.iterdir():
        if path.is_file():
            shutil.copyfile(path, target / path.name)
    write_bundle(target)
    if not (docs / PLOTLY_ASSET).is_file():
        raise BuildError(f"{ASSETS}: plotly-basic.min.js is missing from the package; reinstall inferboard")


def _check_site_dir(site: Path, runs: Path, config_dir: Path) -> None:
    resolved = site.resolve()
    forbidden = {Path("/").resolve(), Path.home().resolve(), config_dir.resolve(), runs.resolve()}
    if resolved in forbidden or runs.resolve().is_relative_to(resolved):
        raise BuildError(f"{site}: refusing to use this folder as the site output (it would be replaced)")


def _swap_in(built: Path, site: Path) -> None:
    old = site.with_name(site.name + ".old-ib")
    if old.exists():
        shutil.rmtree(old)
    if site.exists():
        site.rename(old)
    built.rename(site)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _dir_urls(config_file: Path) -> bool:
    try:
        data = yaml.load(config_file.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}
    except (OSError, yaml.YAMLError):
        return True
    return str(data.get("use_directory_urls", "true")).lower() != "false"


def build_site(
    runs_dir: Path,
    site_dir: Path,
    strict: bool = False,
    *,
    config_file: Path | None = None,
    docs_dir: Path | None = None,
    guide_dir: Path | None = None,
    site_url: str | None = None,
    file_urls: bool = False,
    engine: str = "mkdocs",
    cache_dir: Path | None = None,
    use_cache: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Build the static site from every run file in runs_dir. Raises BuildError on a fatal problem, or
    (with strict) when any run file is bad. site_url (else mkdocs.yml's) is where the site will be served:
    Material's instant navigation only engages at that host and port. file_urls links pages as
    `page.html` instead of `page/`, so the site also works opened from disk (file://). engine: "mkdocs"
    (MkDocs + Material) or "zensical" (generator/build/engines.py). cache_dir: where each run's products are
    kept between builds (default `.<site>.ib-cache` beside the site; build/runcache.py); use_cache=False
    builds everything afresh and keeps nothing. progress(done, of) is called as worker processes make the
    runs not yet cached."""
    started = time.perf_counter()
    # Every path is resolved once, here, against the current folder: MkDocs would resolve a relative one
    # against mkdocs.yml's folder, and the site would land there while an empty folder was left where asked.
    runs_dir, site_dir = _absolute(runs_dir), _absolute(site_dir)
    docs_dir = None if docs_dir is None else _absolute(docs_dir)
    config_file = None if config_file is None else _absolute(config_file)
    guide_dir = None if guide_dir is None else _absolute(guide_dir)
    if not runs_dir.is_dir():
        raise BuildError(f"{runs_dir}: runs folder not found")
    config = find_config(config_file)
    _check_site_dir(site_dir, runs_dir, config.parent)
    try:
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        with build_lock(site_dir):
            check_replaceable(site_dir)
            options = _Options(strict, config, docs_dir, guide_dir, site_url, file_urls, engine, progress)
            with _run_cache(site_dir, cache_dir, use_cache) as cache_root, _collector_spared():
                return _build_unlocked(runs_dir, site_dir, options, cache_root, started)
    except (SiteDirError, EngineError) as exc:
        raise BuildError(str(exc)) from None
    except OSError as exc:  # a full or read-only disk: the previous site is still in place
        where = f" ({exc.filename})" if exc.filename else ""
        raise BuildError(f"cannot write the site {site_dir}: {exc.strerror or exc}{where}") from None


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


@contextmanager
def _docs_folder(given: Path | None) -> Iterator[Path]:
    """The generated Markdown's folder: the one given (emptied first), else a temporary one of this build
    alone, removed afterwards, so two builds at once never mix each other's runs."""
    if given is not None:
        prepare_docs_dir(given)
        yield given
        return
    docs = Path(tempfile.mkdtemp(prefix="inferboard-docs-"))
    try:
        yield docs
    finally:
        shutil.rmtree(docs, ignore_errors=True)


@dataclass(frozen=True)
class _Options:
    strict: bool
    config: Path
    docs_dir: Path | None
    guide_dir: Path | None
    site_url: str | None
    file_urls: bool
    engine: str
    progress: Callable[[int, int], None] | None = None  # (runs done, of) while workers fill the cache


@contextmanager
def _collector_spared() -> Iterator[None]:
    """Python's cyclic garbage collector, spared what lives through the whole build. Each full collection
    walks every object still alive; with ten thousand runs loaded that took a quarter of the build. What is
    alive now (the modules) and, once loaded, the runs are moved out of its sight (`gc.freeze`): they are
    freed as usual when nothing refers to them, only never walked. Undone when the build ends."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def _run_cache(site_dir: Path, given: Path | None, use_cache: bool) -> Iterator[Path]:
    """The build cache's folder: the one given, else `.<site>.ib-cache` beside the site (the build lock
    keeps two builds of one site from sharing it); without the cache, a scratch folder removed afterwards
    (beside the site too, so cached files are hard-linked into the site, not copied)."""
    if use_cache:
        yield _absolute(given) if given is not None else site_dir.parent / f".{site_dir.name}.ib-cache"
        return
    scratch = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.scratch-cache-", dir=site_dir.parent))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _build_unlocked(
    runs_dir: Path, site_dir: Path, options: _Options, cache_root: Path, started: float
) -> BuildReport:
    dir_urls = False if options.file_urls else _dir_urls(options.config)
    to_html = MarkdownToHtml(options.config)
    cache = RunCache(cache_root, code_digest(f"{to_html.settings}\ndir_urls={dir_urls}"))
    reader = RunReader(cache, to_html, dir_urls)
    with stage("prefill"):
        prefill(runs_dir, cache, options.config, dir_urls, progress=options.progress)
    with stage("load+validate"):
        gc.disable()  # loading makes millions of objects and no cycles: nothing for the collector to find
        try:
            loaded = load_runs(runs_dir, reader)
        finally:
            gc.enable()
            gc.freeze()
        reader.flush()
    report = BuildReport(
        site_dir=site_dir,
        runs_loaded=len(loaded.runs),
        files_seen=loaded.files_seen,
        problems=list(loaded.problems),
    )
    if options.strict and loaded.problems:
        raise BuildError(f"{len(loaded.problems)} bad run file(s):\n" + "\n".join(loaded.problems))

    with _docs_folder(options.docs_dir) as docs:
        _build_in(report, loaded, reader, docs, site_dir, options, dir_urls)
    with stage("cache-sweep"):
        cache.sweep()
    report.seconds = time.perf_counter() - started
    return report


def _build_in(
    report: BuildReport,
    loaded: LoadResult,
    reader: RunReader,
    docs: Path,
    site_dir: Path,
    options: _Options,
    dir_urls: bool,
) -> None:
    shown_problems = [re.sub(r"^.*?([^/\\]+\.json)", r"\1", p) for p in loaded.problems]
    with stage("agreement"):
        diverging = diverging_slugs(loaded.runs)
    with stage("frames"):
        ctx = SiteContext(
            runs=loaded.runs,
            runs_frame=with_divergence_badge(run_frame(loaded.runs), diverging),
            levels=with_divergence_badge(level_frame(loaded.runs), diverging),
            problems=shown_problems,
            dir_urls=dir_urls,
            built_at=datetime.now(UTC),
            table_batches=reader.table_batches,
        )
    with stage("pages"):
        generated = write_pages(ctx, docs)
        write_page(docs, SHELL_PAGE, shell_page((TEMPLATES / "run.md.j2").read_text(encoding="utf-8")))
    with stage("quality-pages"):
        generated += [(title, path) for path, title in write_quality_pages(ctx, docs)]
    with stage("assets+guides"):
        copy_assets(docs)
        guides = copy_guides(options.guide_dir or options.config.parent / "docs", docs)
    nav: list[Any] = [{title: path} for title, path in generated]
    if guides:
        nav.append({"Guides": [{title: path} for title, path in guides]})

    staging = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.building-", dir=site_dir.parent))
    try:
        with stage(options.engine):
            job = EngineJob(options.config, docs, staging, nav, options.site_url, dir_urls)
            report.mkdocs_warnings = run_engine(options.engine, job)
            expand_fragments(staging, ctx.fragments)
        with stage("run-pages"):
            _place_runs(staging, reader, ctx, dir_urls)
        with stage("swap-in"):
            mark(staging)
            _swap_in(staging, site_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report.pages = len(generated) + len(guides) + len(loaded.runs)


def _place_runs(staging: Path, reader: RunReader, ctx: SiteContext, dir_urls: bool) -> None:
    """Every run page (the engine's frame around each cached body) and each run's downloads."""
    badges = dict(zip(ctx.runs_frame["slug"], ctx.runs_frame["badges"], strict=True)) if ctx.runs else {}
    assembler = RunPageAssembler(staging, dir_urls)
    for page in reader.pages:
        assembler.write(page, list(badges.get(page.slug, [])))
    assembler.finish([page.slug for page in reader.pages])
    place_run_files(staging, reader.pages)
