"""Page weight at scale, measured in real Chromium: with 1,000 synthetic runs (the build benchmark's
formula-made fixtures, never in runs/), no generated page downloads more than 1.5 MB on a first visit,
counting its HTML plus every data asset its script loads (the shared theme and plotly.js excluded)."""

from __future__ import annotations

import functools
import http.server
import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.build.site import build_site
from tests.helpers.browser import ARGS, CHROMIUM, QuietHandler

REPO = Path(__file__).resolve().parents[2]

LIMIT = 1_500_000  # bytes: 1.5 MB
PAGES = [
    "",
    "leaderboard/",
    "charts/",
    "compare/",
    "runs/",
    "runs/page_2/",
    "runs/bench0000000/",
    "methodology/",
    "data/",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def _bench_module() -> Any:
    spec = importlib.util.spec_from_file_location("build_speed", REPO / "benchmarks" / "build_speed.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("scale")
    _bench_module().make_runs(base / "runs", 1000)
    build_site(base / "runs", base / "site", docs_dir=base / "docs")
    handler = functools.partial(QuietHandler, directory=str(base / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_no_page_over_1_5_mb_with_1000_runs(big_site: str) -> None:
    from playwright.sync_api import sync_playwright

    weights: dict[str, int] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        for path in PAGES:
            page = browser.new_page()
            url = big_site + path
            page.goto(url, wait_until="load")
            page.wait_for_load_state("networkidle")
            # The page itself plus every data asset its script loaded (resource timing: transfer sizes).
            weights[path or "home"] = int(
                page.evaluate(
                    "performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
                    ".filter(e => e.entryType === 'navigation' || e.name.indexOf('/assets/ib/data/') >= 0)"
                    ".reduce((n, e) => n + e.decodedBodySize, 0)"
                )
            )
            page.close()
        browser.close()
    assert all(w > 0 for w in weights.values()), weights  # every page exists (All runs: 2 pages of 500)
    assert max(weights.values()) <= LIMIT, weights
