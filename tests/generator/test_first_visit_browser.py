"""What a first visit costs and shows (issue 19): no search index, search worker or sitemap until they are
needed (search opens; a link is pointed at or clicked), instant navigation still loads pages in place, the
browser's dark preference is honoured until the reader toggles, and keyboard focus is always visible."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.browser import CHROMIUM, Watched, served_site
from tests.helpers.gen_factories import standard_runs, write_run

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM} (install Debian chromium or set INFERBOARD_CHROMIUM)",
    ),
]

CSS = Path(__file__).resolve().parents[2] / "generator" / "assets" / "inferboard.css"
# Fetched only when needed: Material's search index and worker, and the sitemap of instant navigation.
DEFERRED = re.compile(r"(/search/search_index\.json|/workers/search\.[^/]*\.js|/sitemap\.xml)$")
MAIN_PAGES = ("", "leaderboard/", "charts/", "compare/", "runs/")


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("first-visit")
    for record in standard_runs():
        write_run(base / "runs", record)
    with served_site(base / "runs", base) as (url, _report):
        yield url


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.assert_clean()


def _record(page: Any) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    return urls


@pytest.mark.parametrize("path", MAIN_PAGES)
def test_a_first_visit_fetches_no_search_index_worker_or_sitemap(
    site_url: str, watched: Watched, path: str
) -> None:
    urls = _record(watched.page)
    page = watched.goto(site_url + path)
    page.wait_for_load_state("networkidle")
    assert [u for u in urls if DEFERRED.search(u)] == []
    assert any(u.endswith("/assets/ib/inferboard.js") for u in urls)  # the recording did see the page


def test_search_loads_its_index_when_opened_and_finds_a_page(site_url: str, watched: Watched) -> None:
    urls = _record(watched.page)
    page = watched.goto(site_url + "leaderboard/")
    page.wait_for_load_state("networkidle")
    assert not [u for u in urls if DEFERRED.search(u)]
    page.click(".md-search__input")
    page.fill(".md-search__input", "methodology")
    page.wait_for_selector(".md-search-result__item a", state="attached")
    assert any(u.endswith("/search/search_index.json") for u in urls)


def test_instant_navigation_still_loads_pages_in_place(site_url: str, watched: Watched) -> None:
    urls = _record(watched.page)
    page = watched.goto(site_url)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.__sameDocument = true")
    # A scripted click: no pointer went over the link first, so the sitemap is not there yet; the click is
    # held until Material can route it.
    page.evaluate(
        "document.querySelector(\".md-sidebar--primary a.md-nav__link[href$='leaderboard/']\").click()"
    )
    page.wait_for_url(re.compile(r".*/leaderboard/$"))
    page.wait_for_selector(".ib-leaderboard tbody tr td a")
    assert page.evaluate("window.__sameDocument === true")
    assert any(u.endswith("/sitemap.xml") for u in urls)
    page.click(".md-sidebar--primary a.md-nav__link[href$='charts/']")  # a real pointer: hover, then click
    page.wait_for_url(re.compile(r".*/charts/$"))
    assert page.evaluate("window.__sameDocument === true")


@pytest.mark.parametrize("scripted", [False, True])
def test_a_link_that_is_not_a_page_is_followed_normally(
    site_url: str, watched: Watched, scripted: bool
) -> None:
    page = watched.goto(site_url + "leaderboard/")
    page.wait_for_load_state("networkidle")
    page.evaluate(
        "() => { const a = document.createElement('a'); a.href = '../data/results.json'; a.id = 'ib-raw';"
        " a.textContent = 'raw'; document.querySelector('.md-content').prepend(a); }"
    )
    before = len(watched.problems)
    with page.expect_response(re.compile(r".*/data/results\.json$")):
        if scripted:  # before the sitemap is in: held, then followed as a normal load (not a page)
            page.evaluate("document.getElementById('ib-raw').click()")
        else:
            page.click("#ib-raw")
    page.wait_for_url(re.compile(r".*/data/results\.json$"))
    # The leaderboard is torn down by this navigation: what its scripts report while they are cut off (a
    # pending request, on a busy machine) is not something a reader sees; what came before the click counts.
    del watched.problems[before:]


def _scheme(page: Any) -> tuple[str, float]:
    """Material's colour scheme on <body> and the page background's luminance (0 black .. 1 white)."""
    scheme = str(page.evaluate("document.body.getAttribute('data-md-color-scheme')"))
    rgb = page.evaluate("getComputedStyle(document.body).backgroundColor")
    r, g, b = (int(v) for v in re.findall(r"\d+", rgb)[:3])
    return scheme, (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("viewport", [(1400, 900), (390, 844)])
def test_dark_preference_gives_a_dark_page_until_the_reader_toggles(
    browser: Any, site_url: str, viewport: tuple[int, int]
) -> None:
    width, height = viewport
    context = browser.new_context(color_scheme="dark", viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto(site_url + "leaderboard/", wait_until="load")
        scheme, luminance = _scheme(page)
        assert scheme == "slate" and luminance < 0.25
        page.click("form[data-md-component='palette'] label:visible")  # the reader asks for light
        page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'default'")
        page.reload(wait_until="load")
        scheme, luminance = _scheme(page)
        assert scheme == "default" and luminance > 0.75  # the reader's choice outlives the preference
    finally:
        context.close()


def test_light_preference_gives_a_light_page(browser: Any, site_url: str) -> None:
    context = browser.new_context(color_scheme="light", viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto(site_url, wait_until="load")
        scheme, luminance = _scheme(page)
        assert scheme == "default" and luminance > 0.75
    finally:
        context.close()


FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  return [el.tagName + (el.className && typeof el.className === 'string' ? '.' + el.className : ''),
          s.outlineStyle, parseFloat(s.outlineWidth) || 0];
}"""


@pytest.mark.parametrize("path", ["", "leaderboard/", "charts/"])
def test_keyboard_focus_is_visible_on_everything_tab_reaches(
    site_url: str, watched: Watched, path: str
) -> None:
    page = watched.goto(site_url + path)
    page.wait_for_load_state("networkidle")
    seen, hidden = 0, []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS)
        if focused is None:
            continue
        seen += 1
        name, style, width = focused
        if style == "none" or width <= 0:
            hidden.append(name)
    assert seen >= 20
    assert hidden == []


def test_the_stylesheet_never_removes_the_focus_outline() -> None:
    css = CSS.read_text(encoding="utf-8")
    assert not re.search(r"outline(-style)?\s*:\s*(none|0)\b", css)
