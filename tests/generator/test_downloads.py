"""The Data page's typed and standard downloads: levels.parquet (one row per run x level x trial, columns
from the run schema) matches results.csv; each run's llm-d reports are published beside its run file."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from collector.schema.table import level_table_columns
from generator.build.site import build_site
from generator.data.load import load_runs
from generator.data.tables import level_frame, run_frame
from generator.pages.common import SiteContext
from generator.pages.downloads import PARQUET, level_table, llmd_file_name, raw_run_file, write_data_files

pytest.importorskip("pyarrow")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[SiteContext, Path]:
    runs = load_runs(ROOT / "runs").runs
    ctx = SiteContext(runs, run_frame(runs), level_frame(runs), [], True, datetime(2026, 12, 7, tzinfo=UTC))
    docs = tmp_path_factory.mktemp("docs")
    assert write_data_files(ctx, docs) is None
    return ctx, docs


def test_parquet_opens_with_pandas_and_is_typed(built: tuple[SiteContext, Path]) -> None:
    ctx, docs = built
    levels = pd.read_parquet(docs / PARQUET)
    assert list(levels.columns) == [c.name for c in level_table_columns()]
    assert len(levels) == sum(len(run.record.results) for run in ctx.runs)
    assert str(levels["completed"].dtype) == "Int64" and str(levels["ttft_ms_p50"].dtype) == "Float64"
    assert str(levels["backend"].dtype) == "string" and str(levels["created_at"].dtype).startswith(
        "datetime64"
    )


def test_parquet_matches_results_csv(built: tuple[SiteContext, Path]) -> None:
    _, docs = built
    levels = pd.read_parquet(docs / PARQUET)
    rows = list(csv.DictReader(io.StringIO((docs / "data" / "results.csv").read_text())))
    assert rows
    keys = set()
    for row in rows:
        # results.csv merges a level's trials (sums counts, averages the complete trials' figures)
        match = levels[levels["run_id"].str.startswith(row["run_id"])]
        conc = float(row["concurrency"]) if row["concurrency"] else None
        match = match[match["concurrency"].astype("Float64") == conc] if conc is not None else match
        assert len(match) >= 1, row
        assert int(match["completed"].sum()) == int(row["completed"])
        assert int(match["failed"].sum()) == int(row["failed"])
        complete = match[match["status"] == "complete"]
        assert float(complete["output_throughput_tok_s"].mean()) == pytest.approx(float(row["out_tok_s"]))
        keys.add((row["run_id"], row["concurrency"], row["request_rate"]))
    assert len(keys) == len(rows) == len(levels.drop_duplicates(["run_id", "concurrency", "request_rate"]))


def test_each_run_has_its_llmd_reports_beside_its_run_file(
    built: tuple[SiteContext, Path], tmp_path: Path
) -> None:
    ctx, _ = built
    site = tmp_path / "site"
    build_site(ROOT / "runs", site)
    for run in ctx.runs:
        assert json.loads((site / raw_run_file(run.slug)).read_text())["run_id"] == run.record.run_id
        with zipfile.ZipFile(site / llmd_file_name(run.slug)) as archive:
            names = archive.namelist()
            assert len(names) == len(run.record.results)
            report = json.loads(archive.read(names[0]))
        assert report["version"] == "0.2.1" and report["run"]["eid"] == run.record.run_id


def test_empty_site_has_a_typed_empty_table() -> None:
    frame = level_table([])  # rows of no run
    assert frame.empty and list(frame.columns) == [c.name for c in level_table_columns()]


def test_data_page_shows_the_reads_the_columns_and_each_runs_reports(tmp_path: Path) -> None:
    from generator.pages.write import write_pages

    runs = load_runs(ROOT / "runs").runs[:2]
    ctx = SiteContext(runs, run_frame(runs), level_frame(runs), [], True, datetime(2026, 12, 7, tzinfo=UTC))
    write_pages(ctx, tmp_path)
    page = (tmp_path / "data.md").read_text()
    assert "(data/levels.parquet)" in page
    assert 'pd.read_parquet("levels.parquet")' in page and "pl.read_parquet" in page and "duckdb.sql" in page
    for run in runs:  # links from data/ (directory URLs)
        assert f'href="runs/{run.slug}.json"' in page and f'href="llmd/{run.slug}.' in page
    for column in level_table_columns():
        assert f"| {column.name.replace('_', '&#95;')} |" in page or f"| {column.name} |" in page


def test_data_page_gives_file_patterns_instead_of_a_row_per_run_beyond_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.pages.downloads as downloads
    from generator.pages.write import write_pages

    monkeypatch.setattr(downloads, "DATA_PAGE_RUN_ROWS", 1)
    runs = load_runs(ROOT / "runs").runs[:2]
    ctx = SiteContext(runs, run_frame(runs), level_frame(runs), [], True, datetime(2026, 12, 7, tzinfo=UTC))
    write_pages(ctx, tmp_path)
    page = (tmp_path / "data.md").read_text()
    assert "| Run | Run file |" not in page and f'href="llmd/{runs[0].slug}.' not in page
    assert "`data/runs/<run>.json`" in page and "`data/llmd/<run>." in page
