"""Aggregation: records -> frames, classes and badges, the headline."""

from __future__ import annotations

from pathlib import Path

import pytest
from gen_factories import make_run, standard_runs

from generator.load import LoadedRun
from generator.tables import (
    REAL_GPU_CLASS,
    default_class,
    headline,
    level_frame,
    run_badges,
    run_class,
    run_frame,
)


def loaded(records: list) -> list[LoadedRun]:  # type: ignore[type-arg]
    return [LoadedRun(r, Path(f"{r.run_id}.json"), r.run_id) for r in records]


def test_one_row_per_run_and_level_with_trials_merged_and_intervals() -> None:
    runs = loaded(standard_runs())
    levels = level_frame(runs)
    assert len(levels) == 4 * 3
    repeated = levels[levels["slug"] == "aaaa00000001"].sort_values("load")
    assert list(repeated["trials"]) == [3, 3, 3]
    record = runs[0].record
    c1 = [lv.output_throughput_tok_s for lv in record.results if lv.concurrency == 1]
    assert repeated.iloc[0]["out_tok_s"] == pytest.approx(sum(c1) / 3)
    assert repeated.iloc[0]["out_tok_s_lo"] < repeated.iloc[0]["out_tok_s"] < repeated.iloc[0]["out_tok_s_hi"]
    assert bool(repeated.iloc[2]["saturated"]) and not bool(repeated.iloc[0]["saturated"])
    single = levels[levels["slug"] == "aaaa00000002"]
    assert single["out_tok_s_lo"].isna().all()


def test_badges_and_classes_keep_unlike_runs_apart() -> None:
    cpu = make_run("cpu000000001", weights="random", accelerator="cpu", labels=["random-weights", "nightly"])
    imported = make_run("imp000000001", origin="imported", status="interrupted")
    assert run_badges(cpu) == ["random weights", "CPU", "synthetic-test", "nightly"]
    assert run_class(cpu) == "cpu+random"
    assert run_badges(imported)[:2] == ["imported", "interrupted"]
    assert run_class(imported) == "imported"
    assert run_class(make_run()) == REAL_GPU_CLASS


def test_default_class_and_headline_rank_only_real_gpu_runs() -> None:
    runs = loaded(standard_runs())
    levels = level_frame(runs)
    assert default_class(run_frame(runs)) == REAL_GPU_CLASS
    best = headline(levels)
    assert set(best["klass"]) == {REAL_GPU_CLASS}
    assert set(best["backend"]) == {"vllm"}  # the faster synthetic GPU run wins every level
    assert len(best) == 3
    cpu_only = loaded([make_run("cpu000000001", accelerator="cpu", weights="random")])
    assert default_class(run_frame(cpu_only)) == "all"
    assert len(headline(level_frame(cpu_only))) == 3


def test_empty_inputs_give_empty_frames_with_columns() -> None:
    levels = level_frame([])
    assert levels.empty and "out_tok_s" in levels.columns and "klass" in levels.columns
    assert headline(levels).empty
    assert run_frame([]).empty
