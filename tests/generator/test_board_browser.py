"""The leaderboard in real headless Chromium on the crafted set of tests/helpers/board_factories.py (10
runs of one configuration, 3 of another, 3 load levels): one row per configuration x level, not per run."""

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


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("board-browser")
    for record in crafted():
        write_run(base / "runs", record)
    with served_site(base / "runs", base) as (url, _report):
        yield url


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.assert_clean()


def test_leaderboard_shows_one_row_per_configuration_and_level(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + "leaderboard/")
    page.wait_for_selector(".ib-leaderboard tbody tr td a[href*='configs/']")
    rows = page.locator(".ib-leaderboard tbody tr")
    assert rows.count() == 2  # 13 runs, 2 configurations: one row each by default
    page = watched.goto(site_url + "leaderboard/?rows=levels")
    page.wait_for_selector(".ib-leaderboard tbody tr td a[href*='configs/']")
    rows = page.locator(".ib-leaderboard tbody tr")
    assert rows.count() == 2 * len(LEVELS)  # and one per configuration and level on request
    body = page.inner_text(".ib-leaderboard tbody")
    assert "10 runs" in body and "3 runs" in body
    assert "20 × " in body and "3 × " in body  # n trials × m requests, summed over the runs
    assert "n trials × m requests" in page.inner_text(".ib-leaderboard thead")
    assert page.locator(".ib-leaderboard .ib-unclean").count() >= 1  # c=16 of vLLM, saturated
    # a ticked row sends its configuration's most recent run to Compare
    page.locator(".ib-leaderboard .ib-rowpick").first.check()
    href = str(page.locator(".ib-compare-selected").get_attribute("href"))
    assert "?runs=aaaa00000009" in href or "?runs=bbbb00000002" in href
