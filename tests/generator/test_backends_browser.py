"""The Backends section and the side-by-side page in real headless Chromium, built from a copy of the
committed runs plus one synthetic run of an external server: every figure shown equals the run files'
values pooled as documented (computed here from the JSON directly), "not measured" stands where nothing was
measured, every adapter has a profile page, the charts draw, and nothing overflows at 1400 or 390 px."""

from __future__ import annotations

import json
import shutil
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collector.schema import BACKEND_FACTS, Launch, configuration_key
from generator.data.load import load_runs
from tests.helpers.browser import CHROMIUM, assert_marks, no_overflow, served_site
from tests.helpers.gen_factories import HOSTILE, hostile_run, make_run, write_run

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]
COMMITTED = Path(__file__).parents[2] / "runs"
EXTERNAL_ID = "e0e0e0e0e0e1"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    base = tmp_path_factory.mktemp("backends-browser")
    runs = base / "runs"
    shutil.copytree(COMMITTED, runs)
    external = make_run(EXTERNAL_ID, backend="lmdeploy", version=None, model="Synthetic-External-Model")
    write_run(runs, external.model_copy(update={"launch": Launch(mode="external")}))
    write_run(runs, hostile_run())  # on the side-by-side page
    hostile = hostile_run("bad0bad0bad1")  # on the vLLM profile: its model, version and quantization
    write_run(
        runs, hostile.model_copy(update={"backend": hostile.backend.model_copy(update={"name": "vllm"})})
    )
    with served_site(runs, base) as (url, report):
        assert not report.problems
        yield url, runs


def _files(runs: Path) -> dict[str, list[dict[str, Any]]]:
    """Run files (as raw JSON) by configuration key (of the record as the site loads it: the key is only
    used to find a row's files; every figure expected comes from the JSON)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for run in load_runs(runs).runs:
        out.setdefault(configuration_key(run.record), []).append(json.loads(run.path.read_text()))
    return out


def _nearest(loads: list[int], target: int) -> int:
    return min(loads, key=lambda load: (abs(load - target), load))


def _pooled(files: list[dict[str, Any]], concurrency: int, field: str) -> float:
    """Mean over the complete trials of every run at that level (the documented pooling)."""
    values = [
        float(r[field]["p50"])
        for f in files
        for r in f["results"]
        if r["concurrency"] == concurrency and r["status"] == "complete"
    ]
    return sum(values) / len(values)


def _launch_text(files: list[dict[str, Any]], read: Any, unit: str, fmt: str) -> str:
    values = sorted(
        v
        for f in files
        if f["launch"]["mode"] in ("managed", "embedded") and (v := read(f["launch"])) is not None
    )
    if not values:
        return "not measured"
    head = f"{format(statistics.median(values), fmt)} {unit}"
    if len(values) == 1:
        return f"{head} (n=1)"
    return f"{head} ({format(values[0], fmt)} – {format(values[-1], fmt)}, n={len(values)})"


def _page(browser: Any, width: int, height: int) -> Any:
    mobile = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=mobile, is_mobile=mobile
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_side_by_side_figures_equal_the_run_files(site: tuple[str, Path], browser: Any) -> None:
    url, runs = site
    page = _page(browser, 1400, 900)
    page.goto(url + "backends/comparison/", wait_until="load")
    rows = page.locator("tr[data-config]")
    files = _files(runs)
    assert rows.count() == len(files)
    for i in range(rows.count()):
        row = rows.nth(i)
        group = files[row.get_attribute("data-config")]
        loads = sorted(
            {r["concurrency"] for f in group for r in f["results"] if r["concurrency"] is not None}
        )
        for users in (10, 50, 100):
            level = _nearest(loads, users)
            for key, field in (("ttft_p50", "ttft_ms"), ("user_tok_s", "per_user_tok_s")):
                cell = row.locator(f'td[data-col="{key}-{users}"]')
                assert cell.locator(".ib-level").inner_text() == f"c={level}"
                shown = cell.locator(".ib-value").inner_text().split(" ")[0]
                assert shown == format(_pooled(group, level, field), ".4g"), (key, users, shown)
        expected = {
            "startup_s": _launch_text(group, lambda launch: launch.get("startup_s"), "s", ".3g"),
            "first_token_s": _launch_text(group, lambda launch: launch.get("first_token_s"), "s", ".3g"),
            "host_rss_mib": _launch_text(
                group, lambda launch: (launch.get("memory") or {}).get("host_rss_mib"), "MiB", ".4g"
            ),
            "gpu_used_mib": _launch_text(
                group, lambda launch: (launch.get("memory") or {}).get("gpu_used_mib"), "MiB", ".4g"
            ),
        }
        for key, text in expected.items():
            assert row.locator(f'td[data-col="{key}"]').inner_text() == text, key
    # the external server's start was not seen: not measured, never 0
    external = page.locator("tr[data-config]", has_text="lmdeploy")
    assert external.locator('td[data-col="startup_s"]').inner_text() == "not measured"
    # committed vLLM runs measured ~1 minute, llama.cpp well under a second: both visible side by side
    assert " s (n=1)" in page.inner_text("article")
    assert_marks(page)


@pytest.mark.parametrize("name", sorted(BACKEND_FACTS))
def test_every_backend_has_a_profile(site: tuple[str, Path], browser: Any, name: str) -> None:
    url, runs = site
    facts = BACKEND_FACTS[name]
    page = _page(browser, 1400, 900)
    slug = "llama-cpp" if name == "llama.cpp" else name
    page.goto(url + f"backends/{slug}/", wait_until="load")
    text = page.inner_text("article")
    assert facts.display_name in page.inner_text("h1")
    assert facts.docs_url in text
    if facts.checked_live is None:
        assert "Never run against a real server here" in text
    files = [json.loads(p.read_text()) for p in sorted(runs.glob("*.json"))]
    mine = [f for f in files if f["backend"]["name"] == name]
    startup = page.locator('.ib-backend-launch tr[data-key="startup_s"] td')
    if mine:
        assert startup.inner_text() == _launch_text(mine, lambda launch: launch.get("startup_s"), "s", ".3g")
        first = page.locator('.ib-backend-launch tr[data-key="first_token_s"] td').inner_text()
        # "not measured" exactly where no launched run of this backend carries the figure (older run files)
        assert first == _launch_text(mine, lambda launch: launch.get("first_token_s"), "s", ".3g")
    else:
        assert "nothing measured" in text


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)])
@pytest.mark.parametrize(
    "path", ["backends/", "backends/comparison/", "backends/vllm/", "backends/lmdeploy/"]
)
def test_backend_pages_fit_the_screen(
    site: tuple[str, Path], browser: Any, path: str, width: int, height: int
) -> None:
    url, _ = site
    page = _page(browser, width, height)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + path, wait_until="load")
    if path == "backends/comparison/":
        assert_marks(page)
    assert page.locator("article table").first.is_visible()
    no_overflow(page)
    assert errors == []


def test_hostile_strings_are_inert_text(site: tuple[str, Path], browser: Any) -> None:
    url, _ = site
    page = _page(browser, 1400, 900)
    for path in ("backends/comparison/", "backends/vllm/"):
        page.goto(url + path, wait_until="load")
        if path == "backends/comparison/":
            assert_marks(page)
        text = page.inner_text("article")
        for value in (HOSTILE["script"], HOSTILE["jinja"], HOSTILE["markdown"]):
            assert value in text, (path, value)
        assert page.locator("article img, article script:not([type='application/json'])").count() == 0
        assert page.locator("article a[href^='javascript']").count() == 0
        assert page.evaluate("window.__pwned === undefined")
