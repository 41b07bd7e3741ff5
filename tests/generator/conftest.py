"""Shared fixtures for generator tests: synthetic runs (tests/generator/gen_factories.py), never in runs/."""

from __future__ import annotations

from pathlib import Path

import pytest
from gen_factories import hostile_run, standard_runs, write_run

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "fixtures" / "v1"


def golden_files() -> list[Path]:
    """Run files made by the real collector, when the lead has committed them."""
    return sorted(GOLDEN.glob("*.json")) if GOLDEN.is_dir() else []


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "runs"
    for record in [*standard_runs(), hostile_run()]:
        write_run(folder, record)
    return folder
