"""The home page decides in one screen (issue 19), in real headless Chromium at 1400x900 and 390x844:
pickers (defaults from the data, kept in the address), the chosen comparison's verdicts on the first screen,
the highest load meeting a TTFT/TPOT target (hand-computed below), the TPOT deadline slider, $/M tokens from
a price the reader sets, and J/token labelled measured or not measured."""

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

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
QWEN = "Qwen/Qwen2.5-7B-Instruct"


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("home-browser")
    runs = base / "runs"
    # Llama on 1 GPU: one configuration with one trial per level, so the readout is computed by hand below.
    write_run(runs, make_run("aaaa00000001", backend="vllm", model=LLAMA, levels=(1, 4, 16)))
    # Qwen: three configurations (the most: the default comparison), two trials each.
    for i, (backend, speed) in enumerate((("vllm", 1.0), ("sglang", 1.3), ("lmdeploy", 0.8))):
        write_run(runs, make_run(f"bbbb0000000{i}", backend=backend, model=QWEN, repeats=2, speed=speed))
    # a CPU comparison: no energy reading (J/token "not measured"), throughput per host
    write_run(runs, make_run("cccc00000001", backend="llama.cpp", accelerator="cpu", model=LLAMA, speed=0.2))
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


def _ready(page: Any) -> None:
    page.wait_for_selector(".ib-home .ib-home-verdicts section.ib-decide")
    page.wait_for_selector(".ib-home .ib-readout tbody tr")


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)])
def test_verdicts_of_the_default_choice_are_on_the_first_screen(
    site_url: str, browser: Any, width: int, height: int
) -> None:
    context, page, errors = _page(browser, width, height)
    try:
        page.goto(site_url, wait_until="load")
        _ready(page)
        # the default: the comparison with most configurations
        assert page.locator(".ib-pickers select[name=model]").input_value() == QWEN
        verdict = page.locator(".ib-home .ib-verdict").first
        box = verdict.bounding_box()
        assert box is not None and box["y"] + 20 < height, box  # starts within the first screen
        assert "Peak output throughput:" in verdict.inner_text()
        page.wait_for_selector(".ib-home-chart .main-svg")
        no_overflow(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"home-decide-{width}.png"))
        assert errors == []
    finally:
        context.close()


def test_pickers_change_verdicts_and_the_address_restores_them(site_url: str, browser: Any) -> None:
    context, page, errors = _page(browser, 1400, 900)
    try:
        page.goto(site_url, wait_until="load")
        _ready(page)
        page.select_option(".ib-pickers select[name=model]", LLAMA)
        page.wait_for_function(
            "document.querySelector('.ib-home-verdicts h4').textContent.includes('Llama-3.1-8B')"
        )
        query = parse_qs(urlparse(page.url).query)
        assert query["model"] == [LLAMA]
        page.select_option(".ib-pickers select[name=hardware]", index=1)  # the other hardware: CPU
        page.wait_for_function("document.querySelector('.ib-home-verdicts h4').textContent.includes('CPU')")
        url = page.url
        assert "cpu" in url.lower()
        page.go_back()  # back to the GPU comparison of the same model
        page.wait_for_function(
            "(h => h && h.textContent.includes('Llama-3.1-8B') && h.textContent.includes('H100'))"
            "(document.querySelector('.ib-home-verdicts h4'))"
        )
        assert page.locator(".ib-pickers select[name=hardware]").input_value().endswith("H100 80GB HBM3")
        page.goto(url, wait_until="load")
        _ready(page)
        assert "CPU" in page.locator(".ib-home-verdicts h4").inner_text()
        assert page.locator(".ib-pickers select[name=model]").input_value() == LLAMA
        assert errors == []
    finally:
        context.close()


