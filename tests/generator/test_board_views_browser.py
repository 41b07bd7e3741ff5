"""The leaderboard's first screen answers a question (issue 19), in real headless Chromium: column sets per
question (latency by default; the switch and the row mode kept in the address), one row per configuration,
the latency columns inside the first screen at 1400x900, cards at 390x844, CPU throughput per host
(labelled), J/token measured or "not measured", and $/M tokens following the price box."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.helpers.browser import CHROMIUM, SHOTS, no_overflow, served_site
from tests.helpers.gen_factories import make_run, write_run

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

QWEN = "Qwen/Qwen2.5-7B-Instruct"
ROWS = ".ib-leaderboard tbody tr"


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("board-views")
    runs = base / "runs"
    for i, (backend, speed) in enumerate((("vllm", 1.0), ("sglang", 1.3), ("lmdeploy", 0.8))):
        write_run(runs, make_run(f"bbbb0000000{i}", backend=backend, model=QWEN, repeats=2, speed=speed))
    write_run(runs, make_run("cccc00000001", backend="llama.cpp", accelerator="cpu", model=QWEN, speed=0.2))
    with served_site(runs, base) as (url, _report):
        yield url


def _page(browser: Any, width: int, height: int) -> tuple[Any, Any, list[str]]:
    mobile = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=mobile, is_mobile=mobile
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def _inside(page: Any, selector: str, width: int, height: int) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, (
        selector,
        box,
    )


def test_latency_columns_are_on_the_first_screen_one_row_per_configuration(
    site_url: str, browser: Any
) -> None:
    context, page, errors = _page(browser, 1400, 900)
    try:
        page.goto(site_url + "leaderboard/", wait_until="load")
        page.wait_for_selector(ROWS + " td a")
        assert page.locator(ROWS).count() == 3  # three configurations, not three at three levels
        for key in ("ttft_p50", "ttft_p99", "tpot_p50", "e2e_p50"):
            _inside(page, f".ib-leaderboard th button[data-sort='{key}']", 1400, 900)
        _inside(page, ROWS + " td:nth-child(4)", 1400, 900)  # a TTFT figure, not only its header
        no_overflow(page)
        page.select_option("select[data-rows]", "levels")
        page.wait_for_function(f"document.querySelectorAll({ROWS!r}).length === 9")
        assert parse_qs(urlparse(page.url).query)["rows"] == ["levels"]
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "leaderboard-latency-1400.png"))
        assert errors == []
    finally:
        context.close()


def test_cost_set_price_and_energy_labels(site_url: str, browser: Any) -> None:
    context, page, errors = _page(browser, 1400, 900)
    try:
        page.goto(site_url + "leaderboard/", wait_until="load")
        page.wait_for_selector(ROWS + " td a")
        page.select_option("select[data-colset]", "cost")
        page.wait_for_selector(".ib-leaderboard th button[data-sort='cost']")
        assert parse_qs(urlparse(page.url).query)["cols"] == ["cost"]
        assert "not a quote" in page.inner_text(".ib-leaderboard .ib-price-source")
        energy = page.locator(ROWS + " td[data-label='J/token']").first
        assert energy.get_attribute("title") == "measured (NVML)"
        cost = page.locator(ROWS + " td[data-label='$/M tokens']").first
        before = float(cost.inner_text())
        page.fill(".ib-price-input", "4")
        page.dispatch_event(".ib-price-input", "change")
        page.wait_for_function(
            f"Math.abs(parseFloat(document.querySelector({ROWS!r} + \" td[data-label='$/M tokens']\")"
            f".textContent) - {before * 2}) < {before * 0.02}"
        )
        assert parse_qs(urlparse(page.url).query)["price"] == ["4"]
        # the CPU run: throughput per host, labelled; energy not measured, said in words
        page.goto(site_url + "leaderboard/?class=cpu&cols=cost", wait_until="load")
        page.wait_for_selector(ROWS + " td a")
        assert page.locator(ROWS + " td[data-label='J/token']").first.inner_text() == "not measured"
        per_host = page.locator(ROWS + " td[data-label='tok/s per GPU']").first.inner_text()
        assert per_host.endswith("per host") and per_host[0].isdigit()
        assert errors == []
    finally:
        context.close()


def test_phone_shows_cards_with_the_latency_figures(site_url: str, browser: Any) -> None:
    context, page, errors = _page(browser, 390, 844)
    try:
        page.goto(site_url + "leaderboard/", wait_until="load")
        page.wait_for_selector(ROWS + " td a")
        no_overflow(page)
        ttft = page.locator(ROWS + " td[data-label='TTFT p50']").first
        ttft.scroll_into_view_if_needed()
        assert ttft.is_visible() and ttft.inner_text()[0].isdigit()
        # the card names each figure (the header row is hidden on a phone)
        label = ttft.evaluate("e => getComputedStyle(e, '::before').content")
        assert "TTFT p50" in label
        _inside(page, ROWS + " td[data-label='TPOT p50']", 390, 844 * 3)  # no column off to the right
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "leaderboard-390.png"))
        assert errors == []
    finally:
        context.close()
