"""Site visit benchmark: what a reader's first visit to each main page costs, in real headless Chromium.

Builds a site of N synthetic runs (default 1,000; the schema-valid benchmark fixtures of
benchmarks/build_speed.py, generated in a temporary folder, never in runs/), serves it on the loopback, and
visits each main page cold (a new browser context: empty cache, no stored state) at 1400x900 and 390x844.
For every visit it records, all measured:

- bytes fetched until the network is idle, by kind (HTML, CSS, JavaScript, plotly.js, data assets, search
  index / sitemap, images, fonts, other): the response bodies as served, uncompressed (Python's file server
  sends no gzip; a web server that compresses sends less);
- the time to the first chart: from the start of navigation (performance.timeOrigin) to the moment the first
  Plotly plot element (`.ib-chart .main-svg`) is in the page, taken in the page by a MutationObserver;
- a screenshot of the first screen (docs/img/site-<page>-<width>.png, shown in docs/site.md).

Writes the raw figures to benchmarks/results/site_visit.json and the page docs/benchmarks-site.md (every
figure from that JSON; `--report-only` rewrites the page from an existing JSON). Usage:

    python benchmarks/site_visit.py [--runs 1000] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from build_speed import cpu_model, make_runs  # noqa: E402  (benchmarks/ is on the path when run as a script)

from generator.build.site import build_site  # noqa: E402
from generator.render.safe import run_slug  # noqa: E402

VIEWPORTS = ((1400, 900), (390, 844))
# (name in the report and the screenshot file, path under the site root); the run page is the first run's.
PAGES = (
    ("home", ""),
    ("leaderboard", "leaderboard/"),
    ("charts", "charts/"),
    ("compare", "compare/"),
    ("all-runs", "runs/"),
    ("run", "runs/{first_run}/"),
)
KINDS = ("html", "css", "js", "plotly", "data", "search+sitemap", "image", "font", "other")
JSON_OUT = ROOT / "benchmarks" / "results" / "site_visit.json"
REPORT = ROOT / "docs" / "benchmarks-site.md"
SHOTS = ROOT / "docs" / "img"
# Set in the page before any of its scripts: when the first Plotly plot element appears, relative to the
# navigation's start (performance.now() counts from performance.timeOrigin).
FIRST_CHART_PROBE = """
(() => {
  const seen = () => document.querySelector('.ib-chart .main-svg') !== null;
  const mark = () => {
    if (window.__ibFirstChart === undefined && seen()) window.__ibFirstChart = performance.now();
  };
  new MutationObserver(mark).observe(document, { childList: true, subtree: true });
})();
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def served(site: Path) -> Iterator[tuple[http.server.ThreadingHTTPServer, str]]:
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        yield server, url
    finally:
        server.shutdown()
        server.server_close()


def kind_of(url: str, resource_type: str) -> str:
    """Which of KINDS a response is (by path first: data assets and plotly.js are scripts too)."""
    path = url.split("?", 1)[0]
    if path.endswith(("/search/search_index.json", "/sitemap.xml")) or "/workers/search." in path:
        return "search+sitemap"
    if "/assets/ib/data/" in path:
        return "data"
    if path.endswith("plotly-basic.min.js"):
        return "plotly"
    by_type = {"document": "html", "stylesheet": "css", "script": "js", "image": "image", "font": "font"}
    return by_type.get(resource_type, "other")


