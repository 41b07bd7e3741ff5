"""Metric math on hand-computed cases (definitions in collector/schema/definitions.py)."""

from __future__ import annotations

import pytest

from collector.measure.metrics import (
    NS_PER_MS,
    RequestOutcome,
    aggregate_level,
    goodput,
    measurement_window_s,
    per_user_tokens_per_second,
    request_metrics,
    summarize,
    tpot_ms,
)
from collector.schema import METRIC_DEFINITIONS, SLO, Energy, Launch, RunRecord, ServerMetrics
from collector.schema.models import EngineInstall
from collector.workloads.cache import prefix_cache
from collector.workloads.multiturn import turn_latencies
from collector.workloads.trace import trace_timing

MS = 1_000_000


def outcome(sent_ms: float, chunks_ms: list[float], tokens: int | None, **kw: object) -> RequestOutcome:
    o = RequestOutcome(
        scheduled_ns=int(kw.pop("scheduled_ms", sent_ms) * MS),  # type: ignore[call-overload]
        sent_ns=int(sent_ms * MS),
        chunk_ns=[int(c * MS) for c in chunks_ms],
        completion_tokens=tokens,
        prompt_tokens=10,
        requested_output_tokens=kw.pop("requested", tokens),  # type: ignore[arg-type]
    )
    o.end_ns = o.chunk_ns[-1] if o.chunk_ns else int(sent_ms * MS)
    for k, v in kw.items():
        setattr(o, k, v)
    return o


def test_tpot_definition() -> None:
    # TTFT 100 ms, E2E 190 ms, 10 tokens -> (190 - 100) / 9 = 10 ms
    assert tpot_ms(100.0, 190.0, 10) == pytest.approx(10.0)
    assert tpot_ms(100.0, 100.0, 1) is None
    assert per_user_tokens_per_second(10.0) == pytest.approx(100.0)
    assert per_user_tokens_per_second(None) is None


def test_request_metrics_from_chunk_times() -> None:
    # sent at 0; chunks at 100, 110, 130 ms; server says 3 tokens
    m = request_metrics(outcome(0, [100, 110, 130], 3), measure_from_scheduled=False)
    assert m is not None
    assert m.ttft_ms == pytest.approx(100.0)
    assert m.e2e_ms == pytest.approx(130.0)
    assert m.tpot_ms == pytest.approx(15.0)  # (130 - 100) / 2
    assert m.itl_ms == pytest.approx((10.0, 20.0))
    assert m.tokens_per_chunk == pytest.approx(1.0)
    assert not m.usage_fallback


def test_scheduled_time_counts_in_rate_mode() -> None:
    # scheduled at 0, actually sent at 40 (client backed up), first chunk at 100
    o = outcome(40, [100, 110], 2, scheduled_ms=0)
    assert request_metrics(o, measure_from_scheduled=True).ttft_ms == pytest.approx(100.0)  # type: ignore[union-attr]
    assert request_metrics(o, measure_from_scheduled=False).ttft_ms == pytest.approx(60.0)  # type: ignore[union-attr]


def test_usage_missing_counts_chunks_and_flags() -> None:
    m = request_metrics(outcome(0, [10, 20, 30, 40], None), measure_from_scheduled=False)
    assert m is not None and m.output_tokens == 4 and m.usage_fallback


def test_multi_token_chunks() -> None:
    # 2 chunks carrying 6 tokens: tokens/chunk 3, TPOT = (60-20)/5 = 8 ms, ITL = 40 ms
    m = request_metrics(outcome(0, [20, 60], 6), measure_from_scheduled=False)
    assert m is not None
    assert m.tokens_per_chunk == pytest.approx(3.0)
    assert m.tpot_ms == pytest.approx(8.0)
    assert m.itl_ms == pytest.approx((40.0,))


def test_failed_request_has_no_metrics() -> None:
    o = outcome(0, [10, 20], 2)
    o.status = "http_500"
    assert request_metrics(o, measure_from_scheduled=False) is None


def test_summarize_percentiles_by_linear_interpolation() -> None:
    s = summarize([1.0, 2.0, 3.0, 4.0, 5.0])
    assert s is not None
    assert (s.count, s.mean, s.min, s.max, s.p50) == (5, 3.0, 1.0, 5.0, 3.0)
    assert s.std == pytest.approx(2**0.5)  # population std
    assert s.p90 == pytest.approx(4.6)  # 1 + 0.9 * 4
    assert s.p99 == pytest.approx(4.96)
    assert summarize([]) is None


def test_goodput_counts_failures_as_misses() -> None:
    ms = [
        m
        for m in (
            request_metrics(outcome(0, [100, 110], 2), measure_from_scheduled=False),
            request_metrics(outcome(0, [600, 610], 2), measure_from_scheduled=False),
        )
        if m
    ]
    g = goodput(ms, attempted=4, window_s=2.0, slo=SLO(ttft_ms=500))
    assert g.requests == 1 and g.fraction == pytest.approx(0.25) and g.rate_rps == pytest.approx(0.5)


def test_throughput_window_is_first_send_to_last_completion() -> None:
    outs = [outcome(0, [100, 200], 2), outcome(50, [150, 1000], 2)]
    assert measurement_window_s(outs, measure_from_scheduled=False) == pytest.approx(1.0)


