"""Metric math: pure functions from raw request timings to the run schema's summaries.

Implements exactly `collector.schema.METRIC_DEFINITIONS` (the methodology page is generated from those
definitions); every function here is covered by hand-computed tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from collector.measure.plausibility import usage_mismatch
from collector.schema import (
    REQUEST_RECORDS_PER_LEVEL,
    SLO,
    Goodput,
    LevelResult,
    Reasoning,
    RequestRecord,
    Summary,
)
from collector.secrets.scrub import scrub

T = TypeVar("T")

NS_PER_MS = 1_000_000


@dataclass(slots=True)
class RequestOutcome:
    """What the client observed for one request. Times are `time.perf_counter_ns()` values."""

    scheduled_ns: int
    sent_ns: int
    status: str = "ok"
    error: str | None = None
    chunk_ns: list[int] = field(default_factory=list)
    completion_tokens: int | None = None
    prompt_tokens: int | None = None
    end_ns: int | None = None
    requested_output_tokens: int | None = None
    reconnected: bool = False
    retries: int = 0  # HTTP 429/503 answers retried (opt-in --retries)
    first_reasoning_ns: int | None = None  # first chunk carrying only reasoning content
    first_answer_ns: int | None = None  # first chunk carrying answer content (text / delta.content)
    reasoning_chunks: int = 0
    reasoning_tokens: int | None = None  # usage.completion_tokens_details.reasoning_tokens
    text: list[str] | None = None  # streamed answer pieces, when the request asked to keep them

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True, slots=True)
class RequestMetrics:
    ttft_ms: float
    e2e_ms: float
    tpot_ms: float | None
    itl_ms: tuple[float, ...]
    output_tokens: int
    chunks: int
    usage_fallback: bool
    usage_mismatch: bool = False

    @property
    def per_user_tok_s(self) -> float | None:
        return per_user_tokens_per_second(self.tpot_ms)

    @property
    def tokens_per_chunk(self) -> float | None:
        return self.output_tokens / self.chunks if self.chunks else None


def tpot_ms(ttft: float, e2e: float, output_tokens: int) -> float | None:
    """TPOT = (E2E - TTFT) / (n - 1); undefined for n <= 1."""
    if output_tokens <= 1:
        return None
    return (e2e - ttft) / (output_tokens - 1)


def per_user_tokens_per_second(tpot: float | None) -> float | None:
    """Interactivity: 1000 / TPOT_ms; undefined without TPOT or for TPOT == 0."""
    if tpot is None or tpot <= 0:
        return None
    return 1000.0 / tpot


def request_metrics(outcome: RequestOutcome, *, measure_from_scheduled: bool) -> RequestMetrics | None:
    """Per-request metrics of a completed request; None when it failed or produced no content chunk."""
    if not outcome.ok or not outcome.chunk_ns:
        return None
    t0 = outcome.scheduled_ns if measure_from_scheduled else outcome.sent_ns
    chunks = outcome.chunk_ns
    ttft = (chunks[0] - t0) / NS_PER_MS
    e2e = (chunks[-1] - t0) / NS_PER_MS
    # A reported count the stream contradicts (negative, or 100,000 tokens in 6 chunks) is not trusted: the
    # request is flagged and what was streamed is counted (see collector/plausibility.py for the tolerance).
    mismatch = usage_mismatch(outcome.completion_tokens, len(chunks))
    usage_fallback = outcome.completion_tokens is None or mismatch
    n = len(chunks) if usage_fallback or outcome.completion_tokens is None else outcome.completion_tokens
    itl = tuple((b - a) / NS_PER_MS for a, b in itertools.pairwise(chunks))
    return RequestMetrics(
        ttft_ms=ttft,
        e2e_ms=e2e,
        tpot_ms=tpot_ms(ttft, e2e, n),
        itl_ms=itl,
        output_tokens=n,
        chunks=len(chunks),
        usage_fallback=usage_fallback,
        usage_mismatch=mismatch,
    )


def reasoning_figures(
    outcomes: Sequence[RequestOutcome],
    metrics: Sequence[RequestMetrics | None],
    *,
    measure_from_scheduled: bool,
) -> Reasoning | None:
    """Time to first reasoning token, time to first answer token and reasoning tokens of the completed
    requests that streamed reasoning; None when none did (a non-reasoning model)."""
    ttfr: list[float] = []
    ttfa: list[float] = []
    tokens: list[int] = []
    from_chunks = 0
    for o, m in zip(outcomes, metrics, strict=True):
        if m is None or o.first_reasoning_ns is None:
            continue
        t0 = o.scheduled_ns if measure_from_scheduled else o.sent_ns
        ttfr.append((o.first_reasoning_ns - t0) / NS_PER_MS)
        if o.first_answer_ns is not None:
            ttfa.append((o.first_answer_ns - t0) / NS_PER_MS)
        if o.reasoning_tokens is None:
            from_chunks += 1
        tokens.append(o.reasoning_chunks if o.reasoning_tokens is None else o.reasoning_tokens)
    if not ttfr:
        return None
    return Reasoning(
        requests=len(ttfr),
        ttfr_ms=summarize(ttfr),
        ttfa_ms=summarize(ttfa),
        reasoning_tokens=summarize(tokens),
        reasoning_tokens_total=sum(tokens),
        counted_from_chunks=from_chunks,
    )


def summarize(values: Sequence[float] | np.ndarray) -> Summary | None:
    """count, mean, population std, min, max and linear-interpolated p50/p90/p95/p99; None when empty."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return None
    p50, p90, p95, p99 = np.percentile(arr, [50, 90, 95, 99])
    return Summary(
        count=int(arr.size),
        mean=float(arr.mean()),
        std=float(arr.std()),
        min=float(arr.min()),
        max=float(arr.max()),
        p50=float(p50),
        p90=float(p90),
        p95=float(p95),
        p99=float(p99),
    )