def visit(browser: Any, url: str, viewport: tuple[int, int], shot: Path) -> dict[str, Any]:
    """One cold visit: a fresh context, bytes by kind until the network is idle, the first chart's time."""
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(FIRST_CHART_PROBE)
    page = context.new_page()
    page.set_default_timeout(120_000)
    finished: list[Any] = []
    page.on("requestfinished", lambda request: finished.append(request))
    try:
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        has_chart = page.evaluate("document.querySelector('.ib-chart') !== null")
        first_chart = None
        if has_chart:
            page.wait_for_function("window.__ibFirstChart !== undefined")
            first_chart = float(page.evaluate("window.__ibFirstChart"))
        page.screenshot(path=str(shot), full_page=False)
        by_kind = dict.fromkeys(KINDS, 0)
        counts = dict.fromkeys(KINDS, 0)
        for request in finished:
            kind = kind_of(request.url, request.resource_type)
            by_kind[kind] += int(request.sizes()["responseBodySize"])
            counts[kind] += 1
        return {
            "bytes": by_kind,
            "requests": counts,
            "total_bytes": sum(by_kind.values()),
            "first_chart_ms": first_chart,
            "load_ms": float(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")),
            "page_height_px": int(page.evaluate("document.documentElement.scrollHeight")),
        }
    finally:
        context.close()


def measure(
    n: int, chromium: Path, shots: Path, from_runs: Path | None = None, prefix: str = "site"
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="ib-site-visit-") as tmp:
        work = Path(tmp)
        if from_runs is None:
            make_runs(work / "runs", n)
        else:  # a copy: the build never writes next to the runs it reads, but a benchmark touches no data
            shutil.copytree(from_runs, work / "runs")
            n = len(list((work / "runs").glob("*.json")))
        first_file = sorted((work / "runs").glob("*.json"))[0]
        first_run = run_slug(json.loads(first_file.read_text(encoding="utf-8"))["run_id"])
        with served(work / "site") as (server, url):
            started = time.perf_counter()
            build_site(work / "runs", work / "site", docs_dir=work / "docs", site_url=url)
            build_s = time.perf_counter() - started
            threading.Thread(target=server.serve_forever, daemon=True).start()
            visits = []
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
                for name, path in PAGES:
                    for viewport in VIEWPORTS:
                        shot = shots / f"{prefix}-{name}-{viewport[0]}.png"
                        row = visit(browser, url + path.format(first_run=first_run), viewport, shot)
                        visits.append(
                            {"page": name, "viewport": list(viewport), "screenshot": shot.name, **row}
                        )
                        print(json.dumps(visits[-1]), flush=True)
                version = browser.version
                browser.close()
    return {
        "runs": n,
        "source": "synthetic" if from_runs is None else str(from_runs),
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{cpu_model()}, {os.cpu_count()} logical CPUs",
        "python": platform.python_version(),
        "chromium": version,
        "build_s": build_s,
        "load_avg": os.getloadavg()[0],
        "visits": visits,
    }


def _kib(value: float) -> str:
    return f"{value / 1024:,.0f}"


def _load_note(load: float) -> str:
    # The build and the browser themselves keep about one core busy; above 2 something else shared the cores.
    if load > 2:
        return "above 2: other work shared the cores, so times are upper bounds"
    return "at most 2: the build and the browser themselves, nothing else ran beside them"


def _source_lines(result: dict[str, Any]) -> list[str]:
    if result.get("source", "synthetic") == "synthetic":
        return [
            f"site of {result['runs']:,} synthetic runs (fixtures of `benchmarks/build_speed.py`, 8 load",
            "levels each, generated in a temporary folder). Produced by `python benchmarks/site_visit.py`;",
            "raw figures in `benchmarks/results/site_visit.json`.",
        ]
    return [
        f"site built from the {result['runs']:,} run files of `{result['source']}` (a copy). Produced by",
        f"`python benchmarks/site_visit.py --from-runs {result['source']}`; raw figures beside this page's",
        "name in `benchmarks/results/`.",
    ]


def report(result: dict[str, Any]) -> str:
    """docs/benchmarks-site.md from the JSON: every figure comes from `result`."""
    lines = [
        "# Benchmark: first visits to the site",
        "",
        "What a reader's first visit to each main page fetches and how soon its first chart is drawn, on a",
        *_source_lines(result),
        "Each visit is cold (a new browser context: empty",
        "cache) in headless Chromium, counted until the network is idle. Bytes are the response bodies as",
        "served by Python's file server on the loopback (uncompressed: a compressing web server sends less).",
        "Time to first chart runs from the start of navigation to the first Plotly plot element in the page.",
        "",
        f"Measured {result['measured']} on {result['machine']}, Python {result['python']}, Chromium",
        f"{result['chromium']}; the build took {result['build_s']:.1f} s; 1-minute load average",
        f"{result['load_avg']:.1f} ({_load_note(result['load_avg'])}).",
        "",
        "| page | viewport | total (KiB) | HTML | CSS | JS | plotly.js | data | search+sitemap | other "
        "| requests | first chart (ms) | load (ms) | page height (px) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for v in result["visits"]:
        b = v["bytes"]
        other = b["image"] + b["font"] + b["other"]
        chart = "no chart" if v["first_chart_ms"] is None else f"{v['first_chart_ms']:,.0f}"
        lines.append(
            f"| {v['page']} | {v['viewport'][0]}×{v['viewport'][1]} | {_kib(v['total_bytes'])} | "
            f"{_kib(b['html'])} | {_kib(b['css'])} | {_kib(b['js'])} | {_kib(b['plotly'])} | "
            f"{_kib(b['data'])} | "
            f"{_kib(b['search+sitemap'])} | {_kib(other)} | {sum(v['requests'].values())} | {chart} | "
            f"{v['load_ms']:,.0f} | {v['page_height_px']:,} |"
        )
    lines += ["", "First screens (1400×900 and 390×844):", ""]
    for v in result["visits"]:
        lines.append(f'![{v["page"]} at {v["viewport"][0]} px](img/{v["screenshot"]}){{ width="45%" }}')
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1000, help="synthetic runs in the site (default 1000)")
    parser.add_argument(
        "--chromium", type=Path, default=Path(os.environ.get("INFERBOARD_CHROMIUM", "/usr/bin/chromium"))
    )
    parser.add_argument(
        "--from-runs", type=Path, help="build from a copy of this runs folder instead of synthetic runs"
    )
    parser.add_argument("--json", type=Path, default=JSON_OUT, help="raw figures (written)")
    parser.add_argument("--report", type=Path, default=REPORT, help="Markdown page (written)")
    parser.add_argument("--shots", type=Path, default=SHOTS, help="folder of the screenshots (written)")
    parser.add_argument("--shot-prefix", default="site", help="screenshot names: PREFIX-<page>-<width>.png")
    parser.add_argument("--report-only", action="store_true", help="rewrite the page from an existing --json")
    args = parser.parse_args()
    if args.report_only:
        result = json.loads(args.json.read_text(encoding="utf-8"))
    else:
        args.shots.mkdir(parents=True, exist_ok=True)
        result = measure(args.runs, args.chromium, args.shots, args.from_runs, args.shot_prefix)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    args.report.write_text(report(result), encoding="utf-8")
    print(f"wrote {args.json} and {args.report}")


if __name__ == "__main__":
    main()
