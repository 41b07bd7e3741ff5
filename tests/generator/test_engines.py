"""`inferboard build --engine mkdocs|zensical`: the pages are complete before the engine runs (no inferboard
plugin: the set-aside HTML fragments are put back into the written pages), Zensical builds the same pages
and charts as MkDocs, and a missing Zensical is one readable error line."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.build import engines
from generator.build.site import build_site
from generator.cli import build
from tests.helpers.browser import CHROMIUM, QuietHandler, assert_marks
from tests.helpers.gen_factories import standard_runs, write_run

CHART = re.compile(r'class="ib-chart[^"]*"[^>]*data-fig="([^"]+)"|data-fig="([^"]+)"[^>]*class="ib-chart')
ZENSICAL_SKIP = pytest.mark.skipif(
    not engines.zensical_installed(),
    reason="Zensical is not installed (pip install 'inferboard[zensical]'; tests/run.sh tries to)",
)


def _runs(base: Path) -> Path:
    for record in standard_runs():
        write_run(base / "runs", record)
    return base / "runs"


def _pages(site: Path) -> dict[str, list[str]]:
    """Every generated page of a built site (by path) and the charts it holds, by figure name."""
    pages = {}
    for page in sorted(site.rglob("index.html")):
        text = page.read_text(encoding="utf-8")
        charts = sorted(a or b for a, b in CHART.findall(text))
        pages[page.relative_to(site).as_posix()] = charts
    return pages


@pytest.fixture(scope="module")
def mkdocs_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("engine-mkdocs")
    build_site(_runs(base), base / "site", site_url="http://127.0.0.1:8000/")
    return base / "site"


def test_the_mkdocs_build_needs_no_inferboard_plugin(mkdocs_site: Path) -> None:
    pages = _pages(mkdocs_site)
    assert "index.html" in pages and "leaderboard/index.html" in pages
    assert sum(len(charts) for charts in pages.values()) > 0
    for page in mkdocs_site.rglob("*.html"):
        assert "<!--ib-fragment:" not in page.read_text(encoding="utf-8"), page


def test_a_missing_zensical_is_one_readable_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines, "zensical_installed", lambda: False)
    runs = _runs(tmp_path)
    result = CliRunner().invoke(
        build, ["--runs", str(runs), "--site", str(tmp_path / "site"), "--engine", "zensical"]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"error: {engines.ZENSICAL_MISSING}"]
    assert not (tmp_path / "site").exists()


def test_an_unknown_engine_is_refused_by_the_cli(tmp_path: Path) -> None:
    result = CliRunner().invoke(build, ["--runs", str(_runs(tmp_path)), "--engine", "hugo"])
    assert result.exit_code == 2 and "hugo" in result.output


def _serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def zensical_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("engine-zensical")
    build_site(_runs(base), base / "site", site_url="http://127.0.0.1:8000/", engine="zensical")
    yield base / "site"


@ZENSICAL_SKIP
def test_zensical_builds_every_page_and_chart_that_mkdocs_builds(
    mkdocs_site: Path, zensical_site: Path
) -> None:
    built_by_mkdocs, built_by_zensical = _pages(mkdocs_site), _pages(zensical_site)
    assert sorted(built_by_zensical) == sorted(built_by_mkdocs)
    for name, charts in built_by_mkdocs.items():
        assert built_by_zensical[name] == charts, name
    for html in zensical_site.rglob("*.html"):
        assert "<!--ib-fragment:" not in html.read_text(encoding="utf-8"), html


@ZENSICAL_SKIP
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}")
@pytest.mark.parametrize("engine", ["mkdocs", "zensical"])
def test_charts_draw_in_the_site_of_each_engine(
    browser: Any, mkdocs_site: Path, zensical_site: Path, engine: str
) -> None:
    site = mkdocs_site if engine == "mkdocs" else zensical_site
    server, url = _serve(site)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        for path in ("charts/", "leaderboard/"):
            page.goto(url + path, wait_until="load")
            if path == "charts/":
                assert_marks(page)
            else:
                page.wait_for_selector(".ib-leaderboard tbody tr td a")
        assert errors == []
    finally:
        context.close()
        server.shutdown()
        server.server_close()
