"""The build and serve commands: help, file:// builds, golden run files from the real collector."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli.main import main
from generator.build.jsbundle import bundle_text
from generator.build.site import build_site
from generator.data.load import load_runs
from tests.helpers.golden import golden_files


@pytest.mark.parametrize("command", ["build", "serve"])
def test_commands_have_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "--runs" in result.output and "--site" in result.output


@pytest.mark.slow
def test_file_urls_build_links_pages_as_html_files(runs_dir: Path, tmp_path: Path) -> None:
    report = build_site(runs_dir, tmp_path / "site", docs_dir=tmp_path / "docs", file_urls=True)
    assert report.runs_loaded == 5
    site = tmp_path / "site"
    assert (site / "leaderboard.html").is_file() and (site / "runs" / "aaaa00000001.html").is_file()
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="leaderboard.html"' in home
    # verdicts link to configuration pages, which link to their runs
    configs = set(re.findall(r'href="(configs/[0-9a-f]{12}\.html)"', home))
    assert configs and all((site / page).is_file() for page in configs)
    pages = [(site / page).read_text(encoding="utf-8") for page in configs]
    assert any('href="../runs/aaaa00000001.html"' in text for text in pages)
    # the partial plotly bundle only (scatter + bar), never the 4.8 MB full build
    assert 1_000_000 < (site / "assets" / "ib" / "plotly-basic.min.js").stat().st_size <= 1_500_000
    assert not (site / "assets" / "ib" / "plotly.min.js").exists()
    assert (site / "assets" / "ib" / "plotly-basic.LICENSE.txt").is_file()
    # the page script: the joined modules, not their sources
    assert (site / "assets" / "ib" / "inferboard.js").read_text(encoding="utf-8") == bundle_text()
    assert not (site / "assets" / "ib" / "js").exists()


@pytest.mark.parametrize("golden", golden_files(), ids=lambda p: p.name)
@pytest.mark.slow
def test_golden_run_files_from_the_collector_load_and_build(golden: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / golden.name).write_bytes(golden.read_bytes())
    assert load_runs(runs).problems == []
    report = build_site(runs, tmp_path / "site", docs_dir=tmp_path / "docs")
    assert report.runs_loaded == 1
    assert [w for w in report.mkdocs_warnings if "guide/" not in w] == []
