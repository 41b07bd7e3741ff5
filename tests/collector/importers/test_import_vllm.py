"""vLLM `bench serve` results -> imported runs (real files from vLLM 0.32.0; see the fixture README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from collector.importers import ImportFormatError, ImportOptions, import_files

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "imports" / "vllm"
SUMMARY_ONLY = FIXTURES / "c2_summary_only.json"
DETAILED = FIXTURES / "c4_detailed.json"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_summary_only_file_fills_the_statistics_vllm_reported_and_nothing_else() -> None:
    raw = load(SUMMARY_ONLY)
    record = import_files("vllm", [SUMMARY_ONLY], ImportOptions())
    (level,) = record.results
    assert (level.concurrency, level.completed, level.failed) == (2, 4, 0)
    assert level.output_throughput_tok_s == raw["output_throughput"]
    assert level.request_throughput_rps == raw["request_throughput"]
    assert (level.input_tokens_total, level.output_tokens_total) == (128, 64)
    assert level.duration_s == raw["duration"]
    for field, name in (("ttft_ms", "ttft"), ("tpot_ms", "tpot"), ("itl_ms", "itl"), ("e2e_ms", "e2el")):
        summary = getattr(level, field)
        assert summary is not None, field
        assert summary.mean == raw[f"mean_{name}_ms"] and summary.std == raw[f"std_{name}_ms"]
        assert summary.p50 == raw[f"median_{name}_ms"] and summary.p99 == raw[f"p99_{name}_ms"]
        # Not in the file (default --metric-percentiles is 99 only): absent, never rebuilt.
        assert (summary.count, summary.min, summary.max, summary.p90, summary.p95) == (None,) * 5
    assert level.per_user_tok_s is None and level.itl_quantiles_ms == []
    foreign = record.origin.foreign_metrics
    assert "c2/p99_ttft_ms" not in foreign and "c2/median_tpot_ms" not in foreign  # now in the summaries
    assert foreign["c2/max_output_tokens_per_s"] == raw["max_output_tokens_per_s"]
    assert record.origin.kind == "imported" and record.origin.tool == "vllm bench serve"
    assert record.origin.tool_version is None  # the file does not say; never guessed
    assert record.model.name == "smollm2-135m"
    assert any("median as p50" in note for note in record.origin.notes)


def test_detailed_arrays_give_inferboard_summaries_that_agree_with_vllms() -> None:
    raw = load(DETAILED)
    record = import_files("vllm", [DETAILED], ImportOptions(backend="vllm", backend_version="0.32.0"))
    (level,) = record.results
    assert (level.concurrency, level.completed, level.failed) == (4, 4, 0)
    assert level.ttft_ms is not None and level.ttft_ms.count == 4
    ttfts_ms = [t * 1000 for t in raw["ttfts"]]
    assert level.ttft_ms.max == pytest.approx(max(ttfts_ms))
    # Same definitions and the same numpy methods: inferboard's summaries equal vLLM's own figures.
    assert level.ttft_ms.mean == pytest.approx(raw["mean_ttft_ms"])
    assert level.ttft_ms.p90 == pytest.approx(raw["p90_ttft_ms"])
    assert level.tpot_ms is not None and level.tpot_ms.p50 == pytest.approx(raw["median_tpot_ms"])
    assert level.e2e_ms is not None and level.e2e_ms.p99 == pytest.approx(raw["p99_e2el_ms"])
    assert level.itl_ms is not None and level.itl_ms.count == sum(len(gaps) for gaps in raw["itls"])
    assert level.itl_ms.p99 == pytest.approx(raw["p99_itl_ms"])
    assert level.itl_ms.std == pytest.approx(float(np.std([g * 1000 for r in raw["itls"] for g in r])))
    assert len(level.itl_quantiles_ms) == 101
    assert [r.status for r in level.requests] == ["ok"] * 4
    assert [r.output_tokens for r in level.requests] == [16] * 4
    assert record.backend.version == "0.32.0" and record.backend.version_source == "flag"
    foreign = record.origin.foreign_metrics
    assert not any("generated_texts" in key for key in foreign)
    assert foreign["c4/p99_ttft_ms"] == raw["p99_ttft_ms"]  # replaced by full summaries: vLLM's stay foreign


def test_several_files_become_levels_of_one_run_with_prefixed_foreign_keys() -> None:
    record = import_files("vllm", [DETAILED, SUMMARY_ONLY], ImportOptions())
    assert [r.concurrency for r in record.results] == [2, 4]
    assert "c2/max_concurrent_requests" in record.origin.foreign_metrics
    assert "c4/max_concurrent_requests" in record.origin.foreign_metrics
    assert [s.name for s in record.origin.source_files] == ["c4_detailed.json", "c2_summary_only.json"]


def test_a_failed_request_in_the_arrays_is_an_error_record(tmp_path: Path) -> None:
    # Derived from the real file: the last request marked failed as vLLM marks it (error text, no output).
    data = load(DETAILED)
    data["errors"][-1] = "Internal Server Error"
    data["ttfts"][-1], data["output_lens"][-1], data["itls"][-1] = 0.0, 0, []
    data["completed"], data["failed"] = 3, 1
    path = tmp_path / "failed.json"
    path.write_text(json.dumps(data))
    (level,) = import_files("vllm", [path], ImportOptions()).results
    assert (level.completed, level.failed) == (3, 1)
    assert [r.status for r in level.requests] == ["ok", "ok", "ok", "error"]
    assert level.requests[3].error == "Internal Server Error"
    assert level.ttft_ms is not None and level.ttft_ms.count == 3


def test_append_result_lines_and_chat_api(tmp_path: Path) -> None:
    summary = load(SUMMARY_ONLY)
    chat = dict(load(DETAILED), endpoint_type="openai-chat", backend="openai-chat")
    path = tmp_path / "appended.json"
    path.write_text(json.dumps(summary) + "\n" + json.dumps(chat) + "\n")
    record = import_files("vllm", [path], ImportOptions())
    assert record.workload.api == "chat"
    chat_level = record.results[1]
    # The role-only chunk counts as vLLM's first token on chat: TTFT/TPOT/ITL stay foreign.
    assert chat_level.ttft_ms is None and chat_level.tpot_ms is None and chat_level.itl_ms is None
    assert chat_level.e2e_ms is not None
    assert record.origin.foreign_metrics["c4/p99_ttft_ms"] == chat["p99_ttft_ms"]
    assert any("role-only" in note for note in record.origin.notes)


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not valid JSON"), ('{"completed": 3}', "field 'duration'"), ("[1, 2]", "expected")],
)
def test_bad_files_get_one_line_errors_naming_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ImportFormatError, match=message) as info:
        import_files("vllm", [path], ImportOptions())
    assert str(path) in str(info.value) and "\n" not in str(info.value)
