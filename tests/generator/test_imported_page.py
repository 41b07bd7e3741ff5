"""An imported run's page says it was imported and shows the tool's own figures under their own names."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli.main import main

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "imports" / "guidellm" / "benchmarks.json"


@pytest.mark.slow
def test_imported_run_page_shows_mapping_notes_and_foreign_metrics(tmp_path: Path) -> None:
    runner = CliRunner()
    runs, site = tmp_path / "runs", tmp_path / "site"
    res = runner.invoke(main, ["import", "guidellm", str(FIXTURE), "--out", str(runs)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["build", "--runs", str(runs), "--site", str(site), "--strict"])
    assert res.exit_code == 0, res.output
    pages = list((site / "runs").glob("*/index.html"))
    assert len(pages) == 1
    html = pages[0].read_text()
    assert "Imported: how the figures were mapped" in html
    assert "guidellm" in html
    assert "c1/" in html  # a figure kept under guidellm's own name, prefixed by its level
