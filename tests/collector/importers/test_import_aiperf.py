"""aiperf exports (real files made against the embedded llama.cpp engine) -> imported runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collector.importers import ImportOptions, import_files

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "imports" / "aiperf"
C1 = FIXTURES / "c1_profile_export_aiperf.json"
C4 = FIXTURES / "c4_profile_export_aiperf.json"


def test_real_exports_map_matching_definitions() -> None:
    record = import_files("aiperf", [C4, C1], ImportOptions(random_weights=True))
    assert [r.concurrency for r in record.results] == [1, 4]
    assert record.origin.tool == "aiperf" and record.origin.tool_version == "0.13.0"
    assert record.model.name == "tiny.gguf" and record.model.weights == "random"
    assert record.workload.seed == 7 and record.workload.ignore_eos is True
    assert (record.workload.input_tokens, record.workload.output_tokens) == (32, 16)
    raw = json.loads(C4.read_text())
    level = record.results[1]
    assert level.completed == 12 and level.failed == 0
    assert level.output_tokens_total == 192 and level.input_tokens_total == 384
    assert level.tpot_ms is not None
    # aiperf's "inter_token_latency" is inferboard's TPOT; its "inter_chunk_latency" is inferboard's ITL.
    assert level.tpot_ms.mean == raw["inter_token_latency"]["avg"]
    assert level.itl_ms is not None and level.itl_ms.p99 == raw["inter_chunk_latency"]["p99"]
    assert level.ttft_ms is not None and level.ttft_ms.count == raw["time_to_first_token"]["count"]
    assert level.output_throughput_tok_s == raw["output_token_throughput"]["avg"]
    foreign = record.origin.foreign_metrics
    assert foreign["c4/inter_token_latency.avg"] == raw["inter_token_latency"]["avg"]
    assert foreign["c4/time_to_second_token.p50"] == raw["time_to_second_token"]["p50"]


def test_client_token_counts_keep_tpot_foreign(tmp_path: Path) -> None:
    raw = json.loads(C4.read_text())
    raw["input_config"]["endpoint"]["use_server_token_count"] = False
    path = tmp_path / "profile_export_aiperf.json"
    path.write_text(json.dumps(raw))
    (level,) = import_files("aiperf", [path], ImportOptions()).results
    assert level.tpot_ms is None and level.per_user_tok_s is None
    assert level.itl_ms is not None


def test_failed_requests_keep_every_latency_foreign(tmp_path: Path) -> None:
    raw = json.loads(C1.read_text())
    raw["error_request_count"] = {"unit": "requests", "avg": 2.0}
    path = tmp_path / "profile_export_aiperf.json"
    path.write_text(json.dumps(raw))
    record = import_files("aiperf", [path], ImportOptions())
    (level,) = record.results
    assert level.failed == 2
    assert level.ttft_ms is None and level.e2e_ms is None and level.itl_ms is None
    assert any("include failed requests" in note for note in record.origin.notes)


def test_not_an_aiperf_file(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"benchmarks": []}')
    with pytest.raises(ValueError, match="not an aiperf"):
        import_files("aiperf", [path], ImportOptions())
