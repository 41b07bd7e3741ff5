"""A run whose labels, model name or status are one unbroken 300-character word (issue 23) keeps the run
page, the leaderboard and the runs list as wide as the window: long words wrap. Real headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.browser import CHROMIUM, Watched, served_site
from tests.helpers.gen_factories import make_run, write_run

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

LONG = "x" * 300


@pytest.mark.parametrize("field", ["labels", "model", "status_reason"])
def test_a_300_character_word_wraps_instead_of_widening_the_page(
    tmp_path: Path, browser: Any, field: str
) -> None:
    record = make_run("1abe10000001", labels=[LONG] if field == "labels" else None)
    if field == "model":
        record.model.name = f"org/{LONG}"
    if field == "status_reason":
        record.status_reason = LONG
    write_run(tmp_path / "runs", record)
    with served_site(tmp_path / "runs", tmp_path) as (url, _report):
        watched = Watched(browser)
        for page in ("runs/1abe10000001/", "leaderboard/", "runs/"):
            shown = watched.goto(url + page)
            width = shown.evaluate("document.documentElement.scrollWidth")
            window = shown.evaluate("window.innerWidth")
            assert width <= window, f"{page}: {width} px wide in a {window} px window"
        watched.assert_clean()
