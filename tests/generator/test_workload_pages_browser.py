"""Capacity search and workload sections in real headless Chromium: the capacity chart draws its probes,
the SLO attainment line and the capacity mark; the per-turn chart draws; the home page ranks by capacity;
the leaderboard shows the capacity column; nothing overflows a 390 px phone. Screenshots (1400/390 px,
light/dark) go to /tmp/site-shots for a human look."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.browser import (
    CHROMIUM,
    MARKS,
    SHOTS,
    Watched,
    assert_marks,
    no_overflow,
    served_site,
)
from tests.helpers.gen_factories import standard_runs, write_run
from tests.helpers.workload_factories import (
    capacity_run,
    multi_turn_run,
    shared_prefix_run,
    trace_reasoning_run,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("workloads-browser")
    runs = base / "runs"
    for record in [
        *standard_runs(),
        capacity_run("dddd00000001", "vllm", 12),
        capacity_run("dddd00000002", "sglang", 8),
        capacity_run("dddd00000003", "tgi", 100),
        capacity_run("dddd00000004", "lmdeploy", 0),
        multi_turn_run(),
        shared_prefix_run(),
        trace_reasoning_run(),
    ]:
        write_run(runs, record)
    with served_site(runs, base) as (url, _report):
        yield url


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.assert_clean()


def _marks(page: Any, box: str) -> int:
    return int(page.eval_on_selector(f"{box} .ib-chart", f"c => ({MARKS})(c)"))


def _lines(page: Any, box: str) -> int:
    return int(page.eval_on_selector(f"{box} .ib-chart", "c => c.querySelectorAll('path.js-line').length"))


def test_capacity_chart_draws_probes_slo_line_and_capacity(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + "runs/dddd00000001/")
    assert_marks(page)
    box = ".ib-capacity-chart"
    assert (
        page.eval_on_selector(f"{box} .ib-chart", "c => c.querySelectorAll('.scatterlayer .point').length")
        == 8
    )
    roles = page.eval_on_selector(
        f"{box} .ib-chart", "c => c.data.map(t => (t.meta && t.meta.role) || t.name)"
    )
    assert {"slo-target", "capacity"} <= set(roles)
    assert _lines(page, box) == 2  # the target line and the capacity mark are drawn, not just listed
    text = page.inner_text(".ib-capacity")
    assert "Capacity 12 users under TTFT ≤ 500 ms for 99% of requests." in text
    assert "Next level probed, 13 users, reached 89.00%." in text


def test_lower_bound_and_zero_capacity_are_stated(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + "runs/dddd00000003/")
    assert_marks(page)
    assert "Lower bound: the SLO was still met at the maximum searched, 64 users" in page.inner_text(
        ".ib-capacity"
    )
    page = watched.goto(site_url + "runs/dddd00000004/")
    assert_marks(page)
    assert page.inner_text(".ib-capacity").startswith("Zero capacity")
    assert _lines(page, ".ib-capacity-chart") == 1  # the target line; no capacity mark at zero


def test_per_turn_chart_and_workload_tables(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + "runs/cccc00000001/")
    assert_marks(page)
    assert _marks(page, ".ib-turns-chart") >= 8 and _lines(page, ".ib-turns-chart") == 2
    assert "62.0%" in page.inner_text(".ib-cache")
    page = watched.goto(site_url + "runs/cccc00000003/")
    assert "0.544" in page.inner_text(".ib-trace")
    assert "900" in page.inner_text(".ib-reasoning")


def test_home_ranks_capacity_and_leaderboard_shows_it(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url)
    verdicts = page.inner_text(".ib-decide")
    assert "Capacity: Concurrency under TTFT ≤ 500 ms for 99% of requests" in verdicts
    assert "has the highest capacity, at least 64 users" in verdicts
    page = watched.goto(site_url + "leaderboard/")
    page.wait_for_selector(".ib-leaderboard tbody tr td a")
    headers = page.eval_on_selector_all(".ib-leaderboard thead th", "els => els.map(e => e.textContent)")
    assert any("Capacity under SLO" in h for h in headers)
    cells = page.eval_on_selector_all(".ib-leaderboard tbody td", "els => els.map(e => e.textContent)")
    # capacity is searched per run: a configuration's row shows its most recent search, labelled so
    assert "latest search: 12 users (TTFT ≤ 500 ms for 99% of requests)" in cells


@pytest.mark.parametrize("scheme", ["default", "slate"])
@pytest.mark.parametrize("width", [1400, 390])
def test_run_pages_fit_and_screenshots(site_url: str, browser: Any, width: int, scheme: str) -> None:
    phone = width < 500
    context = browser.new_context(viewport={"width": width, "height": 900}, has_touch=phone, is_mobile=phone)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        for slug in ("dddd00000001", "cccc00000001", "cccc00000003"):
            page.goto(f"{site_url}runs/{slug}/", wait_until="load")
            page.evaluate(f"document.body.setAttribute('data-md-color-scheme', {scheme!r})")
            assert_marks(page)
            no_overflow(page)
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"run-{slug}-{width}-{scheme}.png"), full_page=True)
    finally:
        context.close()
