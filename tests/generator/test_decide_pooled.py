"""Verdicts on clean, pooled data: configurations are ranked over the trials of all their runs, and only
clean levels decide. Every expected number below is worked out by hand in the comments."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.schema import (
    CLEAN_RULES,
    CONFIGURATION_FIELDS,
    MIN_DECIDING_REASON,
    RULE_TEXT,
    ClientHealth,
    LevelResult,
    RunRecord,
    configuration_key,
)
from generator.analysis.configs import Estimate, configurations
from generator.analysis.decide import Ranking, decision_groups
from generator.data.load import LoadedRun
from generator.data.tables import level_frame, run_frame
from generator.pages.common import SiteContext
from generator.pages.configpages import config_pages, estimate_cell
from generator.pages.home import home_page
from generator.pages.methodology import methodology_page
from generator.render.assets_data import DataAssets
from tests.helpers.gen_factories import level, make_run

T975_DF9 = 2.262157  # Student-t 0.975 quantile, 9 degrees of freedom (published tables)
T975_DF4 = 2.776445  # ... 4 degrees of freedom


def trial(
    conc: int, tok_s: float, *, completed: int = 64, busy: bool = False, starved: bool = False
) -> LevelResult:
    base = level(conc, 1.0, 1)
    client = ClientHealth(
        loop_lag_p99_ms=30.0 if starved else 1.0,
        cpu_percent=99.0 if busy else 2.0,
        saturated=busy,
        starved=starved,
        cause="busy" if busy else "starved" if starved else None,
    )
    return base.model_copy(
        update={"output_throughput_tok_s": tok_s, "completed": completed, "client": client}
    )


def run(run_id: str, backend: str, trials: list[LevelResult], **kw: object) -> LoadedRun:
    levels = tuple(sorted({t.concurrency or 0 for t in trials}))
    record = make_run(run_id, backend=backend, levels=levels, **kw)  # type: ignore[arg-type]
    record = record.model_copy(update={"results": trials, "repeat_summaries": []})
    return LoadedRun(record, Path(f"{run_id}.json"), run_id)


def peak(runs: list[LoadedRun]) -> Ranking:
    [group] = decision_groups(runs)
    return group.rankings[0]


def test_a_lucky_run_does_not_win_for_its_configuration() -> None:
    # A: ten runs, one at 130 and nine at 96.667 (mean 100). Deviations: 30 once, -3.333 nine times:
    # SS = 900 + 9 * 11.111 = 1000, s = sqrt(1000/9) = 10.541, half = 2.262157 * 10.541 / sqrt(10) = 7.540:
    # A = 100 [92.46, 107.54]. B: five runs at 108..112: SS = 10, s = 1.5811, half = 2.776445 * 1.5811 /
    # sqrt(5) = 1.963: B = 110 [108.04, 111.96]. 108.04 > 107.54: B wins by +10%, A's 130 run does not.
    a = [run(f"aaaa{i:08d}", "vllm", [trial(4, 130.0 if i == 0 else 290.0 / 3)]) for i in range(10)]
    b = [run(f"bbbb{i:08d}", "sglang", [trial(4, 108.0 + i)], version="0.3.5") for i in range(5)]
    ranking = peak(a + b)
    assert ranking.verdict == "winner"
    first, second = ranking.scores
    assert first.label.startswith("sglang") and second.label.startswith("vllm")
    assert first.value == pytest.approx(110.0)
    assert first.low == pytest.approx(110.0 - T975_DF4 * 1.5811388 / 5**0.5, abs=1e-4)
    assert second.high == pytest.approx(100.0 + T975_DF9 * (1000 / 9) ** 0.5 / 10**0.5, abs=1e-4)
    assert (first.trials, first.requests) == (5, 5 * 64)
    assert (second.trials, second.requests) == (10, 10 * 64)
    assert ranking.margin_pct == pytest.approx(10.0)


def test_overlapping_pooled_intervals_are_a_tie() -> None:
    # A: 90, 100, 110 -> 100 +- 4.303 * 10 / sqrt(3) = [75.2, 124.8]; B: 104, 105, 106 -> [102.5, 107.5]
    a = [run(f"aaaa{i:08d}", "vllm", [trial(4, v)]) for i, v in enumerate((90.0, 100.0, 110.0))]
    b = [
        run(f"bbbb{i:08d}", "sglang", [trial(4, v)], version="0.3.5")
        for i, v in enumerate((104.0, 105.0, 106.0))
    ]
    ranking = peak(a + b)
    assert ranking.verdict == "tie" and ranking.scores[0].label.startswith("sglang")


def test_one_trial_is_not_decidable() -> None:
    ranking = peak(
        [run("aaaa00000001", "vllm", [trial(4, 120.0)]), run("bbbb00000001", "sglang", [trial(4, 100.0)])]
    )
    assert ranking.verdict == "one_trial"
    assert ranking.scores[0].low is None and ranking.scores[0].high is None


@pytest.mark.parametrize(
    ("flag", "rule"), [({"busy": True}, "client_busy"), ({"starved": True}, "client_starved")]
)
def test_no_winner_is_built_on_a_level_whose_client_was_not_healthy(flag: dict[str, bool], rule: str) -> None:
    # A is clean at c=1 (100) but its best level, c=8 (300), had an unhealthy client; B is clean at 150.
    # Without the gate A "wins" with 300; with it the would-be winner is B (150), and A's c=8 reads better
    # than that, so the verdict is "not decidable", naming A's c=8 and why.
    a = run(
        "aaaa00000001",
        "vllm",
        [trial(1, 100.0 + t) for t in range(3)] + [trial(8, 300.0 + t, **flag) for t in range(3)],
    )
    b = run(
        "bbbb00000001", "sglang", [trial(c, 150.0 + t) for c in (1, 8) for t in range(3)], version="0.3.5"
    )
    ranking = peak([a, b])
    assert ranking.verdict == "blocked"
    assert ranking.blocker is not None
    assert ranking.blocker.label.startswith("vllm") and ranking.blocker.where == "c=8"
    assert RULE_TEXT[rule] in ranking.blocker.why
    assert ranking.scores[0].label.startswith("sglang")  # the best clean figure, shown as such


def test_six_request_levels_are_not_decidable(tmp_path: Path) -> None:
    # 3 trials x 6 requests = 18 counted requests < 40 at every level: nothing may decide.
    a = run("aaaa00000001", "vllm", [trial(4, 100.0 + t, completed=6) for t in range(3)])
    b = run("bbbb00000001", "sglang", [trial(4, 90.0 + t, completed=6) for t in range(3)], version="0.3.5")
    [group] = decision_groups([a, b])
    assert [u.reasons for u in group.undecidable] == [[("c=4", RULE_TEXT["too_few_requests"])]] * 2
    assert group.rankings[0].verdict == "blocked"  # unclean levels read better than no clean figure at all
    text = _home_text([a, b], tmp_path)
    assert "not decidable" in text
    assert "fewer than 40 counted requests" in text
    assert "n trials × m requests" in text


def _home_text(runs: list[LoadedRun], tmp_path: Path) -> str:
    ctx = SiteContext(runs, run_frame(runs), level_frame(runs), [], True, datetime(2026, 12, 1, tzinfo=UTC))
    return html.unescape(ctx.fragments.expand(home_page(ctx, DataAssets(tmp_path))))


def test_pooled_clean_levels_name_the_winner_with_n_on_the_home_page(tmp_path: Path) -> None:
    a = run("aaaa00000001", "vllm", [trial(4, 200.0 + 2 * t) for t in range(3)])
    b = run("bbbb00000001", "sglang", [trial(4, 100.0 + 2 * t) for t in range(3)], version="0.3.5")
    text = _home_text([a, b], tmp_path)
    assert "wins by +98.0%" in text  # 202 / 102 - 1
    assert "3 × 64 requests" in text


def test_percentiles_hide_below_their_sample_size_and_low_bounds_stay_at_zero(tmp_path: Path) -> None:
    thin = run("aaaa00000001", "vllm", [trial(4, 100.0, completed=64) for _ in range(2)])
    row = level_frame([thin]).iloc[0]
    assert row["ttft_p99"] is None or row["ttft_p99"] != row["ttft_p99"]  # hidden (None/NaN)
    assert row["hidden"]["ttft_p99"] == "n=64: too few for p99"
    assert "e2e_p90" not in row["hidden"]  # p90 needs 10
    ctx = SiteContext(
        [thin], run_frame([thin]), level_frame([thin]), [], True, datetime(2026, 12, 1, tzinfo=UTC)
    )
    [page] = config_pages([thin], ctx.fragments, True).values()
    shown = html.unescape(ctx.fragments.expand(page))
    assert 'title="n=64: too few for p99 (needs 100 requests per trial)"' in shown
    # 2 noisy trials: 10 and 190 -> 100 +- 12.706 * 127.28 / sqrt(2) = 100 +- 1143.6: low cut at 0
    noisy = run("bbbb00000001", "vllm", [trial(4, 10.0), trial(4, 190.0)])
    [pooled] = configurations([noisy])[0].levels
    est = pooled.estimate("out_tok_s")
    assert (
        est is not None
        and est.low == 0.0
        and est.high == pytest.approx(100 + 12.706205 * 127.2792 / 2**0.5, rel=1e-5)
    )
    assert estimate_cell(Estimate(5.0, None, None)) == "5 (one trial)"


def _with(record: RunRecord, **updates: object) -> RunRecord:
    return record.model_copy(update=updates)


def test_configuration_key_ignores_ports_and_paths_but_not_what_serves() -> None:
    one = make_run(
        "aaaa00000001",
        launch_argv=["vllm", "serve", "/home/a/models/llama", "--port", "8000", "--host", "0.0.0.0"],
    )
    two = make_run(
        "aaaa00000002",
        launch_argv=["vllm", "serve", "/srv/b/llama", "--port=9001", "--host", "127.0.0.1"],
        created_day=3,
    )
    assert configuration_key(one) == configuration_key(two)
    assert len(configuration_key(one)) == 12
    other_version = make_run("aaaa00000003", version="0.6.4", launch_argv=one.launch.argv)
    other_quant = make_run("aaaa00000004", quant="AWQ", launch_argv=one.launch.argv)
    greedy = _with(one, workload=one.workload.model_copy(update={"sampling": "greedy"}))
    measured = _with(one, collector=one.collector.model_copy(update={"measurement_version": 2}))
    keys = {configuration_key(r) for r in (one, other_version, other_quant, greedy, measured)}
    assert len(keys) == 5


def test_methodology_renders_the_clean_rules_and_configuration_fields_from_the_schema() -> None:
    ctx = SiteContext([], run_frame([]), level_frame([]), [], True, datetime(2026, 12, 1, tzinfo=UTC))
    text = html.unescape(methodology_page(ctx))
    for rule in CLEAN_RULES:
        assert f"- {rule.text}" in text
    for item in CONFIGURATION_FIELDS:
        assert f"- **{item.name}**: {item.text}" in text
    assert MIN_DECIDING_REASON in text


def test_configurations_that_read_alike_are_told_apart_by_key() -> None:
    # same backend, version and quantization; different serving options (max-num-seqs): two configurations
    argv = ["vllm", "serve", "m", "--max-num-seqs"]
    a = run("aaaa00000001", "vllm", [trial(4, 100.0 + t) for t in range(3)], launch_argv=[*argv, "8"])
    b = run("bbbb00000001", "vllm", [trial(4, 200.0 + t) for t in range(3)], launch_argv=[*argv, "64"])
    ranking = peak([a, b])
    first, second = ranking.scores
    assert first.label != second.label and first.label.endswith(f"config {first.slug}")
    assert first.slug == configuration_key(b.record)
