"""Run page summary: human titles, merged levels, one-table server and imported figures, public commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from collector.schema import RunRecord
from generator.data.load import LoadedRun
from generator.data.tables import level_frame
from generator.figures.charts import run_series
from generator.pages.runsummary import (
    foreign_matrix,
    human_title,
    launch_note,
    merged_level_rows,
    public_command,
    server_metrics_matrix,
    summary_items,
)
from tests.helpers.gen_factories import HOSTILE_MODEL, make_run


def _rows(record: RunRecord) -> list[dict[str, Any]]:
    series = run_series(level_frame([LoadedRun(record, Path("x.json"), record.run_id)]))[0]
    return [{k: v[i] for k, v in series.items()} for i in range(len(series["slug"]))]


def test_title_is_human_and_inert() -> None:
    record = make_run(backend="vllm", version="0.6.3")
    assert human_title(record) == "vllm 0.6.3 · Llama-3.1-8B-Instruct · 1× NVIDIA H100 80GB HBM3 · 2026-11-01"
    hostile = make_run(model=HOSTILE_MODEL)
    title = human_title(hostile)
    assert "<" not in title and ">" not in title and "{" not in title


def test_summary_and_merged_rows_count_complete_trials() -> None:
    record = make_run(repeats=3)
    rows = _rows(record)
    items = dict(summary_items(rows, record))
    assert items["Peak output throughput"].endswith("tok/s per GPU)")
    assert items["Trials per level"] == "3 complete of 3"
    merged = merged_level_rows(rows)
    assert [m["level"] for m in merged] == ["c=1", "c=4", "c=16"]
    assert all(m["n"] == "3/3" and "[" in str(m["out_tok_s"]) for m in merged)


def test_server_metrics_are_one_table_of_levels_by_metrics() -> None:
    columns, rows = server_metrics_matrix(make_run())
    assert columns and all(len(r) == len(columns) + 1 for r in rows)
    assert [r[0] for r in rows] == ["c=1", "c=4", "c=16"]


def test_imported_figures_collapse_to_levels_by_statistics() -> None:
    figures = {
        "c1/ttft_ms.successful.mean": 10.0,
        "c1/ttft_ms.successful.percentiles.p99": 30.0,
        "c4/ttft_ms.successful.mean": 20.0,
        "client.python_version": "3.11",
    }
    stats, rows, full = foreign_matrix(figures)
    assert rows == [
        ["c1", "ttft_ms.successful", "10", "—", "—", "—", "—", "30", "—", "—", "—", "—"],
        ["c4", "ttft_ms.successful", "20", "—", "—", "—", "—", "—", "—", "—", "—", "—"],
    ]
    assert stats[0] == "mean" and len(full) == 4  # nothing dropped from the full list


def test_reproduce_never_prints_local_paths() -> None:
    argv = ["inferboard", "import", "guidellm", "/home/me/out/benchmarks.json", "--out=/home/me/runs"]
    assert public_command(argv) == "inferboard import guidellm benchmarks.json --out=runs"
    assert (
        public_command(["vllm", "serve", "meta-llama/Llama-3.1-8B"]) == "vllm serve meta-llama/Llama-3.1-8B"
    )
    assert public_command(None) is None


def test_embedded_engine_startup_is_not_called_unrecorded() -> None:
    record = make_run()
    embedded = record.model_copy(
        update={
            "launch": record.launch.model_copy(update={"mode": "embedded", "argv": None, "startup_s": 1.5})
        }
    )
    assert "already running" not in launch_note(embedded) and "1.5 s" in launch_note(embedded)