def test_aggregate_level_hand_computed() -> None:
    outs = [
        outcome(0, [100, 110, 120], 3),  # TTFT 100, TPOT 10, E2E 120
        outcome(0, [200, 220, 240], 3),  # TTFT 200, TPOT 20, E2E 240
        outcome(10, [300, 310], 5, requested=3),  # length mismatch (5 != 3)
    ]
    failed = outcome(0, [], None)
    failed.status, failed.error = "timeout", "read timeout"
    outs.append(failed)
    r = aggregate_level(
        outs,
        concurrency=4,
        request_rate=None,
        measure_from_scheduled=False,
        ignore_eos=True,
        slo=SLO(ttft_ms=250),
        gpu_count=2,
    )
    assert r.completed == 3 and r.failed == 1 and r.errors == {"timeout": 1}
    assert r.length_mismatches == 1
    assert r.output_tokens_total == 11
    assert r.input_tokens_total == 30
    assert r.duration_s == pytest.approx(0.310)  # first send 0 ms -> last completion 310 ms
    assert r.output_throughput_tok_s == pytest.approx(11 / 0.310)
    assert r.output_throughput_per_gpu_tok_s == pytest.approx(11 / 0.310 / 2)
    assert r.request_throughput_rps == pytest.approx(3 / 0.310)
    assert r.ttft_ms is not None and r.ttft_ms.p50 == pytest.approx(200.0)
    assert r.tpot_ms is not None and r.tpot_ms.mean == pytest.approx((10 + 20 + 2.5) / 3)
    assert r.goodput is not None and r.goodput.requests == 2 and r.goodput.fraction == pytest.approx(0.5)
    assert [q.status for q in r.requests].count("timeout") == 1


def test_request_records_are_bounded() -> None:
    outs = [outcome(i, [i + 10, i + 20], 2) for i in range(50)]
    r = aggregate_level(
        outs,
        concurrency=1,
        request_rate=None,
        measure_from_scheduled=False,
        ignore_eos=True,
        max_request_records=10,
    )
    assert len(r.requests) == 10 and r.requests_dropped == 40


def _workload_figures() -> dict[str, bool]:
    """The reasoning, multi-turn, prefix-cache, trace and capacity figures, each from its function."""
    reasoning = outcome(0, [100, 110, 120, 130], 4)
    reasoning.first_reasoning_ns, reasoning.first_answer_ns = 100 * NS_PER_MS, 120 * NS_PER_MS
    reasoning.reasoning_chunks = 2
    r = aggregate_level(
        [reasoning], concurrency=1, request_rate=None, measure_from_scheduled=False, ignore_eos=True
    ).reasoning
    turns = turn_latencies([outcome(0, [100, 110], 2)], [1])
    cache = prefix_cache(ServerMetrics(deltas={"prefix_cache_hits": 1.0, "prompt_tokens": 3.0}), "llama.cpp")
    goodput = aggregate_level(
        [reasoning],
        concurrency=1,
        request_rate=None,
        measure_from_scheduled=False,
        ignore_eos=True,
        slo=SLO(ttft_ms=500),
    ).goodput
    return {
        "ttfr_ms": r is not None and r.ttfr_ms is not None,
        "ttfa_ms": r is not None and r.ttfa_ms is not None,
        "reasoning_tokens": r is not None and r.reasoning_tokens_total == 2,
        "turn_ttft_ms": turns[0].ttft_ms is not None,
        "prefix_cache_hit_rate": cache is not None and cache.hit_rate == 0.25,
        "trace_send_error_ms": trace_timing([reasoning]).send_error_ms is not None,
        "slo_attainment": goodput is not None and goodput.fraction == 1.0,
        "capacity": "capacity" in RunRecord.model_fields,
    }


def test_every_request_level_definition_is_implemented() -> None:
    """Derived from the code: each definition is a figure the metric functions actually fill for a level
    (or a request record), except the three that name inputs or the shape of every figure."""
    outs = [outcome(0, [100 + 10 * i for i in range(10)], 10) for _ in range(3)]
    outs.append(RequestOutcome(scheduled_ns=0, sent_ns=0, status="connect", error="refused"))
    level = aggregate_level(
        outs,
        concurrency=2,
        request_rate=None,
        measure_from_scheduled=False,
        ignore_eos=True,
        slo=SLO(ttft_ms=250),
        gpu_count=2,
    ).model_dump()
    request = level["requests"][0]
    structural = {
        # the send time every latency is measured from: the fields the outcome carries it in
        "t0": {"sent_ns", "scheduled_ns"} <= set(RequestOutcome.__dataclass_fields__),
        # the statistics every distribution gets: what summarize() returns
        "summary": summarize([1.0, 2.0, 3.0]) is not None,
        # energy per token is filled by the telemetry path (tests/collector/measure/test_energy.py)
        "joules_per_output_token": "joules_per_output_token" in Energy.model_fields,
        # launch figures, set when the collector starts the server (tests/collector/server/)
        "startup_s": "startup_s" in Launch.model_fields,
        "first_token_s": "first_token_s" in Launch.model_fields,
        "engine_install_mib": "size_mib" in EngineInstall.model_fields,
        "launch_flags": "launch_flags" in Launch.model_fields,
        **_workload_figures(),
    }
    missing = []
    for d in METRIC_DEFINITIONS:
        if d.key in structural:
            implemented = structural[d.key]
        elif d.scope == "request" and d.key in request:
            implemented = request[d.key] is not None
        else:
            implemented = level.get(d.key) not in (None, {}, [])
        if not implemented:
            missing.append(d.key)
    assert missing == []