def test_highest_load_meeting_targets_is_read_off_the_curve(site_url: str, browser: Any) -> None:
    """By hand, from tests/helpers/gen_factories.level at speed 1 on one GPU: TTFT p50 = 40 (1 + 0.15 c) =
    46, 64, 136 ms and TPOT p50 = 10 (1 + 0.05 c) = 10.5, 12, 18 ms at c = 1, 4, 16. With TTFT <= 100 and
    TPOT <= 30, c=4 meets and c=16 misses TTFT; the crossing is (100 - 64) / (136 - 64) = 1/2 of the way, c=10
    (interpolated). Throughput c x 128 / E2E, E2E = TTFT + 127 TPOT: 322.4 at c=4 and 845.6 at c=16, so 584.0
    at c=10; at $2 per GPU-hour 2e6 / (3600 x 584.0) = $0.9513 per million tokens, at $3.60 3.6e6 / (3600 x
    584.0) = $1.712."""
    context, page, errors = _page(browser, 1400, 900)
    try:
        page.goto(site_url + f"?model={LLAMA}&ttft=100&tpot=30", wait_until="load")
        _ready(page)
        row = page.locator(".ib-readout tbody tr").first
        page.wait_for_function("document.querySelector('.ib-readout tbody tr').textContent.includes('c=10')")
        cells = row.locator("td").all_inner_texts()
        assert cells[1].startswith("c=10 (interpolated)")
        assert cells[2] == "584"
        assert cells[3] == "$0.9513"
        assert cells[4] == "0.5 J, measured (NVML)"
        assert "default $2.00 per GPU-hour" in page.locator(".ib-price-source").inner_text()
        price = page.locator(".ib-home-tools input[name=price]")
        price.fill("3.6")
        price.dispatch_event("change")
        page.wait_for_function("document.querySelector('.ib-readout .ib-cost').textContent === '$1.712'")
        assert parse_qs(urlparse(page.url).query)["price"] == ["3.6"]
        assert "as you set it" in page.locator(".ib-price-source").inner_text()
        ttft = page.locator(".ib-home-tools input[name=ttft]")
        ttft.fill("150")  # every level meets it: the highest measured level, c=16, not interpolated
        ttft.dispatch_event("change")
        page.wait_for_function(
            "document.querySelector('.ib-readout .ib-load').textContent.startsWith('c=16')"
        )
        assert page.locator(".ib-readout .ib-load").inner_text().startswith("c=16 (measured)")
        ttft.fill("40")  # below TTFT at c=1 (46 ms): no level meets it, said so
        ttft.dispatch_event("change")
        page.wait_for_function(
            "document.querySelector('.ib-readout tbody tr').textContent.includes('none meets the targets')"
        )
        assert parse_qs(urlparse(page.url).query)["ttft"] == ["40"]
        assert errors == []
    finally:
        context.close()


def test_deadline_slider_keeps_configurations_that_meet_it(site_url: str, browser: Any) -> None:
    context, page, errors = _page(browser, 1400, 900)
    try:
        page.goto(site_url, wait_until="load")
        _ready(page)
        assert page.locator(".ib-readout tbody tr").count() == 3
        # sglang (speed 1.3) reaches TPOT 10 (1.05) (1.01) / 1.3 = 8.16 ms at c=1; the others never 9 ms
        page.eval_on_selector(
            ".ib-home-tools input[name=tpot]",
            "e => { e.value = '9'; e.dispatchEvent(new Event('input')); }",
        )
        page.wait_for_function("document.querySelectorAll('.ib-readout tbody tr').length === 1")
        assert "sglang" in page.locator(".ib-readout tbody tr").inner_text()
        assert "1 of 3 configurations" in page.locator(".ib-readout-note").inner_text()
        assert parse_qs(urlparse(page.url).query)["tpot"] == ["9"]
        assert errors == []
    finally:
        context.close()


def test_cpu_energy_reads_not_measured(site_url: str, browser: Any) -> None:
    context, page, errors = _page(browser, 1400, 900)
    try:
        page.goto(site_url + f"?model={LLAMA}&class=cpu", wait_until="load")
        _ready(page)
        assert "per host-hour" in page.locator(".ib-home-tools .ib-price").inner_text()
        assert page.locator(".ib-readout th").nth(2).inner_text() == "tok/s per host"
        assert page.locator(".ib-readout .ib-energy").first.inner_text() == "not measured"
        assert errors == []
    finally:
        context.close()
