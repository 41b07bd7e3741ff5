"""Capacity under SLO and the newer workloads on the site: ranking rules, run-page context, figure specs,
set labels and the methodology page, from hand-made records (workload_factories)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from plotly.validator_cache import ValidatorCache

from collector.schema import RunRecord
from generator.analysis.decide import decision_groups
from generator.data.capacity import capacity_range, capacity_text
from generator.data.load import LoadedRun
from generator.data.tables import level_frame, run_frame, workload_text
from generator.pages.common import SiteContext
from generator.pages.methodology import methodology_page
from generator.pages.workload import (
    capacity_chart,
    capacity_sentences,
    turns_chart,
    workload_context,
    workload_figures,
)
from tests.helpers.gen_factories import make_run
from tests.helpers.workload_factories import (
    capacity_run,
    multi_turn_run,
    shared_prefix_run,
    trace_reasoning_run,
    with_capacity,
)


def _loaded(records: list[RunRecord]) -> list[LoadedRun]:
    return [LoadedRun(r, Path(f"{r.run_id}.json"), r.run_id) for r in records]


def _capacity_rankings(records: list[RunRecord]) -> list[tuple[str, str, list[tuple[str, float]]]]:
    out = []
    for group in decision_groups(_loaded(records)):
        for r in group.rankings:
            if r.kind == "capacity":
                out.append((r.point, r.verdict, [(s.slug, s.value) for s in r.scores]))
    return out


def test_search_probes_resolve_concurrency_exactly() -> None:
    cap = capacity_run("dddd00000001", "vllm", 12).capacity
    assert cap is not None
    assert [p.level for p in cap.probes] == [1, 2, 4, 8, 16, 12, 14, 13]
    assert (cap.capacity, cap.next_level, cap.lower_bound, cap.zero_capacity) == (12, 13, False, False)
    assert capacity_range(cap) == (12, 12)


def test_capacity_ranks_the_highest_and_calls_equal_values_a_tie() -> None:
    runs = [capacity_run("dddd00000001", "vllm", 12), capacity_run("dddd00000002", "sglang", 8)]
    [(point, verdict, scores)] = _capacity_rankings(runs)
    assert point == "Capacity: Concurrency under TTFT ≤ 500 ms for 99% of requests"
    assert verdict == "winner"
    assert scores == [("dddd00000001", 12), ("dddd00000002", 8)]
    tie = [capacity_run("dddd00000001", "vllm", 8), capacity_run("dddd00000002", "sglang", 8)]
    assert _capacity_rankings(tie)[0][1] == "tie"


def test_a_lower_bound_runner_up_leaves_the_order_open() -> None:
    # 100 > the search maximum of 64: the second run is "at least 32" when searched only up to 32
    bound = with_capacity(make_run("dddd00000002", backend="sglang"), 100, maximum=32)
    assert bound.capacity is not None and bound.capacity.lower_bound
    assert math.isinf(capacity_range(bound.capacity)[1])
    [(_, verdict, scores)] = _capacity_rankings([capacity_run("dddd00000001", "vllm", 40), bound])
    assert (verdict, scores[0][0]) == ("open", "dddd00000001")
    # a lower bound above every other capacity still wins: it is at least that much
    [(_, verdict, scores)] = _capacity_rankings([capacity_run("dddd00000001", "vllm", 12), bound])
    assert (verdict, scores[0][0]) == ("winner", "dddd00000002")


def test_runs_searched_under_other_slos_are_never_ranked_together() -> None:
    runs = [
        capacity_run("dddd00000001", "vllm", 12),
        capacity_run("dddd00000002", "sglang", 8, ttft_ms=200.0),
        capacity_run("dddd00000003", "tgi", 6, target=0.9),
    ]
    rankings = _capacity_rankings(runs)
    assert len(rankings) == 3
    assert all(verdict == "single" for _, verdict, _ in rankings)


def test_classes_are_never_mixed_in_a_capacity_ranking() -> None:
    gpu = capacity_run("dddd00000001", "vllm", 12)
    imported = with_capacity(make_run("dddd00000002", backend="sglang", origin="imported"), 30)
    rankings = _capacity_rankings([gpu, imported])
    assert sorted(len(scores) for _, _, scores in rankings) == [1, 1]


def test_zero_capacity_ranks_last_and_is_stated_in_words() -> None:
    zero = capacity_run("dddd00000002", "sglang", 0)
    cap = zero.capacity
    assert cap is not None and cap.zero_capacity and cap.capacity == 0
    assert capacity_sentences(cap)[0].startswith("Zero capacity: already the lowest level probed (1 users)")
    [(_, verdict, scores)] = _capacity_rankings([capacity_run("dddd00000001", "vllm", 4), zero])
    assert (verdict, scores[-1]) == ("winner", ("dddd00000002", 0))
    assert "capacity" not in {t.get("meta", {}).get("role") for t in capacity_chart(cap)["data"]}


def test_lower_bound_is_stated_in_words() -> None:
    cap = capacity_run("dddd00000003", "tgi", 100).capacity
    assert cap is not None
    assert capacity_text(cap) == "≥ 64 users (TTFT ≤ 500 ms for 99% of requests)"
    assert capacity_sentences(cap)[0].startswith("Lower bound: the SLO was still met at the maximum searched")


def test_capacity_chart_has_probes_target_line_and_capacity_mark() -> None:
    cap = capacity_run("dddd00000001", "vllm", 12).capacity
    assert cap is not None
    fig = capacity_chart(cap)
    by_name = {t["name"]: t for t in fig["data"]}
    assert by_name["probe met target"]["x"] == [1, 2, 4, 8, 12]
    assert by_name["probe missed"]["text"] == ["5", "7", "8"]  # probe order
    assert by_name["target 0.99"]["y"] == [0.99, 0.99]
    assert by_name["capacity 12 users"]["x"] == [12, 12]
    validators = ValidatorCache.get_validator("", "data")
    validators.validate_coerce(fig["data"])


def test_multi_turn_run_page_context_and_turn_chart() -> None:
    record = multi_turn_run(turns=4)
    ctx = workload_context(record)
    assert len(ctx["turn_rows"]) == 8 and ctx["turn_rows"][0][:2] == ["c=1", "1"]
    assert ctx["cache_rows"][0][1] == "62.0%" and ctx["cache_rows"][0][3] == "10000"
    assert "8 sessions × 4 turns" in ctx["workload_sentence"]
    fig = turns_chart(record)
    assert [t["name"] for t in fig["data"]] == ["c=1", "c=4"]
    assert fig["data"][0]["x"] == [1, 2, 3, 4]
    assert set(workload_figures(record)) == {"turns"}


def test_trace_reasoning_and_unreported_cache_rows() -> None:
    ctx = workload_context(trace_reasoning_run())
    assert ctx["trace_rows"] == [["c=2", "0.4", "0.544", "0.56", "1"]]
    assert ctx["reasoning_rows"][0][:4] == ["c=2", "12", "80", "900"]
    assert "sha256 abababababab" in ctx["workload_sentence"]
    missing = workload_context(shared_prefix_run(hit_rate=None))
    assert missing["cache_rows"][0][1] == "not reported by the server"


def test_set_labels_name_the_workload_and_its_knobs() -> None:
    assert workload_text(multi_turn_run()) == "chat multi-turn 4 turns 64→32"
    assert workload_text(shared_prefix_run()) == "chat shared-prefix 4×512+64→128"
    assert workload_text(trace_reasoning_run()) == "chat trace example-trace.jsonl ×2 abababab (rate)"
    preset = make_run()
    preset = preset.model_copy(
        update={"workload": preset.workload.model_copy(update={"kind": "preset", "preset": "8k/1k"})}
    )
    assert workload_text(preset) == "chat 256→128 (8k/1k preset)"
    frame = run_frame(_loaded([capacity_run("dddd00000001", "vllm", 12), make_run("eeee00000001")]))
    assert frame["capacity_text"][0] == "12 users (TTFT ≤ 500 ms for 99% of requests)"
    assert pd.isna(frame["capacity_text"][1]) and pd.isna(frame["capacity"][1])


def test_methodology_documents_each_workload_and_the_search() -> None:
    runs = _loaded([capacity_run("dddd00000001", "vllm", 12)])
    ctx = SiteContext(runs, run_frame(runs), level_frame(runs), [], True, datetime(2026, 11, 29, tzinfo=UTC))
    text = methodology_page(ctx)
    for heading in ("Multi-turn chat", "Shared prefix", "Trace replay", "Cache salting", "Capacity search"):
        assert f"### {heading}" in text
    assert "Ranking by capacity" in text


def _rate_run(run_id: str, backend: str, rate: float, first_fail: float) -> RunRecord:
    base = with_capacity(make_run(run_id, backend=backend), 4)
    assert base.capacity is not None
    cap = base.capacity.model_copy(
        update={"mode": "rate", "capacity": rate, "next_level": first_fail, "rate_precision": 0.05}
    )
    return base.model_copy(update={"capacity": cap})


def test_rate_capacities_tie_when_their_ranges_overlap() -> None:
    overlap = [_rate_run("dddd00000001", "vllm", 10.0, 10.5), _rate_run("dddd00000002", "sglang", 9.8, 10.3)]
    [(point, verdict, _)] = _capacity_rankings(overlap)
    assert point.startswith("Capacity: Request rate under") and verdict == "tie"
    apart = [_rate_run("dddd00000001", "vllm", 10.0, 10.5), _rate_run("dddd00000002", "sglang", 6.0, 6.3)]
    assert _capacity_rankings(apart)[0][1] == "winner"
    cap = overlap[0].capacity
    assert cap is not None and capacity_range(cap) == (10.0, 10.5)
    assert "Rate resolved to a relative precision of 5.00%." in capacity_sentences(cap)
