"""A summary-only `vllm bench serve` import (schema v2: only what vLLM reported) on the leaderboard."""

from __future__ import annotations

import json
from pathlib import Path

from collector.importers import ImportOptions, import_files
from generator.data import tables
from generator.data.load import LoadedRun

SUMMARY_ONLY = Path(__file__).parents[1] / "fixtures" / "imports" / "vllm" / "c2_summary_only.json"


def test_summary_only_import_shows_ttft_tpot_e2e_and_leaves_absent_statistics_empty() -> None:
    raw = json.loads(SUMMARY_ONLY.read_text())
    record = import_files("vllm", [SUMMARY_ONLY], ImportOptions(backend="vllm"))
    (row,) = tables.level_rows(LoadedRun(record, Path("imported.json"), "imported"))
    assert row["ttft_p50"] == raw["median_ttft_ms"] and row["tpot_p50"] == raw["median_tpot_ms"]
    assert row["e2e_p50"] == raw["median_e2el_ms"]
    # 4 requests cannot support a p99 (collector.schema.PERCENTILE_MIN_SAMPLES): hidden, and why
    assert raw["completed"] == 4 and row["ttft_p99"] is None and row["e2e_p99"] is None
    assert row["hidden"]["ttft_p99"] == "n=4: too few for p99"
    # Not in the file: absent on the site too, never filled in.
    assert row["e2e_p90"] is None and row["e2e_min"] is None and row["e2e_max"] is None
    frame = tables.level_frame([LoadedRun(record, Path("imported.json"), "imported")])
    assert frame["ttft_p50"].iloc[0] == raw["median_ttft_ms"]
