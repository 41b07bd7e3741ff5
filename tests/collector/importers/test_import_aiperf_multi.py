"""`inferboard import aiperf FOLDER`: a real `aiperf profile --num-profile-runs 3` artifact folder
(tests/fixtures/imports/aiperf/multi_run_c2): runs as trials, aiperf's confidence intervals as the repeat
summary, checked against inferboard's own Student-t interval of the same trials."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from collector.importers import ImportFormatError, ImportOptions, import_files
from collector.measure.stats import student_t_ci

MULTI = Path(__file__).resolve().parents[2] / "fixtures" / "imports" / "aiperf" / "multi_run_c2"


def test_profile_runs_are_trials_and_the_aggregate_their_intervals() -> None:
    record = import_files("aiperf", [MULTI], ImportOptions())
    assert [(r.concurrency, r.trial) for r in record.results] == [(2, 0), (2, 1), (2, 2)]
    (summary,) = record.repeat_summaries
    assert summary.concurrency == 2 and summary.trials == 3
    assert record.origin.source_files[-1].name == "profile_export_aiperf_aggregate.json"
    # aiperf's interval is inferboard's: Student-t of the mean over the runs (same estimate and bounds)
    values = [r.output_throughput_tok_s for r in record.results]
    ours = student_t_ci(values, 0.95)
    theirs = summary.intervals["output_throughput_tok_s"]
    assert theirs.estimate == pytest.approx(ours.estimate)
    assert theirs.low == pytest.approx(ours.low) and theirs.high == pytest.approx(ours.high, rel=1e-6)
    # a low bound below 0 is cut, as the collector cuts it; aiperf's own bound stays foreign
    ttft = summary.intervals["ttft_ms.p50"]
    assert ttft.low == 0.0 and ttft.method == "student-t, low bound cut at 0"
    assert record.origin.foreign_metrics["aggregate.time_to_first_token_p50.ci_low"] < 0
    assert any("--num-profile-runs" in note for note in record.origin.notes)


def test_aggregate_alone_or_mismatched_is_one_line(tmp_path: Path) -> None:
    aggregate = MULTI / "aggregate" / "profile_export_aiperf_aggregate.json"
    with pytest.raises(ImportFormatError, match="aggregate alone"):
        import_files("aiperf", [aggregate], ImportOptions())
    folder = tmp_path / "c2"
    shutil.copytree(MULTI, folder)
    shutil.rmtree(folder / "profile_runs" / "run_0003")
    with pytest.raises(ImportFormatError, match="summarises 3 runs but the folder has 2"):
        import_files("aiperf", [folder], ImportOptions())
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ImportFormatError, match="profile_runs"):
        import_files("aiperf", [empty], ImportOptions())


def test_single_run_files_still_import_without_a_summary() -> None:
    runs = sorted(MULTI.glob("profile_runs/*/profile_export_aiperf.json"))
    record = import_files("aiperf", runs, ImportOptions())
    assert len(record.results) == 3 and record.repeat_summaries == []
    assert json.loads(runs[0].read_text())["aiperf_version"] == "0.13.0"
