"""Synthetic runs of the newer workloads (multi-turn, shared prefix, trace, reasoning) and capacity searches,
for generator tests. Fake like gen_factories: labelled 'synthetic-test', numbers from formulas."""

from __future__ import annotations

from collector.schema import (
    SLO,
    Capacity,
    CapacityProbe,
    MultiTurnSettings,
    PrefixCache,
    Reasoning,
    RunRecord,
    SharedPrefixSettings,
    TraceSettings,
    TraceTiming,
    TurnLatency,
)
from tests.helpers.gen_factories import make_run, summary


def search_probes(capacity: int, maximum: int, *, start: int = 1) -> list[CapacityProbe]:
    """The probes the collector's search makes against a server whose capacity is exactly `capacity`:
    doubling from `start` until a miss (or the maximum), then bisecting."""
    probes: list[CapacityProbe] = []

    def probe(level: int, phase: str) -> bool:
        passed = level <= capacity
        attainment = 1.0 if passed else max(0.0, 0.99 - 0.1 * (level - capacity))
        probes.append(CapacityProbe(level=level, attainment=attainment, passed=passed, phase=phase))  # type: ignore[arg-type]
        return passed

    level, last_pass, first_fail = start, 0, None
    while True:
        if not probe(level, "expand"):
            first_fail = level
            break
        last_pass = level
        if level >= maximum:
            break
        level = min(level * 2, maximum)
    while first_fail is not None and last_pass and first_fail - last_pass > 1:
        mid = (last_pass + first_fail) // 2
        if probe(mid, "bisect"):
            last_pass = mid
        else:
            first_fail = mid
    return probes


def with_capacity(
    record: RunRecord,
    capacity: int,
    *,
    maximum: int = 64,
    ttft_ms: float = 500.0,
    target: float = 0.99,
) -> RunRecord:
    """`record` with a concurrency capacity search attached (lower bound when capacity >= maximum, zero
    capacity when capacity == 0)."""
    probes = search_probes(capacity, maximum)
    passed = [p for p in probes if p.passed]
    failed = [p for p in probes if not p.passed]
    found = max((p.level for p in passed), default=0.0)
    above = min((p.level for p in failed if p.level > found), default=None)
    at = {p.level: p.attainment for p in probes}
    lower = not failed
    zero = not passed
    note = (
        "lower bound: the SLO was met at --capacity-max"
        if lower
        else "zero capacity: the lowest level missed the SLO"
        if zero
        else f"capacity {found:g} users"
    )
    cap = Capacity(
        mode="concurrency",
        capacity=found,
        slo=SLO(ttft_ms=ttft_ms),
        attainment_target=target,
        attainment_at_capacity=None if zero else at[found],
        next_level=above,
        attainment_at_next_level=None if above is None else at[above],
        lower_bound=lower,
        zero_capacity=zero,
        start=1,
        maximum=maximum,
        probes=probes,
        note=note,
    )
    return record.model_copy(update={"capacity": cap})


def capacity_run(run_id: str, backend: str, capacity: int, **kwargs: object) -> RunRecord:
    levels = tuple(sorted({int(p.level) for p in search_probes(capacity, 64)}))
    return with_capacity(make_run(run_id, backend=backend, levels=levels), capacity, **kwargs)  # type: ignore[arg-type]


def multi_turn_run(run_id: str = "cccc00000001", turns: int = 4) -> RunRecord:
    record = make_run(run_id, backend="llama.cpp", version="b4123", levels=(1, 4))
    workload = record.workload.model_copy(
        update={
            "kind": "multi-turn",
            "salted": False,
            "multi_turn": MultiTurnSettings(
                sessions=8, turns=turns, turn_input_tokens=64, turn_output_tokens=32, think_time_s=0.5
            ),
        }
    )
    results = []
    for level in record.results:
        c = level.concurrency or 1
        # a cached history keeps later turns' TTFT nearly flat; the first turn evaluates everything
        latencies = [
            TurnLatency(
                turn=t,
                ttft_ms=summary(40.0 * c * (1.6 if t == 1 else 1 + 0.05 * t)),
                input_tokens_mean=96.0 * t,
            )
            for t in range(1, turns + 1)
        ]
        cache = PrefixCache(
            hit_rate=0.62,
            cached_tokens=6200,
            prompt_tokens=10000,
            source="llamacpp:prompt_tokens_cached_total",
        )
        results.append(level.model_copy(update={"turns": latencies, "prefix_cache": cache}))
    return record.model_copy(update={"workload": workload, "results": results})


def shared_prefix_run(run_id: str = "cccc00000002", hit_rate: float | None = 0.8) -> RunRecord:
    record = make_run(run_id, backend="vllm", levels=(1, 4))
    workload = record.workload.model_copy(
        update={
            "kind": "shared-prefix",
            "salted": False,
            "shared_prefix": SharedPrefixSettings(
                groups=4, prefix_tokens=512, suffix_tokens=64, prompts_per_group=16
            ),
        }
    )
    results = [
        lv.model_copy(
            update={"prefix_cache": PrefixCache(hit_rate=hit_rate, source="vllm:prefix_cache_hits")}
        )
        for lv in record.results
    ]
    return record.model_copy(update={"workload": workload, "results": results})


def trace_reasoning_run(run_id: str = "cccc00000003") -> RunRecord:
    record = make_run(run_id, backend="sglang", version="0.3.5", levels=(2,))
    workload = record.workload.model_copy(
        update={
            "kind": "trace",
            "mode": "rate",
            "salted": True,
            "trace": TraceSettings(
                path="/home/someone/traces/example-trace.jsonl",
                sha256="ab" * 32,
                requests=200,
                block_tokens=512,
                time_scale=2.0,
                span_s=60.0,
                unique_blocks=37,
                generated_by="inferboard trace-gen seed=0",
            ),
        }
    )
    results = [
        lv.model_copy(
            update={
                "trace_timing": TraceTiming(send_error_ms=summary(0.4), late_over_10ms=1),
                "reasoning": Reasoning(
                    requests=12,
                    ttfr_ms=summary(80.0),
                    ttfa_ms=summary(900.0),
                    reasoning_tokens=summary(120.0),
                    reasoning_tokens_total=1440,
                    counted_from_chunks=0,
                ),
            }
        )
        for lv in record.results
    ]
    return record.model_copy(update={"workload": workload, "results": results})
