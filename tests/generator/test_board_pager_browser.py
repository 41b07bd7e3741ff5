"""The leaderboard's pager in real headless Chromium: the crafted set of tests/helpers/board_factories.py has
too few rows for a second page of 100, so the page script is served with a page size of 2."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.board_factories import LEVELS, crafted
from tests.helpers.browser import CHROMIUM, Watched, served_site
from tests.helpers.gen_factories import write_run

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

PAGE_SIZE = "var PAGE = 100;"


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("board-pager")
    for record in crafted():
        write_run(base / "runs", record)
    with served_site(base / "runs", base) as (url, _report):
        yield url


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.assert_clean()


def _two_rows_a_page(route: Any) -> None:
    body = route.fetch().text()
    assert body.count(PAGE_SIZE) == 1
    route.fulfill(body=body.replace(PAGE_SIZE, "var PAGE = 2;"), content_type="text/javascript")


def test_pager_steps_through_pages_and_keeps_the_page_in_the_address(site_url: str, watched: Watched) -> None:
    watched.page.route("**/assets/ib/inferboard.js", _two_rows_a_page)
    page = watched.goto(site_url + "leaderboard/?rows=levels")
    pages = -(-2 * len(LEVELS) // 2)  # two configurations x levels, two rows a page
    page.wait_for_selector(".ib-pager button")
    assert page.locator(".ib-leaderboard tbody tr").count() == 2
    assert f"page 1 of {pages}" in page.inner_text(".ib-pager")
    assert page.locator(".ib-pager button", has_text="Previous").is_disabled()
    page.click(".ib-pager button:has-text('Next')")
    second = f"page 2 of {pages}"
    page.wait_for_function(f"document.querySelector('.ib-pager').textContent.indexOf('{second}') >= 0")
    assert "page=1" in page.url
    page.goto(site_url + f"leaderboard/?rows=levels&page={pages - 1}")
    page.wait_for_selector(".ib-pager button")
    assert f"page {pages} of {pages}" in page.inner_text(".ib-pager")
    assert page.locator(".ib-pager button", has_text="Next").is_disabled()
