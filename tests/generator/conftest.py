"""Shared fixtures for generator tests: synthetic runs (tests/helpers/gen_factories.py), never in runs/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.gen_factories import hostile_run, standard_runs, write_run


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "runs"
    for record in [*standard_runs(), hostile_run()]:
        write_run(folder, record)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module (tests/helpers/browser.py says where it is and how it starts)."""
    from playwright.sync_api import sync_playwright

    from tests.helpers.browser import ARGS, CHROMIUM

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield instance
        instance.close()
