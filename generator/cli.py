"""`inferboard build` and `inferboard serve`: parse options, call one entry point, print the outcome."""

from __future__ import annotations

import atexit
import functools
import gc
import http.server
import signal
import sys
from pathlib import Path

import click

from generator.build.engines import ENGINES
from generator.build.site import BuildError, BuildReport, build_site


def _print_report(report: BuildReport) -> None:
    for problem in report.problems:
        click.echo(f"warning: skipped {problem}", err=True)
    for message in report.mkdocs_warnings:
        click.echo(f"warning: mkdocs: {message}", err=True)
    click.echo(
        f"built {report.site_dir}: {report.runs_loaded} run(s) from {report.files_seen} file(s), "
        f"{len(report.problems)} skipped, {report.seconds:.1f} s"
    )


def _progress_line(done: int, of: int) -> None:
    """One line, rewritten in place, while a first build makes runs on every core (terminals only)."""
    click.echo(f"\rmaking run pages and downloads: {done:,} of {of:,} runs", err=True, nl=done >= of)


class _Terminated(KeyboardInterrupt):
    """SIGTERM during a build: stopped like Ctrl-C (staging removed), not killed half-way."""


def _terminate(_signum: int, _frame: object) -> None:
    raise _Terminated


def _build(
    runs: Path,
    site: Path,
    strict: bool,
    site_url: str | None,
    docs: Path | None,
    file_urls: bool = False,
    engine: str = "mkdocs",
    cache: Path | None = None,
    no_cache: bool = False,
) -> BuildReport:
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: SIGTERM keeps its handler
        previous = None
    try:
        return build_site(
            runs,
            site,
            strict,
            site_url=site_url,
            docs_dir=docs,
            file_urls=file_urls,
            engine=engine,
            cache_dir=cache,
            use_cache=not no_cache,
            progress=_progress_line if sys.stderr.isatty() else None,
        )
    except BuildError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt as exc:
        # The half-built staging folder is removed on the way out; the previous site is untouched.
        name = "SIGTERM" if isinstance(exc, _Terminated) else "SIGINT"
        click.echo(f"error: interrupted by {name}: the build stopped and {site} was left as it was", err=True)
        sys.exit(130)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@click.command()
@click.option(
    "--runs",
    "runs",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("runs"),
    show_default=True,
    help="Folder of run files (*.json).",
)
@click.option(
    "--site",
    "site",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("site"),
    show_default=True,
    help="Output folder of the static site (replaced when the build succeeds). Only a folder "
    "inferboard built (it holds a .inferboard-site file) or an empty one is replaced; any other is refused.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Fail (exit 1) if any run file is invalid or a duplicate, instead of skipping it with a warning.",
)
@click.option(
    "--site-url",
    default=None,
    help="Address the site will be published at (default: mkdocs.yml's, "
    "i.e. $INFERBOARD_SITE_URL or http://127.0.0.1:8000/).",
)
@click.option(
    "--docs-dir",
    "docs",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where the generated Markdown goes (default: a temporary folder of this build alone, removed "
    "afterwards); emptied on every build.",
)
@click.option(
    "--file-urls",
    is_flag=True,
    help="Link pages as page.html instead of page/, so the site also works opened from disk (file://).",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    metavar="NAME",
    default="mkdocs",
    show_default=True,
    help="Static-site engine that turns the generated pages into the site: mkdocs (MkDocs + Material) or "
    "zensical (needs the `zensical` extra: pip install 'inferboard[zensical]'). Both build the same pages.",
)
@click.option(
    "--cache",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of the build cache: what each run file yields (its page, downloads, validated record), "
    "kept by the file's content hash so the next build redoes only new or changed runs "
    "(default: .<site>.ib-cache beside the site folder).",
)
@click.option("--no-cache", is_flag=True, help="Build every run afresh and keep no cache.")
def build(
    runs: Path,
    site: Path,
    strict: bool,
    site_url: str | None,
    docs: Path | None,
    file_urls: bool,
    engine: str,
    cache: Path | None,
    no_cache: bool,
) -> None:
    """Validate every run file and build the static leaderboard site."""
    _print_report(_build(runs, site, strict, site_url, docs, file_urls, engine, cache, no_cache))
    _spare_final_collection()


@functools.cache  # registered once, however many builds one process runs
def _spare_final_collection() -> None:
    """The process ends after a build: Python's final full garbage collection would walk every object the
    build left (seconds at 10,000 runs) only for the process to free them all anyway."""
    atexit.register(gc.freeze)


@click.command()
@click.option(
    "--runs",
    "runs",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("runs"),
    show_default=True,
    help="Folder of run files (*.json).",
)
@click.option(
    "--site",
    "site",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("site"),
    show_default=True,
    help="Output folder of the static site.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--no-build", is_flag=True, help="Serve the existing site folder without rebuilding it.")
def serve(runs: Path, site: Path, port: int, host: str, no_build: bool) -> None:
    """Build the site (unless --no-build) and preview it at http://HOST:PORT/ (Ctrl-C stops)."""
    # Bind first: a busy port is reported before spending time on a build. The handler's folder is
    # resolved per request, so the site can be (re)built after binding.
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        click.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(1)
    with server:
        address = f"http://{host}:{server.server_address[1]}/"
        if not no_build:
            _print_report(_build(runs, site, False, address, None))
        if not (site / "index.html").is_file():
            click.echo(f"error: {site}/index.html not found; run `inferboard build` first", err=True)
            sys.exit(1)
        click.echo(f"serving {site} at {address} (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("stopped")
