"""The built site in real headless Chromium: sorting, filters, URL state, charts, run and compare pages,
instant navigation, hostile strings inert, and no console errors. The site is built once per module."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.browser import (
    CHROMIUM,
    SHOTS,
    Watched,
    assert_marks,
    no_overflow,
    served_site,
)
from tests.helpers.gen_factories import HOSTILE, hostile_run, standard_runs, write_run
from tests.helpers.golden import golden_files

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM} (install Debian chromium or set INFERBOARD_CHROMIUM)",
    ),
]


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("browser")
    runs = base / "runs"
    for record in [*standard_runs(), hostile_run()]:
        write_run(runs, record)
    for path in golden_files():
        shutil.copy(path, runs / f"golden-{path.name}")
    (runs / "broken.json").write_text("{not json", encoding="utf-8")
    with served_site(runs, base) as (url, report):
        # Guide pages (docs/*.md) belong to other areas and may link to pages still being written.
        assert [w for w in report.mkdocs_warnings if "guide/" not in w] == []
        yield url


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.assert_clean()


def _column(page: Any, index: int) -> list[str]:
    return [
        str(t)
        for t in page.eval_on_selector_all(
            f".ib-leaderboard tbody tr td:nth-child({index})",
            "els => els.map(e => e.firstChild ? e.firstChild.textContent : '')",
        )
    ]


def test_leaderboard_sorts_filters_and_restores_from_url(site_url: str, watched: Watched) -> None:
    # every column and every level (the defaults show one question's columns, one row per configuration)
    page = watched.goto(site_url + "leaderboard/?cols=all&rows=levels")
    page.wait_for_selector(".ib-leaderboard tbody tr td a")
    models = _column(page, 2)
    assert "tiny-random-llama" not in models  # CPU/random run not ranked with GPU runs by default
    # it opens on one comparable set: the GPU runs of one model, hardware and workload (2 runs x 3 levels)
    assert set(models) == {"meta-llama/Llama-3.1-8B-Instruct"}
    assert page.locator(".ib-leaderboard tbody tr").count() == 6
    assert page.locator(".ib-leaderboard td.ib-best").count() >= 1
    assert "Time to first token" in (
        page.get_attribute("button[data-sort='ttft_p50'] >> xpath=..", "title") or ""
    )
    page.click("button[data-sort='ttft_p50']")
    ttft = [float(v) for v in _column(page, 12)]
    assert ttft == sorted(ttft)
    page.click("button[data-sort='ttft_p50']")
    assert [float(v) for v in _column(page, 12)] == sorted(ttft, reverse=True)
    page.select_option("select[data-filter='backend']", "sglang 0.3.5")
    assert set(_column(page, 3)) == {"sglang 0.3.5"}
    page.click(".ib-colpick-toggle")
    page.uncheck("input[data-col='quant']")
    assert "hide=quant" in page.url and "Quant" not in page.inner_text(".ib-leaderboard thead")
    page.check("input[data-col='quant']")
    assert "backend=sglang" in page.url and "sort=ttft_p50" in page.url
    shared = page.url
    again = watched.goto(shared)
    again.wait_for_selector(".ib-leaderboard tbody tr td a")
    assert again.input_value("select[data-filter='backend']") == "sglang 0.3.5"
    assert set(_column(again, 3)) == {"sglang 0.3.5"}
    assert again.get_attribute("button[data-sort='ttft_p50'] >> xpath=..", "aria-sort") == "descending"
    everything = watched.goto(
        site_url + "leaderboard/?class=all&model=tiny-random-llama&cols=all&rows=levels"
    )
    everything.wait_for_selector(".ib-leaderboard tbody tr td a")
    labels = everything.inner_text(".ib-leaderboard tbody")
    assert "random weights" in labels and "CPU" in labels
    cost_before = _column(everything, 19)
    everything.fill(".ib-price-input", "4")
    everything.dispatch_event(".ib-price-input", "change")
    cost_after = _column(everything, 19)
    assert [round(float(b) * 2, 2) for b in cost_before] == pytest.approx(
        [float(a) for a in cost_after], rel=0.01
    )


def test_charts_render_switch_view_and_price(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + "charts/")
    assert page.locator(".ib-chart").count() == 8
    marks = assert_marks(page)
    assert {"throughput", "pareto", "latency", "energy"} <= set(marks)  # the E2E distribution draws
    options = page.eval_on_selector_all(".ib-scope option", "els => els.map(e => e.value)")
    page.select_option(".ib-scope", next(o for o in options if "Llama-3.1-8B" in o))
    page.wait_for_function(
        "document.querySelector(\".ib-chart[data-fig='throughput']\").previousElementSibling.textContent.includes('sglang')"
    )
    cpu = next(o for o in options if o.startswith("cpu+random"))
    page.select_option(".ib-scope", cpu)
    legend = "document.querySelector(\".ib-chart[data-fig='throughput']\").previousElementSibling.textContent"
    page.wait_for_function(legend + ".includes('llama.cpp')")
    assert "view=cpu" in page.url
    # the legend is a row of toggle chips outside the plot: a click hides that series, another shows it
    chip = page.locator(".ib-chart[data-fig='throughput'] >> xpath=preceding-sibling::div[1]").locator(
        "button.ib-chip"
    )
    assert page.evaluate("document.querySelector(\".ib-chart[data-fig='throughput'] .legend\")") is None
    chip.first.click()
    page.wait_for_function(
        "document.querySelector(\".ib-chart[data-fig='throughput']\").data[0].visible === 'legendonly'"
    )
    assert chip.first.get_attribute("aria-pressed") == "false"
    chip.first.click()
    page.wait_for_function(
        "document.querySelector(\".ib-chart[data-fig='throughput']\").data[0].visible === true"
    )
    # a CPU run has no energy data: that chart collapses to a line instead of an empty box
    page.wait_for_selector(".ib-chart[data-fig='energy'].ib-empty")
    assert page.eval_on_selector(".ib-chart[data-fig='energy']", "e => e.offsetHeight") < 100
    assert_marks(page)
    y_before = page.evaluate("document.querySelector(\".ib-chart[data-fig='cost']\").data[0].y[0]")
    page.fill(".ib-price-input", "1")
    page.dispatch_event(".ib-price-input", "change")
    page.wait_for_function(
        f"document.querySelector(\".ib-chart[data-fig='cost']\").data[0].y[0] < {y_before}"
    )
    y_after = page.evaluate("document.querySelector(\".ib-chart[data-fig='cost']\").data[0].y[0]")
    assert y_after == pytest.approx(y_before / 2, rel=0.01)
    restored = watched.goto(page.url)
    assert_marks(restored)
    assert restored.input_value(".ib-scope") == cpu
    SHOTS.mkdir(parents=True, exist_ok=True)
    first = watched.goto(site_url + "charts/")
    assert_marks(first)
    first.screenshot(path=str(SHOTS / "charts.png"), full_page=False)


def test_run_page_shows_everything_and_charts_render(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + "runs/aaaa00000001/")
    assert page.locator(".ib-chart").count() >= 4
    marks = assert_marks(page)
    assert sum(1 for k in marks if k.startswith("ttft_hist_")) == 3  # one histogram per level
    text = page.inner_text("article")
    for needle in (
        "vllm serve meta-llama/Llama-3.1-8B-Instruct --port 8000",
        "inferboard collect --base-url",
        "NVIDIA H100 80GB HBM3",
        "driver_version",
        "client saturated",
        "vllm:num_requests_total",
    ):
        assert needle in text
    raw = page.get_attribute("a:text('Raw JSON')", "href")
    assert raw is not None
    status = page.evaluate(f"fetch({raw!r}).then(r => r.json()).then(j => j.run_id)")
    assert status == "aaaa00000001"


def test_compare_page_overlays_and_highlights_differences(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + "compare/?runs=aaaa00000001,aaaa00000003")
    assert_marks(page)
    page.wait_for_selector("tr.ib-diff")
    diff_fields = page.eval_on_selector_all("tr.ib-diff th", "els => els.map(e => e.textContent)")
    assert {"backend.name", "hardware.accelerator", "model.weights"} <= set(diff_fields)
    page.check("input[value='aaaa00000002']")
    # picks keep their order: the first run stays the reference of the % differences
    assert re.search(r"runs=aaaa00000001(%2C|,)aaaa00000003(%2C|,)aaaa00000002", page.url)
    page.wait_for_function("document.querySelector(\".ib-chart[data-fig='throughput']\").data.length === 3")
    # "only fields that differ" is on by default; turning it off shows the shared fields too
    page.wait_for_selector(".ib-meta tbody tr")
    assert page.locator(".ib-meta tbody tr:not(.ib-diff)").count() == 0
    page.uncheck(".ib-only-diff")
    page.wait_for_selector(".ib-meta tbody tr:not(.ib-diff)")


def test_instant_navigation_rerenders_charts(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url)
    page.evaluate("window.__sameDocument = true")
    page.click(".md-sidebar--primary a.md-nav__link[href$='charts/']")
    page.wait_for_url(re.compile(r".*/charts/$"))
    page.wait_for_function("document.querySelectorAll('.ib-chart .main-svg').length >= 8")
    assert page.evaluate("window.__sameDocument === true")  # Material swapped content without a reload
    page.click(".md-sidebar--primary a.md-nav__link[href$='leaderboard/']")
    page.wait_for_selector(".ib-leaderboard tbody tr td a")
    page.click(".md-sidebar--primary a.md-nav__link[href$='charts/']")
    page.wait_for_function("document.querySelectorAll('.ib-chart .main-svg').length >= 8")
    SHOTS.mkdir(parents=True, exist_ok=True)
    board = watched.goto(site_url + "leaderboard/")
    board.wait_for_selector(".ib-leaderboard tbody tr td a")
    board.screenshot(path=str(SHOTS / "leaderboard.png"), full_page=False)


def test_hostile_strings_are_inert_text_everywhere(site_url: str, watched: Watched) -> None:
    run = hostile_run()
    page = watched.goto(site_url + f"runs/{run.run_id}/")
    page.wait_for_function("document.querySelectorAll('.ib-chart .main-svg').length >= 4")
    text = page.inner_text("article")
    for value in (HOSTILE["script"], HOSTILE["img"], HOSTILE["jinja"], HOSTILE["markdown"]):
        assert value in text
    assert page.locator("article script:not([type='application/json'])").count() == 0
    assert page.locator("article img").count() == 0
    assert page.locator("article a[href^='javascript']").count() == 0
    board = watched.goto(site_url + "leaderboard/?class=all")
    board.wait_for_selector(".ib-leaderboard tbody tr td a")
    assert HOSTILE_MODEL_TEXT in board.inner_text(".ib-leaderboard tbody")
    assert board.locator(".ib-leaderboard img").count() == 0
    charts = watched.goto(site_url + "charts/")
    charts.wait_for_function("document.querySelectorAll('.ib-chart .main-svg').length >= 8")
    options = charts.eval_on_selector_all(".ib-scope option", "els => els.map(e => e.value)")
    hostile_view = next(o for o in options if "<script>" in o)
    charts.select_option(".ib-scope", hostile_view)
    charts.wait_for_function(
        "document.querySelector(\".ib-chart[data-fig='throughput']\").previousElementSibling.textContent.includes('<img')"
    )
    charts.evaluate(
        "Plotly.Fx.hover(document.querySelector(\".ib-chart[data-fig='throughput']\"), "
        "[{curveNumber: 0, pointNumber: 0}])"
    )
    tooltip = charts.text_content(".ib-chart[data-fig='throughput'] .hoverlayer") or ""
    assert HOSTILE["img"] in tooltip  # the tooltip shows the string as text
    assert charts.locator(".ib-chart img, .ib-chart script").count() == 0
    compare = watched.goto(site_url + f"compare/?runs={run.run_id},aaaa00000001")
    compare.wait_for_function("document.querySelectorAll('.ib-chart .main-svg').length >= 4")
    assert HOSTILE["img"] in compare.inner_text(".ib-meta")
    home = watched.goto(site_url)
    assert "broken.json" in home.inner_text("article")
    assert HOSTILE["script"] in home.inner_text("article")


HOSTILE_MODEL_TEXT = HOSTILE["script"]


def test_every_page_loads_without_console_errors(site_url: str, watched: Watched) -> None:
    for path in (
        "",
        "leaderboard/",
        "charts/",
        "compare/",
        "runs/",
        "methodology/",
        "data/",
        "runs/aaaa00000003/",
        "runs/aaaa00000004/",
    ):
        page = watched.goto(site_url + path)
        page.wait_for_load_state("networkidle")  # every script and data file loaded (and run)
        if page.locator(".ib-chart").count():
            page.wait_for_function(
                # a chart with nothing to show (e.g. TTFT p99 where no level has 100 requests per trial)
                # collapses to a one-line note
                "Array.from(document.querySelectorAll('.ib-chart'))"
                ".every(c => c.classList.contains('ib-empty') || c.querySelector('.main-svg'))"
            )


def test_compare_opens_with_the_run_you_came_from(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + "runs/aaaa00000002/")
    page.click("a.ib-compare-link")
    page.wait_for_url(re.compile(r".*/compare/.*runs=aaaa00000002"))
    assert_marks(page)
    assert page.is_checked("input[value='aaaa00000002']")
    # the run you came from is the reference column; a comparable run is added beside it with % differences
    head = page.inner_text(".ib-numbers thead")
    assert "aaaa00000002 (reference)" in head and "aaaa00000001" in head
    assert page.locator("input.ib-pick, .ib-picker input:checked").count() == 2
    assert "%" in page.inner_text(".ib-numbers tbody")
    assert page.is_checked(".ib-only-diff")


def test_dark_mode_toggle_redraws_charts(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + "charts/")
    assert_marks(page)
    tick = ".ib-chart[data-fig='throughput'] .xtick text"
    light = page.eval_on_selector(tick, "e => getComputedStyle(e).fill")
    page.evaluate("document.body.setAttribute('data-md-color-scheme', 'slate')")
    page.wait_for_function(f"getComputedStyle(document.querySelector({tick!r})).fill !== {light!r}")
    dark = page.eval_on_selector(tick, "e => getComputedStyle(e).fill")
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark != bg
    assert_marks(page)


@pytest.mark.parametrize("width", [390])
def test_no_page_overflows_a_phone(site_url: str, browser: Any, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        for path in (
            "",
            "leaderboard/",
            "charts/",
            "compare/",
            "runs/",
            "runs/aaaa00000001/",
            "methodology/",
        ):
            page.goto(site_url + path, wait_until="load")
            if page.locator(".ib-chart").count():
                assert_marks(page)
                # on touch screens the plotly toolbar would cover titles: it is not shown
                assert page.locator(".ib-chart .modebar-container .modebar").count() == 0
            if path == "leaderboard/":
                page.wait_for_selector(".ib-leaderboard tbody tr td a")
            no_overflow(page)
    finally:
        context.close()


def test_home_ranks_by_class_and_the_interactivity_target_is_editable(
    site_url: str, watched: Watched
) -> None:
    page = watched.goto(site_url)
    text = page.inner_text("article")
    assert "Which backend?" in text and "Real weights on GPU, measured" in text
    assert "Peak output throughput:" in text
    box = page.locator("section.ib-decide .ib-interactive").first
    before = box.inner_text()
    box.locator(".ib-threshold").fill("1000000")
    box.locator(".ib-threshold").dispatch_event("change")
    page.wait_for_function(
        "document.querySelector('section.ib-decide .ib-interactive .ib-verdict').textContent"
        ".includes('no configuration reaches')"
    )
    assert box.inner_text() != before
    box.locator(".ib-threshold").fill("1")
    box.locator(".ib-threshold").dispatch_event("change")
    page.wait_for_function(
        "document.querySelectorAll('section.ib-decide .ib-interactive tbody tr').length >= 1"
    )


def test_leaderboard_loads_another_comparable_set_on_demand(site_url: str, watched: Watched) -> None:
    boards: list[str] = []
    watched.page.on("request", lambda r: boards.append(r.url) if "/data/board-" in r.url else None)
    page = watched.goto(site_url + "leaderboard/?cols=all")
    page.wait_for_selector(".ib-leaderboard tbody tr td a")
    assert len(boards) == 1  # only the comparable set in view, not every run
    page.select_option("select[data-filter='class']", "")
    page.select_option("select[data-filter='model']", "tiny-random-llama")
    page.wait_for_function(
        "Array.from(document.querySelectorAll('.ib-leaderboard tbody tr td:nth-child(2)'))"
        ".some(td => td.textContent === 'tiny-random-llama')"
    )
    assert len(boards) >= 2 and set(_column(page, 2)) == {"tiny-random-llama"}
    assert "model=tiny-random-llama" in page.url and "class=all" in page.url
    # the set picker offers every model from the small index, loaded or not
    options = page.eval_on_selector_all("select[data-filter='model'] option", "os => os.map(o => o.value)")
    assert "meta-llama/Llama-3.1-8B-Instruct" in options