def quantiles(values: Sequence[float] | np.ndarray, points: int = 101) -> list[float]:
    """Values at evenly spaced percentiles 0..100 (for CDF charts); empty list when no values."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return []
    return [round(float(v), 4) for v in np.percentile(arr, np.linspace(0, 100, points))]


def meets_slo(m: RequestMetrics, slo: SLO) -> bool:
    """A request meets the SLO when every limit given holds; a missing TPOT (n <= 1) meets a TPOT limit."""
    if slo.ttft_ms is not None and m.ttft_ms > slo.ttft_ms:
        return False
    if slo.tpot_ms is not None and m.tpot_ms is not None and m.tpot_ms > slo.tpot_ms:
        return False
    return not (slo.e2e_ms is not None and m.e2e_ms > slo.e2e_ms)


def goodput(metrics: Sequence[RequestMetrics], attempted: int, window_s: float, slo: SLO) -> Goodput:
    """Requests meeting every SLO, as a fraction of all attempted requests and as a rate over the window."""
    good = sum(1 for m in metrics if meets_slo(m, slo))
    return Goodput(
        requests=good,
        fraction=good / attempted if attempted else 0.0,
        rate_rps=good / window_s if window_s > 0 else 0.0,
    )


def measurement_window_ns(
    outcomes: Sequence[RequestOutcome], *, from_scheduled: bool
) -> tuple[int, int] | None:
    """(start, end) in perf_counter ns: the first counted send (t0; the first scheduled arrival in rate mode)
    to the last completion of the completed requests (of any request when none completed). None when
    nothing ended after the start. Throughput and the level's energy are both taken over this window."""
    if not outcomes:
        return None
    start = min(o.scheduled_ns if from_scheduled else o.sent_ns for o in outcomes)
    ends = [o.end_ns for o in outcomes if o.ok and o.end_ns is not None]
    if not ends:
        ends = [o.end_ns for o in outcomes if o.end_ns is not None]
    if not ends or max(ends) <= start:
        return None
    return start, max(ends)


