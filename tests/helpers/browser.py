"""What the browser tests share: where Chromium is and how it starts, a served site, a watched page, marks."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from generator.build.site import BuildReport, build_site

# Debian's chromium by default; INFERBOARD_CHROMIUM points elsewhere (e.g. Chrome on a GitHub runner).
CHROMIUM = Path(os.environ.get("INFERBOARD_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path("/tmp/site-shots")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def served_site(runs: Path, base: Path) -> Iterator[tuple[str, BuildReport]]:
    """Build `runs` into base/site for a loopback server in a thread; yield its URL and the build report."""
    handler = functools.partial(QuietHandler, directory=str(base / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    report = build_site(runs, base / "site", docs_dir=base / "docs", site_url=url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url, report
    finally:
        server.shutdown()
        server.server_close()


class Watched:
    """A page that records console errors, failed requests, dialogs and page errors."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.page.on(
            "console",
            lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        # ERR_ABORTED is the browser cancelling a pending load when the test navigates on, not a fault.
        self.page.on(
            "requestfailed",
            lambda r: (
                self.problems.append(f"request failed: {r.url} {r.failure}")
                if "ERR_ABORTED" not in str(r.failure)
                else None
            ),
        )
        self.page.on(
            "response",
            lambda r: self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
        )
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def goto(self, url: str) -> Any:
        self.page.goto(url, wait_until="load")
        return self.page

    def assert_clean(self) -> None:
        assert self.dialogs == []
        assert self.problems == [], self.problems
        assert self.page.evaluate("window.__pwned === undefined")
        self.context.close()


# Marks a reader sees: line paths, points or bars (an empty <svg> is not a chart).
MARKS = (
    "c => c.querySelectorAll('.scatterlayer .trace path.js-line, .scatterlayer .point, .barlayer .point')"
    ".length"
)
# Every chart box is either drawn with marks or collapsed to a one-line "no data" note.
ALL_DRAWN = (
    "Array.from(document.querySelectorAll('.ib-chart')).length > 0 && "
    "Array.from(document.querySelectorAll('.ib-chart'))"
    f".every(c => c.classList.contains('ib-empty') || ({MARKS})(c) > 0)"
)


def assert_marks(page: Any) -> dict[str, int]:
    """Wait until every chart is drawn; return marks per chart; fail on a chart with data but no marks."""
    # One snapshot, taken in the same evaluation that saw every chart drawn: a page that redraws (Compare adds
    # the comparable run after its first draw; Plotly.react empties a chart while it redraws) must not be
    # read half-way through a redraw on a busy machine.
    handle = page.wait_for_function(
        f"() => ({ALL_DRAWN}) && Array.from(document.querySelectorAll('.ib-chart:not(.ib-empty)'))"
        f".map(c => [c.getAttribute('data-fig'), ({MARKS})(c)])"
    )
    marks = handle.json_value()
    assert marks and all(n > 0 for _, n in marks), marks
    return {str(k): int(n) for k, n in marks}


def no_overflow(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url
