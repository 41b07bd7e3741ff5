"""guidellm reports (a real one made against the embedded llama.cpp engine) -> imported runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collector.importers import ImportOptions, import_files

REPORT = Path(__file__).resolve().parents[2] / "fixtures" / "imports" / "guidellm" / "benchmarks.json"


def test_real_report_levels_and_inferboard_tpot() -> None:
    record = import_files("guidellm", [REPORT], ImportOptions())
    raw = json.loads(REPORT.read_text())
    assert [r.concurrency for r in record.results] == [1, 4]
    assert record.origin.tool_version == "0.8.1" and record.workload.seed == 42
    for level, bench in zip(record.results, raw["benchmarks"], strict=True):
        assert level.completed == bench["metrics"]["request_totals"]["successful"]
        assert level.duration_s == bench["duration"]
        assert level.output_throughput_tok_s == pytest.approx(level.output_tokens_total / level.duration_s)
        assert level.tpot_ms is not None and level.per_user_tok_s is not None
        # TTFT computed by inferboard from the same timings guidellm used: same mean.
        assert level.ttft_ms is not None
        guidellm_ttft = bench["metrics"]["time_to_first_token_ms"]["successful"]["mean"]
        assert level.ttft_ms.mean == pytest.approx(guidellm_ttft)
        assert len(level.requests) == level.completed
    foreign = record.origin.foreign_metrics
    # guidellm's TPOT includes the first token: kept under its own name, never as tpot_ms.
    assert "c4/time_per_output_token_ms.successful.mean" in foreign
    assert "c4/inter_token_latency_ms.successful.percentiles.p50" in foreign
    assert not any(key.split("/")[-1].startswith("text.") for key in foreign)


def test_report_without_requests_falls_back_to_guidellm_summaries(tmp_path: Path) -> None:
    raw = json.loads(REPORT.read_text())
    for bench in raw["benchmarks"]:
        bench["requests"] = {"successful": [], "errored": [], "incomplete": [], "total": None}
    path = tmp_path / "report.json"
    path.write_text(json.dumps(raw))
    record = import_files("guidellm", [path], ImportOptions(gpu="H100 80GB", gpu_count=2))
    level = record.results[1]
    assert level.tpot_ms is None  # no per-request timings: guidellm's TPOT is not inferboard's
    stats = raw["benchmarks"][1]["metrics"]["time_to_first_token_ms"]["successful"]
    assert level.ttft_ms is not None and level.ttft_ms.p95 == stats["percentiles"]["p95"]
    assert record.hardware.accelerator == "gpu" and record.hardware.label == "H100 80GB"
    assert level.output_throughput_per_gpu_tok_s == pytest.approx(level.output_throughput_tok_s / 2)


def test_not_a_guidellm_report(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"aiperf_version": "1"}')
    with pytest.raises(ValueError, match="not a guidellm report"):
        import_files("guidellm", [path], ImportOptions())
