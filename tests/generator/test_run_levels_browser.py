"""The run page's per-level table in real headless Chromium (issue 19): at 1400x900 nothing is cut off
(TPOT and the columns after it lie inside the table's box and the window); at 390x844 each level is a card
whose key figures (output tok/s, TTFT, TPOT) are on screen and named; the page never scrolls sideways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.browser import CHROMIUM, SHOTS, no_overflow, served_site
from tests.helpers.gen_factories import make_run, write_run

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

RUN = "dddd00000001"


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("run-levels")
    write_run(base / "runs", make_run(RUN, repeats=3, levels=(1, 4, 16, 64)))
    with served_site(base / "runs", base) as (url, _report):
        yield url


def _page(browser: Any, width: int, height: int) -> tuple[Any, Any]:
    mobile = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=mobile, is_mobile=mobile
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_level_table_shows_tpot_uncut_at_1400(site_url: str, browser: Any) -> None:
    context, page = _page(browser, 1400, 900)
    try:
        page.goto(site_url + f"runs/{RUN}/", wait_until="load")
        table = page.locator("table.ib-merged")
        table.scroll_into_view_if_needed()
        scroll = page.locator(".ib-scroll:has(table.ib-merged)").bounding_box()
        assert scroll is not None
        for name in ("TPOT p50", "E2E p50", "TTFT p99"):
            box = table.locator("th", has_text=name).first.bounding_box()
            assert box is not None
            right = min(scroll["x"] + scroll["width"], 1400)
            assert box["x"] + box["width"] <= right + 1, (name, box, scroll)
        no_overflow(page)
    finally:
        context.close()


def test_level_table_is_cards_with_key_figures_at_390(site_url: str, browser: Any) -> None:
    context, page = _page(browser, 390, 844)
    try:
        page.goto(site_url + f"runs/{RUN}/", wait_until="load")
        no_overflow(page)
        first = page.locator("table.ib-merged tbody tr").first
        first.scroll_into_view_if_needed()
        for label in ("Output tok/s", "TTFT p50 ms", "TPOT p50 ms"):
            cell = first.locator(f"td[data-label='{label}']")
            box = cell.bounding_box()
            assert box is not None and cell.is_visible()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (label, box)
            assert label in cell.evaluate("e => getComputedStyle(e, '::before').content")
            assert cell.inner_text()[0].isdigit()
        SHOTS.mkdir(parents=True, exist_ok=True)
        first.screenshot(path=str(SHOTS / "run-level-card-390.png"))
    finally:
        context.close()
