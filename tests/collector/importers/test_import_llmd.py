"""`inferboard import llmd`: the standard's own example, and round trips of inferboard's exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli.main import main
from collector.importers import ImportFormatError, ImportOptions, import_files
from collector.schema import load_run
from collector.schema.llmd import run_reports

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "tests" / "fixtures" / "llmd" / "br_v0_2_1_example.yaml"
RUNS = sorted((ROOT / "runs").glob("*.json"))
SUMMARIES = ("ttft_ms", "tpot_ms", "itl_ms", "e2e_ms", "per_user_tok_s", "input_tokens_observed",
             "output_tokens_observed")  # fmt: skip
FIGURES = ("concurrency", "request_rate", "trial", "completed", "failed", "duration_s", "input_tokens_total",
           "output_tokens_total", "output_throughput_tok_s", "total_token_throughput_tok_s",
           "request_throughput_rps")  # fmt: skip


def test_the_standards_example_imports() -> None:
    record = import_files("llmd", [EXAMPLE], ImportOptions())
    (level,) = record.results
    assert record.origin.kind == "imported" and record.origin.tool == "llm-d benchmark report"
    assert record.origin.tool_version == "0.2.1"
    assert record.origin.source_files[0].name == EXAMPLE.name
    assert record.model.name == "Qwen/Qwen3-0.6B"
    assert level.request_rate == 10.0 and level.concurrency is None
    assert level.completed == 500 and level.failed == 0
    # seconds -> ms, stddev/percentiles by name; TPOT/ITL of another harness stay foreign and labelled
    assert level.ttft_ms is not None and level.ttft_ms.p50 == pytest.approx(36.22930939309299)
    assert level.ttft_ms.count is None
    assert level.tpot_ms is None and level.itl_ms is None
    foreign = record.origin.foreign_metrics
    assert foreign["r10/aggregate.latency.time_per_output_token.mean"] == pytest.approx(0.0368578234128654)
    assert foreign["r10/aggregate.latency.time_to_first_token.p99p9"] == pytest.approx(0.057014757215045425)
    assert foreign["harness"] == "inference-perf 0.3.0"
    assert any("may differ depending on tool" in note for note in record.origin.notes)
    assert any("states no measurement window" in note for note in record.origin.notes)


@pytest.mark.parametrize("path", RUNS, ids=[p.name[:40] for p in RUNS])
def test_round_trip_keeps_every_figure(path: Path, tmp_path: Path) -> None:
    original = load_run(path)
    files = []
    for name, report in run_reports(original):
        target = tmp_path / name
        target.write_text(json.dumps(report))
        files.append(target)
    back = import_files("llmd", files, ImportOptions(backend=original.backend.name))
    assert back.model.name == original.model.name
    assert len(back.results) == len(original.results)
    key = lambda level: (level.concurrency or 0, level.request_rate or 0.0, level.trial)  # noqa: E731
    for ours, theirs in zip(sorted(original.results, key=key), sorted(back.results, key=key), strict=True):
        for name in FIGURES:
            assert getattr(theirs, name) == getattr(ours, name), name
        for name in SUMMARIES:
            mine, again = getattr(ours, name), getattr(theirs, name)
            if mine is None or mine.mean is None:
                assert again is None, name
                continue
            # the standard carries no sample count; every statistic it carries comes back equal
            assert again is not None and again.model_dump(exclude={"count"}) == mine.model_dump(
                exclude={"count"}
            ), name


def test_cli_imports_yaml(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import", "llmd", str(EXAMPLE), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob("*.json")
    assert load_run(path).origin.tool == "llm-d benchmark report"


@pytest.mark.parametrize(
    "text, problem",
    [("version: '0.1'\n", "not an llm-d Benchmark Report"), ("a: [\n", "not valid YAML or JSON"),
     ("version: '0.2.1'\nrun: {uid: x}\nresults: {}\n", "total")],
)  # fmt: skip
def test_bad_reports_are_one_line(tmp_path: Path, text: str, problem: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ImportFormatError, match=problem) as err:
        import_files("llmd", [bad], ImportOptions())
    assert "bad.yaml" in str(err.value) and "\n" not in str(err.value)
