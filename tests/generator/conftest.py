"""Shared fixtures for generator tests: synthetic runs (tests/helpers/gen_factories.py), never in runs/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.gen_factories import hostile_run, standard_runs, write_run


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "runs"
    for record in [*standard_runs(), hostile_run()]:
        write_run(folder, record)
    return folder
