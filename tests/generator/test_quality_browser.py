"""Agreement and history pages in real headless Chromium: the history chart draws its marks and the
"answers diverge" badge shows on the agreement page, the leaderboard and the run page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from generator.analysis.agreement import DIVERGE_BADGE
from generator.analysis.history import config_key
from tests.helpers.browser import ARGS, CHROMIUM, served_site
from tests.helpers.gen_factories import write_run
from tests.helpers.quality_factories import SMOL, history_run, smol_family

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("quality-browser")
    runs = base / "runs"
    for record in [
        *smol_family(),
        history_run("hist0001", "0.6.0", 0, 1.0),
        history_run("hist0002", "0.6.1", 2, 1.02),
        history_run("hist0003", "0.7.0", 4, 0.6),
    ]:
        write_run(runs, record)
    with served_site(runs, base) as (url, _report):
        yield url


@pytest.fixture(scope="module")
def page(site_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        errors: list[str] = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        yield tab
        browser.close()
        assert errors == []


def test_history_chart_draws_a_mark_per_run_and_level(site_url: str, page: Any) -> None:
    key = config_key(history_run("hist0001", "0.6.0", 0, 1.0))
    page.goto(site_url + f"history/{key}/", wait_until="load")
    page.wait_for_function("document.querySelectorAll('.ib-history .ib-chart .main-svg').length >= 2")
    # Three runs x two load levels = six markers in the throughput chart.
    marks = page.eval_on_selector_all(
        ".ib-chart[data-fig='throughput'] .scatterlayer .point", "els => els.length"
    )
    assert marks == 6
    text = page.inner_text("article")
    assert "hist0003" in text and "regression" in text


def test_divergence_badge_shows_wherever_the_run_is_ranked(site_url: str, page: Any) -> None:
    page.goto(site_url + "agreement/", wait_until="load")
    row = page.locator("tr", has=page.locator("a:text('broken01')"))
    assert row.locator(".ib-diverge").inner_text() == DIVERGE_BADGE
    # The leaderboard opens on the largest comparable set; the broken run's set is one filter away.
    page.goto(site_url + "leaderboard/?" + urlencode({"model": SMOL}), wait_until="load")
    page.wait_for_function("document.querySelectorAll('.ib-leaderboard tbody tr').length > 0")
    badge = page.locator(f".ib-leaderboard tbody tr .ib-badge:text('{DIVERGE_BADGE}')")
    assert badge.count() >= 1
    page.goto(site_url + "runs/broken01/", wait_until="load")
    assert DIVERGE_BADGE in page.inner_text(".ib-run-head")
