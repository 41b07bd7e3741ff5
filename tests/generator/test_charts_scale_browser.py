"""Charts, history, compare and All runs as a reader sees them (issue 19 items 3-7), in real Chromium at
1400x900 and 390x844: legend swatches in their trace's rendered colour, a capped legend with "show all",
variants of one backend told apart, titles and pages inside the viewport, a readable history axis when runs
bunch, compare cells coloured by the metric's direction, and the All runs filter and pager."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from generator.analysis.history import config_key
from generator.data.columns import BY_KEY
from tests.helpers.browser import CHROMIUM, Watched, assert_marks, no_overflow, served_site
from tests.helpers.gen_factories import make_run, write_run

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

VERSIONS = [f"0.6.{i}" for i in range(11)]  # 11 configurations of one comparable set: over the cap of 8
TEMPLATE = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}" * 20
PER_PAGE = 5  # All runs rows at a time, small so a few runs make several pages


def _runs() -> list[Any]:
    start = datetime(2026, 11, 1, 18, 29, 2, tzinfo=UTC)
    runs = []
    for i, version in enumerate(VERSIONS):
        run = make_run(f"hist{i:08d}", backend="vllm", version=version, speed=1.0 + i / 10, repeats=2)
        run.created_at = start + timedelta(milliseconds=i)  # one sweep: seconds apart, same day
        runs.append(run)
    runs.append(
        make_run(
            "fast00000001",
            backend="sglang",
            version="0.3.5",
            speed=3.0,
            repeats=3,
            launch_argv=["python", "-m", "sglang.launch_server", "--chat-template", TEMPLATE],
        )
    )
    for quant in ("Q4_1", "F16"):  # variants of one backend in one chart
        runs.append(
            make_run(
                f"cpp-{quant.lower()}-0001",
                backend="llama.cpp",
                version="b4000",
                accelerator="cpu",
                quant=quant,
                speed=0.2 if quant == "F16" else 0.3,
            )
        )
    return runs


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("scale")
    for record in _runs():
        write_run(base / "runs", record)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("generator.pages.runsindex.ROWS_SHOWN", PER_PAGE)
        with served_site(base / "runs", base) as (url, _):
            yield url


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    w.page.set_viewport_size({"width": 1400, "height": 900})
    yield w
    w.assert_clean()


THROUGHPUT = ".ib-chart[data-fig='throughput']"
CHIPS = THROUGHPUT + " >> xpath=preceding-sibling::div[1]"

# For each legend chip: its swatch's computed colour and its trace's rendered line stroke and marker fill.
SWATCH_VS_TRACE = """div => {
  const bar = div.previousElementSibling;
  const rgb = c => { const s = document.createElement('span'); s.style.color = c;
    document.body.appendChild(s); const out = getComputedStyle(s).color; s.remove(); return out; };
  return Array.from(bar.querySelectorAll('button.ib-chip[data-trace]')).map(chip => {
    const i = Number(chip.getAttribute('data-trace'));
    const uid = div._fullData[i].uid;
    const g = div.querySelector('.scatterlayer .trace' + uid);
    const line = g && g.querySelector('path.js-line');
    const point = g && g.querySelector('path.point');
    return {
      swatch: getComputedStyle(chip.querySelector('.ib-swatch')).backgroundColor,
      line: line ? rgb(line.style.stroke) : null,
      point: point ? rgb(point.style.fill || point.style.stroke) : null,
      shape: chip.querySelector('.ib-swatch').className,
    };
  });
}"""


def _chips(page: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.eval_on_selector(THROUGHPUT, SWATCH_VS_TRACE)
    return result


def test_legend_is_capped_and_swatches_are_their_traces_colours(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + "charts/")
    assert_marks(page)
    chips = _chips(page)
    assert len(chips) == 8  # 12 configurations: the legend shows the top 8 ...
    assert all(c["swatch"] == c["line"] for c in chips), chips
    more = page.locator(CHIPS).locator("button.ib-show-all")
    assert "4 more" in more.inner_text()  # 11 vllm versions and one sglang
    more.click()  # ... until the reader asks for all
    page.wait_for_function(
        f"document.querySelector({THROUGHPUT!r}).previousElementSibling"
        ".querySelectorAll('button.ib-chip[data-trace]').length === 12"
    )
    chips = _chips(page)
    assert all(c["swatch"] == c["line"] for c in chips), chips
    assert page.locator(CHIPS).locator("button.ib-show-all").count() == 0
    # the first chart starts above the fold at 1400x900
    assert page.eval_on_selector(THROUGHPUT, "e => e.getBoundingClientRect().top") < 900


def test_variants_of_one_backend_differ_in_colour_and_marker(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + "charts/")
    assert_marks(page)
    options = page.eval_on_selector_all(".ib-scope option", "els => els.map(e => e.value)")
    page.select_option(".ib-scope", next(o for o in options if o.startswith("cpu")))
    page.wait_for_function(
        f"document.querySelector({THROUGHPUT!r}).previousElementSibling.textContent.includes('Q4_1')"
    )
    assert_marks(page)
    chips = _chips(page)
    assert len(chips) == 2
    assert chips[0]["swatch"] != chips[1]["swatch"] and chips[0]["shape"] != chips[1]["shape"]
    assert all(c["swatch"] == c["line"] == c["point"] for c in chips), chips


def _titles_inside(page: Any) -> None:
    boxes = page.eval_on_selector_all(
        ".ib-chart .gtitle",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; })",
    )
    width = page.evaluate("window.innerWidth")
    assert boxes and all(left >= 0 and right <= width for left, right in boxes), (boxes, width)


@pytest.mark.parametrize("size", [(1400, 900), (390, 844)])
def test_no_overflow_and_titles_inside_the_viewport(
    site_url: str, browser: Any, size: tuple[int, int]
) -> None:
    phone = size[0] < 600
    # not is_mobile: a mobile viewport zooms out to fit a too-wide page, which would hide the overflow
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, has_touch=phone)
    page = context.new_page()
    page.set_default_timeout(15_000)
    history = f"history/{config_key(_runs()[0])}/"
    try:
        for path in ("charts/", "compare/?runs=hist00000000,fast00000001", "runs/", history):
            page.goto(site_url + path, wait_until="load")
            if page.locator(".ib-chart").count():
                assert_marks(page)
                _titles_inside(page)
            if path.startswith("compare"):
                page.wait_for_selector(".ib-meta tbody tr")
            no_overflow(page)
        if phone:
            page.goto(site_url + "charts/", wait_until="load")
            assert_marks(page)
            select = page.eval_on_selector(".ib-scope", "e => e.getBoundingClientRect().right")
            assert select <= size[0]  # the View picker is not cut off
            page.goto(site_url + "runs/", wait_until="load")
            heights = page.eval_on_selector_all(
                ".ib-runs-table tbody tr:not([hidden])", "els => els.map(e => e.offsetHeight)"
            )
            assert heights and max(heights) < 60, heights  # one line a row, never 250 px
    finally:
        context.close()


def test_history_axis_is_ordinal_with_distinct_labels(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + f"history/{config_key(_runs()[0])}/")
    assert_marks(page)
    ticks = page.eval_on_selector_all(
        ".ib-chart[data-fig='throughput'] .xtick text", "els => els.map(e => e.textContent)"
    )
    assert len(ticks) == len(VERSIONS) and len(set(ticks)) == len(ticks), ticks
    assert any("0.6.10" in t for t in ticks)  # the axis names versions
    swatches = page.eval_on_selector(".ib-chart[data-fig='throughput']", SWATCH_VS_TRACE)
    assert swatches and all(c["swatch"] == c["line"] for c in swatches), swatches


def test_compare_colours_by_direction_and_folds_long_values(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + "compare/?runs=hist00000000,fast00000001")
    assert_marks(page)
    page.wait_for_selector(".ib-numbers .ib-delta")
    cells = page.eval_on_selector_all(
        ".ib-numbers tbody tr",
        "rows => rows.flatMap(r => Array.from(r.querySelectorAll('.ib-delta')).map(d => "
        "[r.children[1].textContent, d.textContent, d.className, getComputedStyle(d).color]))",
    )
    higher = {BY_KEY[k].heading: BY_KEY[k].higher_is_better for k in BY_KEY}
    coloured = [c for c in cells if "ib-better" in c[2] or "ib-worse" in c[2]]
    assert coloured, cells
    for metric, text, cls, colour in coloured:
        up = "+" in text
        assert ("ib-better" in cls) == (up == higher[metric]), (metric, text, cls)
        assert colour == ("rgb(26, 127, 55)" if "ib-better" in cls else "rgb(198, 40, 40)")
    assert page.locator(".ib-numbers .ib-ci").count() > 0  # intervals shown
    # metadata: only differing fields, not all highlighted; the chat template folded inside the page
    assert page.is_checked(".ib-only-diff")
    background = page.eval_on_selector(".ib-meta tbody tr td", "e => getComputedStyle(e).backgroundColor")
    assert background == "rgba(0, 0, 0, 0)"
    folded = page.locator(".ib-meta details")
    assert folded.count() >= 1
    assert not folded.first.evaluate("e => e.open")
    folded.first.locator("summary").click()
    right = page.eval_on_selector(".ib-meta details .ib-folded", "e => e.getBoundingClientRect().right")
    assert right <= page.evaluate("window.innerWidth")
    page.uncheck(".ib-only-diff")
    page.wait_for_selector(".ib-meta tbody tr:not(.ib-diff)")
    diff_bg = page.eval_on_selector(
        ".ib-meta tbody tr.ib-diff td", "e => getComputedStyle(e).backgroundColor"
    )
    same_bg = page.eval_on_selector(
        ".ib-meta tbody tr:not(.ib-diff) td", "e => getComputedStyle(e).backgroundColor"
    )
    assert diff_bg != same_bg  # with every field shown, only the differing ones are highlighted
    # the throughput-vs-per-user line is joined in load order
    loads = page.eval_on_selector(".ib-chart[data-fig='pareto']", "d => d.data.map(t => t.customdata)")
    assert loads and all(trace == sorted(trace) and len(trace) == 3 for trace in loads), loads


def test_all_runs_filter_and_pager(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + "runs/")
    rows = ".ib-runs-table tbody tr:not([hidden])"
    assert page.locator(rows).count() == PER_PAGE
    first = page.inner_text(rows + " >> nth=0")
    page.click(".ib-runs-pager button:has-text('Next')")
    page.wait_for_function(f"document.querySelector({rows + ' td'!r}).textContent !== {first.split()[0]!r}")
    assert "page=2" in page.url
    assert page.locator(rows).count() == PER_PAGE
    page.fill(".ib-runs-find", "sglang")
    page.wait_for_function(f"document.querySelectorAll({rows!r}).length === 1")
    link = page.locator(rows + " a").first
    assert link.inner_text() == "fast00000001"[:12] and link.get_attribute("title") == "fast00000001"
    assert re.search(r"q=sglang", page.url)
    restored = watched.goto(page.url)
    restored.wait_for_function(f"document.querySelectorAll({rows!r}).length === 1")


def test_run_page_itl_cdf_swatches_are_their_lines_colours(site_url: str, watched: Watched) -> None:
    page = watched.goto(site_url + "runs/hist00000000/")
    assert_marks(page)
    swatches = page.eval_on_selector(".ib-chart[data-fig='itl_cdf']", SWATCH_VS_TRACE)
    assert len(swatches) >= 2 and all(c["swatch"] == c["line"] for c in swatches), swatches
    assert len({c["swatch"] for c in swatches}) == len(swatches)  # one colour per level, none grey
