"""vLLM `bench serve` results -> imported runs (synthetic format samples; see the fixture README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collector.importers import ImportFormatError, ImportOptions, import_files

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "imports" / "vllm"
SUMMARY_ONLY = FIXTURES / "c2_summary_only.json"
DETAILED = FIXTURES / "c4_detailed.json"


def test_summary_only_keeps_vllm_figures_and_leaves_distributions_empty() -> None:
    record = import_files("vllm", [SUMMARY_ONLY], ImportOptions())
    (level,) = record.results
    assert (level.concurrency, level.completed, level.failed) == (2, 4, 0)
    assert level.output_throughput_tok_s == 32.0 and level.request_throughput_rps == 2.0
    assert (level.input_tokens_total, level.output_tokens_total, level.duration_s) == (128, 64, 2.0)
    # No count/min/max/p90 in the file: nothing is invented.
    assert level.ttft_ms is None and level.tpot_ms is None and level.itl_ms is None and level.e2e_ms is None
    foreign = record.origin.foreign_metrics
    assert foreign["c2/p99_ttft_ms"] == pytest.approx(129.7)
    assert foreign["c2/median_tpot_ms"] == 25.5
    assert foreign["c2/max_output_tokens_per_s"] == 40.0
    assert record.origin.kind == "imported" and record.origin.tool == "vllm bench serve"
    assert record.origin.tool_version is None  # the file does not say; never guessed
    assert record.model.name == "example-org/example-model"


def test_detailed_arrays_give_inferboard_summaries() -> None:
    record = import_files("vllm", [DETAILED], ImportOptions(backend="vllm", backend_version="0.9.0"))
    (level,) = record.results
    assert (level.concurrency, level.completed, level.failed) == (4, 3, 1)
    assert level.ttft_ms is not None and level.ttft_ms.mean == pytest.approx(200.0)
    assert level.e2e_ms is not None and level.e2e_ms.max == pytest.approx(650.0)
    assert level.tpot_ms is not None and level.tpot_ms.count == 3
    assert sorted([level.tpot_ms.min, level.tpot_ms.p50, level.tpot_ms.max]) == pytest.approx([20, 30, 40])
    assert level.itl_ms is not None and level.itl_ms.count == 15 + 15 + 7
    assert len(level.itl_quantiles_ms) == 101
    assert [r.status for r in level.requests] == ["ok", "ok", "ok", "error"]
    assert level.requests[3].error == "Internal Server Error"
    assert record.backend.version == "0.9.0" and record.backend.version_source == "flag"
    assert not any("generated_texts" in key for key in record.origin.foreign_metrics)


def test_several_files_become_levels_of_one_run_with_prefixed_foreign_keys() -> None:
    record = import_files("vllm", [DETAILED, SUMMARY_ONLY], ImportOptions())
    assert [r.concurrency for r in record.results] == [2, 4]
    assert "c2/p99_ttft_ms" in record.origin.foreign_metrics
    assert "c4/p99_ttft_ms" in record.origin.foreign_metrics
    assert [s.name for s in record.origin.source_files] == ["c4_detailed.json", "c2_summary_only.json"]


def test_append_result_lines_and_chat_api(tmp_path: Path) -> None:
    obj = json.loads(SUMMARY_ONLY.read_text())
    chat = dict(json.loads(DETAILED.read_text()), endpoint_type="openai-chat", backend="openai-chat")
    path = tmp_path / "appended.json"
    path.write_text(json.dumps(obj) + "\n" + json.dumps(chat) + "\n")
    record = import_files("vllm", [path], ImportOptions())
    assert record.workload.api == "chat"
    chat_level = record.results[1]
    # The role-only chunk counts as vLLM's first token on chat: TTFT/TPOT/ITL stay foreign.
    assert chat_level.ttft_ms is None and chat_level.tpot_ms is None and chat_level.itl_ms is None
    assert chat_level.e2e_ms is not None
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