def measurement_window_s(outcomes: Sequence[RequestOutcome], *, measure_from_scheduled: bool) -> float:
    """The measurement window's length in seconds (0 when there is none)."""
    window = measurement_window_ns(outcomes, from_scheduled=measure_from_scheduled)
    return 0.0 if window is None else (window[1] - window[0]) / 1e9


def _request_record(o: RequestOutcome, m: RequestMetrics | None, level_start_ns: int) -> RequestRecord:
    return RequestRecord(
        scheduled_ms=round((o.scheduled_ns - level_start_ns) / NS_PER_MS, 3),
        sent_ms=round((o.sent_ns - level_start_ns) / NS_PER_MS, 3),
        status=o.status,
        ttft_ms=None if m is None else round(m.ttft_ms, 3),
        e2e_ms=None if m is None else round(m.e2e_ms, 3),
        tpot_ms=None if m is None or m.tpot_ms is None else round(m.tpot_ms, 4),
        input_tokens=o.prompt_tokens,
        output_tokens=None if m is None else m.output_tokens,
        chunks=len(o.chunk_ns),
        usage_fallback=False if m is None else m.usage_fallback,
        usage_mismatch=False if m is None else m.usage_mismatch,
        error=None if o.error is None else scrub(o.error)[:300],  # scrubbed whole, then cut
    )


