"""Agreement on fixed answer sets and regression detection on hand-made record sequences."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.schema import Quality, RunRecord
from generator.analysis.agreement import (
    DIVERGE_BADGE,
    agreement_groups,
    compare,
    precision_bits,
    weights_name,
)
from generator.analysis.history import Change, all_changes, config_key, detect_changes, histories
from generator.build.site import build_site
from generator.data.load import LoadedRun
from tests.helpers.gen_factories import make_run, write_run
from tests.helpers.quality_factories import GOOD, SMOL, answering_run, history_run, smol_family


def loaded(*records: RunRecord) -> list[LoadedRun]:
    return [LoadedRun(r, Path(f"{r.run_id}.json"), r.run_id) for r in records]


def test_weights_name_and_precision() -> None:
    names = {weights_name(r) for r in smol_family()}
    assert names == {"smollm2-135m-instruct"}
    bits = [precision_bits(r) for r in smol_family()]
    assert bits == [16, 4, 16, 16]
    fp32 = make_run("f32run01", quant=None)
    fp32.quantization.weights_dtype = "f32"
    assert precision_bits(fp32) == 32


def test_compare_counts_exact_matches_and_common_prefix_in_characters() -> None:
    exact, prefix, n = compare({"a": "Paris", "b": "42", "c": "x"}, {"a": "Paris.", "b": "42", "d": "y"})
    assert n == 2 and exact == 0.5 and prefix == (5 + 2) / 2


def test_agreement_reference_rule_and_divergence_badge() -> None:
    (group,) = agreement_groups(loaded(*smol_family()))
    # Highest precision wins; between the two 16-bit runs the earlier one.
    assert group.reference == "ref0bf16"
    by = {r.slug: r for r in group.runs}
    assert by["ref0bf16"].exact_match == 1.0
    assert by["gguf0f16"].exact_match == 1.0
    assert by["gguf0q41"].exact_match == pytest.approx(0.8)
    assert by["broken01"].exact_match == 0.0
    assert [s for s, r in by.items() if r.diverges] == ["broken01"]
    # Differing answers: the two Q4_1 changes and every broken answer, side by side.
    assert {d.id for d in group.differing} == {f"p{i:02d}" for i in range(10)}


def test_two_runs_flag_only_the_non_reference_below_the_floor() -> None:
    ref, _, _, broken = smol_family()
    (group,) = agreement_groups(loaded(ref, broken))
    assert {r.slug: r.diverges for r in group.runs} == {"ref0bf16": False, "broken01": True}
    ref, q4, _, _ = smol_family()
    (group,) = agreement_groups(loaded(ref, q4))
    assert not any(r.diverges for r in group.runs)


def test_groups_need_same_weights_prompt_set_and_answers() -> None:
    ref, q4, f16, _ = smol_family()
    assert f16.quality is not None
    f16.quality = f16.quality.model_copy(update={"prompt_set_version": "other"})
    skipped = answering_run("random01", model=SMOL, texts=GOOD, weights_dtype="f32")
    skipped.quality = Quality(prompt_set_version="test-1", skipped_reason="random weights")
    other = answering_run("othermdl", model="Qwen/Qwen2.5-0.5B", texts=GOOD, weights_dtype="bf16")
    (group,) = agreement_groups(loaded(ref, q4, f16, skipped, other))
    assert {r.slug for r in group.runs} == {"ref0bf16", "gguf0q41"}


def test_config_key_ignores_versions_and_time_only() -> None:
    a = history_run("hist0001", "0.6.0", 0, 1.0)
    b = history_run("hist0002", "0.7.0", 5, 1.3)
    assert config_key(a) == config_key(b)
    c = history_run("hist0003", "0.7.0", 5, 1.0)
    c.quantization.kv_cache_dtype = "fp8"
    assert config_key(c) != config_key(a)
    d = history_run("hist0004", "0.7.0", 5, 1.0)
    d.hardware.gpus[0].name = "NVIDIA A100-SXM4-80GB"
    assert config_key(d) != config_key(a)


def _changes(*records: RunRecord) -> list[Change]:
    (key, runs), *_ = histories(loaded(*records)).items()
    return detect_changes(key, runs)


def test_a_step_is_a_regression_and_noise_within_the_threshold_is_not() -> None:
    changes = _changes(
        history_run("step0001", "0.6.0", 0, 1.0),
        history_run("step0002", "0.6.1", 1, 1.04),  # +4%: within the 10% threshold
        history_run("step0003", "0.7.0", 2, 0.7),  # a 30% step down
    )
    kinds = {(c.old.record.backend.version, c.level, c.metric, c.kind) for c in changes}
    assert kinds == {
        ("0.6.1", "c=1", "output_throughput_tok_s", "regression"),
        ("0.6.1", "c=4", "output_throughput_tok_s", "regression"),
        ("0.6.1", "c=1", "ttft_ms.p50", "regression"),  # TTFT went up: lower is better
        ("0.6.1", "c=4", "ttft_ms.p50", "regression"),
    }
    assert all("threshold" in c.basis for c in changes)


def test_confidence_intervals_decide_when_both_runs_have_repeats() -> None:
    # 15% apart but both intervals +-10% wide: they overlap, so no change is claimed.
    overlapping = _changes(
        history_run("ci000001", "0.6.0", 0, 1.0, repeats=3, ci=0.10),
        history_run("ci000002", "0.7.0", 1, 1.15, repeats=3, ci=0.10),
    )
    assert [c for c in overlapping if c.metric == "output_throughput_tok_s"] == []
    # 5% apart with +-1% intervals: a real improvement the threshold alone would have missed.
    tight = _changes(
        history_run("ci000003", "0.6.0", 0, 1.0, repeats=3, ci=0.01),
        history_run("ci000004", "0.7.0", 1, 1.05, repeats=3, ci=0.01),
    )
    throughput = [c for c in tight if c.metric == "output_throughput_tok_s"]
    assert throughput and all(c.kind == "improvement" and "intervals" in c.basis for c in throughput)


def test_missing_repeats_fall_back_to_the_threshold() -> None:
    changes = _changes(
        history_run("miss0001", "0.6.0", 0, 1.0, repeats=3, ci=0.01),
        history_run("miss0002", "0.7.0", 1, 1.05),  # no repeats: 5% is within the threshold
    )
    assert changes == []


def test_different_measurement_versions_are_never_compared() -> None:
    changes = _changes(
        history_run("meas0001", "0.6.0", 0, 1.0, measurement=1),
        history_run("meas0002", "0.7.0", 1, 0.5, measurement=2),
    )
    assert [(c.kind, c.basis) for c in changes] == [("not comparable", "measurement version 1 → 2")]


def test_changes_are_listed_newest_first() -> None:
    runs = loaded(
        history_run("new00001", "0.6.0", 0, 1.0),
        history_run("new00002", "0.7.0", 3, 0.6),
        history_run("new00003", "0.8.0", 6, 1.0),
    )
    dates = [c.when for c in all_changes(runs)]
    assert dates == sorted(dates, reverse=True) and len(dates) >= 2


@pytest.mark.slow
def test_site_shows_agreement_history_changes_and_the_badge(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for record in [
        *smol_family(),
        history_run("hist0001", "0.6.0", 0, 1.0),
        history_run("hist0002", "0.7.0", 2, 0.6),
    ]:
        write_run(runs, record)
    build_site(runs, tmp_path / "site", docs_dir=tmp_path / "docs", file_urls=True)
    agreement = (tmp_path / "site" / "agreement.html").read_text()
    assert "ib-diverge" in agreement and "broken01" in agreement and "reference" in agreement
    changes = (tmp_path / "site" / "changes.html").read_text()
    assert "regression" in changes and "0.6.0" in changes and "0.7.0" in changes
    run_page = (tmp_path / "site" / "runs" / "broken01.html").read_text()
    assert DIVERGE_BADGE in run_page and "History of this configuration" in run_page
    # The leaderboard's rows live in per-set data assets (loaded on demand), not in the page itself.
    boards = [p.read_text() for p in (tmp_path / "site" / "assets" / "ib" / "data").glob("board-*.js")]
    assert any(DIVERGE_BADGE in board for board in boards)
    key = config_key(history_run("hist0001", "0.6.0", 0, 1.0))
    history = (tmp_path / "site" / "history" / f"{key}.html").read_text()
    assert "hist0001" in history and "hist0002" in history and 'data-fig="throughput"' in history
