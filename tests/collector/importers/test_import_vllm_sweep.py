"""`inferboard import vllm FOLDER`: a `vllm bench sweep serve` output folder (tests/fixtures/imports/
vllm_sweep, laid out by vLLM's own sweep code around two real `vllm bench serve` results)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli.main import main
from collector.importers import ImportFormatError, ImportOptions, import_files

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "imports"
SWEEP = FIXTURES / "vllm_sweep" / "smollm2-cpu"
SINGLE = FIXTURES / "vllm"


def test_sweep_folder_is_one_run_with_a_level_per_result() -> None:
    record = import_files("vllm", [SWEEP], ImportOptions(backend="vllm"))
    assert [(r.concurrency, r.trial) for r in record.results] == [(2, 0), (4, 0)]
    assert [s.name for s in record.origin.source_files] == ["run=0.json", "run=0.json"]
    assert any("vllm bench sweep serve" in note for note in record.origin.notes)
    # each level's settings come from the sweep's own files (the merged bench parameters)
    assert record.origin.foreign_metrics["c4/metric_percentiles"] == "50,90,99"
    assert record.origin.foreign_metrics["c2/run_number"] == 0
    # the same figures as importing the recorded results one by one
    files = import_files(
        "vllm", [SINGLE / "c2_summary_only.json", SINGLE / "c4_detailed.json"], ImportOptions()
    )
    for swept, single in zip(record.results, files.results, strict=True):
        assert (
            swept.ttft_ms == single.ttft_ms
            and swept.output_throughput_tok_s == single.output_throughput_tok_s
        )


def test_repeated_runs_become_trials_and_warmup_and_failures_are_not_levels(tmp_path: Path) -> None:
    sweep = tmp_path / "exp"
    shutil.copytree(SWEEP, sweep)
    combo = sweep / "BENCH--max_concurrency=2"
    shutil.copyfile(combo / "run=0.json", combo / "run=1.json")
    shutil.copyfile(combo / "run=0.json", combo / "warmup.json")
    (combo / "run=2.failure.json").write_text('{"run_number": 2, "error": "boom"}')
    record = import_files("vllm", [sweep], ImportOptions())
    assert sorted((r.concurrency, r.trial) for r in record.results) == [(2, 0), (2, 1), (4, 0)]
    assert any("run=2.failure.json" in note for note in record.origin.notes)


def test_two_server_settings_are_refused(tmp_path: Path) -> None:
    for serve in ("SERVE--max_num_seqs=4", "SERVE--max_num_seqs=8"):
        shutil.copytree(SWEEP / "BENCH--max_concurrency=2", tmp_path / f"{serve}-BENCH--max_concurrency=2")
    with pytest.raises(ImportFormatError, match="2 server settings"):
        import_files("vllm", [tmp_path], ImportOptions())
    # one server setting's combination folder imports
    one = import_files("vllm", [tmp_path / "SERVE--max_num_seqs=4-BENCH--max_concurrency=2"], ImportOptions())
    assert len(one.results) == 1


def test_folder_without_results_and_folder_for_other_formats(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match=r"no run=N\.json"):
        import_files("vllm", [tmp_path], ImportOptions())
    with pytest.raises(ImportFormatError, match="is a folder"):
        import_files("guidellm", [tmp_path], ImportOptions())


def test_cli_reads_the_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import", "vllm", str(SWEEP), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "2 levels" in result.output
