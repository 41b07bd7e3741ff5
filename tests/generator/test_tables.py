"""Aggregation: records -> frames, classes and badges, the decision views."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.schema import LevelResult, Summary
from generator.analysis.configs import configurations
from generator.analysis.decide import (
    Score,
    _verdict,
    at_interactivity,
    decision_groups,
    sections,
)
from generator.data.load import LoadedRun
from generator.data.tables import (
    REAL_GPU_CLASS,
    default_class,
    level_frame,
    run_badges,
    run_class,
    run_frame,
    short_backend,
)
from tests.helpers.gen_factories import make_run, standard_runs


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


def test_decision_views_rank_within_one_class_and_drop_nothing() -> None:
    runs = loaded(standard_runs())
    assert default_class(run_frame(runs)) == REAL_GPU_CLASS
    groups = decision_groups(runs)
    # real-weight GPU first; the CPU run and the imported run get their own sections
    assert next(label for label, _ in sections(groups)) == "Real weights on GPU, measured"
    assert {g.klass for g in groups} == {REAL_GPU_CLASS, "cpu+random", "imported"}
    gpu = next(g for g in groups if g.klass == REAL_GPU_CLASS)
    peak = gpu.rankings[0]
    assert peak.point == "Peak output throughput"
    # vllm's best level (c=16) had a saturated client and reads above sglang's clean c=16: no winner
    assert peak.verdict == "blocked"
    assert peak.blocker is not None and peak.blocker.label.startswith("vllm") and peak.blocker.where == "c=16"
    assert [s.label.split()[0] for s in peak.scores] == ["sglang", "vllm"]  # the clean figures
    assert peak.scores[1].trials == 3 and peak.scores[0].trials == 1
    cpu_only = loaded([make_run("cpu000000001", accelerator="cpu", weights="random")])
    assert [g.klass for g in decision_groups(cpu_only)] == ["cpu+random"]


def _score(value: float, low: float | None, high: float | None) -> Score:
    return Score("s", "x", value, low, high, 3, "c=1")


def test_tie_when_intervals_overlap_and_winner_when_they_do_not() -> None:
    assert _verdict([_score(10, 9, 11), _score(9.5, 9, 10)]) == "tie"
    assert _verdict([_score(10, 9.8, 10.2), _score(8, 7.5, 8.5)]) == "winner"
    assert _verdict([_score(10, None, None), _score(8, None, None)]) == "one_trial"
    assert _verdict([_score(10, 9, 11)]) == "single"


def test_interactivity_point_interpolates_between_levels() -> None:
    # c=1: 100 tok/s per user, 100 tok/s; c=4: 50 per user, 200 tok/s (two trials each, no spread)
    def trials(conc: int, user: float, tput: float) -> list[LevelResult]:
        base = make_run("x" * 12, levels=(conc,)).results[0]
        per_user = Summary(count=64, p50=user)
        update = {"output_throughput_tok_s": tput, "per_user_tok_s": per_user}
        return [base.model_copy(update={**update, "trial": t}) for t in range(2)]

    record = make_run("aaaa00000009", levels=(1, 4))
    record = record.model_copy(update={"results": trials(1, 100.0, 100.0) + trials(4, 50.0, 200.0)})
    [config] = configurations(loaded([record]))
    score = at_interactivity(config, 75.0)
    assert score is not None and score.value == pytest.approx(150.0)
    assert score.where == "between c=4 and c=1"
    assert (score.trials, score.requests) == (2, 128)  # the trials behind it, not a hard-coded 1
    assert at_interactivity(config, 150.0) is None
    assert at_interactivity(config, 40.0).value == 200.0  # type: ignore[union-attr]


def test_short_backend_labels() -> None:
    assert short_backend("llama.cpp", "xllamacpp 2026.10.11549 (llama.cpp build unknown)") == (
        "llama.cpp xllamacpp 2026.10"
    )
    assert short_backend("vllm", "0.6.3") == "vllm 0.6.3"
    assert short_backend("llama.cpp", "b4123") == "llama.cpp b4123"
    assert short_backend("sglang", "unknown") == "sglang"


def test_empty_inputs_give_empty_frames_with_columns() -> None:
    levels = level_frame([])
    assert levels.empty and "out_tok_s" in levels.columns and "klass" in levels.columns
    assert decision_groups([]) == []
    assert run_frame([]).empty
