"""The home page's verdicts in real headless Chromium, on data shaped like the committed CPU runs (2 trials
of 6 requests, client-saturated levels) next to a clean, pooled comparison: at 1400x900 and 390x844 each
comparison shows a verdict or a decidability line, "n trials × m requests" is visible, and nothing overflows
the page sideways. Screenshots go to /tmp/site-shots for a human look."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from collector.schema import ClientHealth, RunRecord
from tests.helpers.browser import CHROMIUM, SHOTS, no_overflow, served_site
from tests.helpers.gen_factories import make_run, write_run

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def _shaped(
    run_id: str, backend: str, *, completed: int, speed: float, busy: tuple[int, ...] = ()
) -> RunRecord:
    record = make_run(
        run_id, backend=backend, accelerator="cpu", model="SmolLM2-135M-Instruct", levels=(1, 4, 8),
        repeats=2, speed=speed, quant="GGUF Q4_1" if backend == "llama.cpp" else None,
    )  # fmt: skip
    results = []
    for level in record.results:
        saturated = level.concurrency in busy
        client = ClientHealth(cpu_percent=99.0 if saturated else 20.0, saturated=saturated)
        results.append(level.model_copy(update={"completed": completed, "client": client}))
    return record.model_copy(update={"results": results, "repeat_summaries": []})


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("decide-browser")
    runs = base / "runs"
    # like the committed runs: thin levels, a saturated client at c=8 (nothing may decide)
    write_run(runs, _shaped("cccc00000001", "llama.cpp", completed=6, speed=0.2, busy=(1, 8)))
    write_run(runs, _shaped("cccc00000002", "vllm", completed=6, speed=0.3, busy=(8,)))
    # a clean comparison, three runs per configuration pooled: it names a verdict with its n
    for i in range(3):
        clean_a = _shaped(f"dddd0000000{i}", "llama.cpp", completed=64, speed=0.2 + 0.001 * i)
        clean_b = _shaped(f"eeee0000000{i}", "vllm", completed=64, speed=0.3 + 0.001 * i)
        for record in (clean_a, clean_b):
            wl = record.workload.model_copy(update={"input_tokens": 512})
            write_run(runs, record.model_copy(update={"workload": wl}))
    with served_site(runs, base) as (url, _report):
        yield url


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)])
def test_home_shows_verdicts_with_n_and_fits_the_screen(
    site_url: str, browser: Any, width: int, height: int
) -> None:
    mobile = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=mobile, is_mobile=mobile
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(site_url, wait_until="load")
        sections = page.locator("section.ib-decide")
        assert sections.count() == 2
        for i in range(sections.count()):
            verdict = sections.nth(i).locator(".ib-verdict").first
            verdict.scroll_into_view_if_needed()
            assert verdict.is_visible()
            assert "Peak output throughput:" in verdict.inner_text()
        text = page.inner_text("article")
        assert "not decidable" in text  # the thin, saturated comparison
        assert "fewer than 40 counted requests" in text
        assert "wins by" in text or "tie between" in text  # the clean, pooled one
        assert "6 × 64 requests" in text  # 3 runs x 2 trials, 64 requests each
        header = page.locator("section.ib-decide th", has_text="n trials × m requests").first
        header.scroll_into_view_if_needed()
        assert header.is_visible()
        no_overflow(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"home-verdicts-{width}.png"), full_page=True)
        assert errors == []
    finally:
        context.close()


def test_edited_interactivity_target_never_names_a_winner_over_an_unclean_reading(
    site_url: str, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(site_url, wait_until="load")
        # the thin, saturated comparison (2 runs): every level is unclean, so any target is not decidable
        box = page.locator("section.ib-decide", has_text="2 runs").locator(".ib-interactive")
        box.locator(".ib-threshold").fill("0.001")
        box.locator(".ib-threshold").dispatch_event("change")
        page.wait_for_function(
            "Array.from(document.querySelectorAll('section.ib-decide .ib-interactive .ib-verdict'))"
            ".some(v => v.textContent.includes('≥ 0.001') && v.textContent.includes('not decidable'))"
        )
        assert "fewer than 40 counted requests" in box.locator(".ib-verdict").inner_text()
    finally:
        context.close()


def test_leaderboard_marks_unclean_levels_and_links_configurations(site_url: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(site_url + "leaderboard/?class=all", wait_until="load")
        page.wait_for_selector(".ib-leaderboard tbody tr td a[href*='configs/']")
        mark = page.locator(".ib-leaderboard .ib-unclean").first
        assert "fewer than 40 counted requests" in str(mark.get_attribute("title"))
        hidden = page.locator(".ib-leaderboard td[title*='too few for p99']").first
        assert hidden.inner_text().startswith("—")
    finally:
        context.close()