def bound_records(
    items: Sequence[T], limit: int, *, ok: Callable[[T], bool], sent: Callable[[T], float]
) -> tuple[list[T], int]:
    """At most `limit` items in send order: failures first (up to half the room, more when successes are
    few), the rest evenly spaced among the successes; and how many were dropped."""
    if len(items) <= limit:
        return list(items), 0
    failures = [p for p in items if not ok(p)]
    oks = [p for p in items if ok(p)]
    kept = failures[: max(limit // 2, limit - len(oks))]
    room = limit - len(kept)  # <= len(oks): more items than the limit
    step = len(oks) / room if room else 0.0
    kept += [oks[int(i * step)] for i in range(room)]
    kept.sort(key=sent)
    return kept, len(items) - len(kept)


def _bounded_records(
    outcomes: Sequence[RequestOutcome], metrics: Sequence[RequestMetrics | None], limit: int, start_ns: int
) -> tuple[list[RequestRecord], int]:
    pairs = list(zip(outcomes, metrics, strict=True))
    kept, dropped = bound_records(pairs, limit, ok=lambda p: p[0].ok, sent=lambda p: p[0].sent_ns)
    return [_request_record(o, m, start_ns) for o, m in kept], dropped


def _classify_outcomes(
    outcomes: Sequence[RequestOutcome], metrics: Sequence[RequestMetrics | None]
) -> tuple[dict[str, int], list[RequestOutcome]]:
    """Error counts by status, after marking "successful" streams that delivered nothing as empty."""
    errors: dict[str, int] = {}
    outcomes_final: list[RequestOutcome] = []
    for o, m in zip(outcomes, metrics, strict=True):
        if o.ok and m is None:
            # A "successful" stream without a single content chunk delivered nothing measurable.
            o.status, o.error = "empty", o.error or "stream completed without any content chunk"
        if not o.ok:
            errors[o.status] = errors.get(o.status, 0) + 1
        outcomes_final.append(o)
    return errors, outcomes_final


def _length_mismatches(
    outcomes: Sequence[RequestOutcome], metrics: Sequence[RequestMetrics | None], *, ignore_eos: bool
) -> int:
    """Completed requests whose length differs from the one asked for (counted only with ignore_eos)."""
    return sum(
        1
        for o, m in zip(outcomes, metrics, strict=True)
        if m is not None
        and ignore_eos
        and o.requested_output_tokens is not None
        and m.output_tokens != o.requested_output_tokens
    )


def _achieved_rate(sends: Sequence[int], request_rate: float | None) -> float | None:
    """Requests per second actually sent in an open-loop level: intervals between the first and last send."""
    if request_rate is None or len(sends) <= 1:
        return None
    span = (max(sends) - min(sends)) / 1e9
    return (len(sends) - 1) / span if span > 0 else None


def aggregate_level(
    outcomes: Sequence[RequestOutcome],
    *,
    concurrency: int | None,
    request_rate: float | None,
    measure_from_scheduled: bool,
    ignore_eos: bool,
    slo: SLO | None = None,
    gpu_count: int = 0,
    max_request_records: int = REQUEST_RECORDS_PER_LEVEL,
    level_start_ns: int | None = None,
    trial: int = 0,
) -> LevelResult:
    """Everything the run file says about one load level, from the outcomes of its counted requests."""
    metrics = [request_metrics(o, measure_from_scheduled=measure_from_scheduled) for o in outcomes]
    errors, outcomes_final = _classify_outcomes(outcomes, metrics)
    done = [m for m in metrics if m is not None]
    window = measurement_window_s(outcomes_final, measure_from_scheduled=measure_from_scheduled)
    out_total = sum(m.output_tokens for m in done)
    in_total = sum(
        o.prompt_tokens or 0 for o, m in zip(outcomes_final, metrics, strict=True) if m is not None
    )
    start_ns = level_start_ns
    if start_ns is None:
        start_ns = min((o.scheduled_ns for o in outcomes_final), default=0)
    records, dropped = _bounded_records(outcomes_final, metrics, max_request_records, start_ns)
    throughput = out_total / window if window > 0 else 0.0
    all_itl = [v for m in done for v in m.itl_ms]
    prompt_counts = [o.prompt_tokens for o, m in zip(outcomes_final, metrics, strict=True) if m is not None]
    return LevelResult(
        concurrency=concurrency,
        request_rate=request_rate,
        trial=trial,
        completed=len(done),
        failed=len(outcomes_final) - len(done),
        errors=dict(sorted(errors.items())),
        length_mismatches=_length_mismatches(outcomes_final, metrics, ignore_eos=ignore_eos),
        usage_fallbacks=sum(1 for m in done if m.usage_fallback),
        usage_mismatches=sum(1 for m in done if m.usage_mismatch),
        reconnects=sum(1 for o in outcomes_final if o.reconnected),
        duration_s=window,
        achieved_request_rate=_achieved_rate([o.sent_ns for o in outcomes_final], request_rate),
        ttft_ms=summarize([m.ttft_ms for m in done]),
        tpot_ms=summarize([m.tpot_ms for m in done if m.tpot_ms is not None]),
        itl_ms=summarize(all_itl),
        e2e_ms=summarize([m.e2e_ms for m in done]),
        per_user_tok_s=summarize([v for m in done if (v := m.per_user_tok_s) is not None]),
        tokens_per_chunk=summarize([v for m in done if (v := m.tokens_per_chunk) is not None]),
        input_tokens_observed=summarize([p for p in prompt_counts if p is not None]),
        output_tokens_observed=summarize([m.output_tokens for m in done]),
        itl_quantiles_ms=quantiles(all_itl),
        output_throughput_tok_s=throughput,
        output_throughput_per_gpu_tok_s=throughput / gpu_count if gpu_count > 0 else None,
        total_token_throughput_tok_s=(out_total + in_total) / window if window > 0 else 0.0,
        request_throughput_rps=len(done) / window if window > 0 else 0.0,
        input_tokens_total=in_total,
        output_tokens_total=out_total,
        goodput=goodput(done, len(outcomes_final), window, slo) if slo is not None else None,
        requests=records,
        requests_dropped=dropped,
        reasoning=reasoning_figures(outcomes_final, metrics, measure_from_scheduled=measure_from_scheduled),
    )
