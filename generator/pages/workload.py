"""The run page's workload specifics and capacity search (pure: record -> tables, sentences, figure specs).

Per-turn TTFT (multi-turn), prefix-cache hit rate, trace send error and reasoning figures per level, and the
capacity search drawn as attainment against load with the target line and the capacity marked. Figures are
plain Plotly dicts like `figures.charts`; every run string goes through `plotly_text` / `clean_text`.
"""

from __future__ import annotations

import math
from typing import Any

from collector.schema import Capacity, LevelResult, RunRecord, Summary
from generator.data.capacity import capacity_value, slo_words, unit
from generator.data.tables import level_text
from generator.figures.charts import PALETTE, Figure, layout
from generator.render.safe import clean_text

PASS_COLOR = "#009E73"
FAIL_COLOR = "#D55E00"
TARGET_COLOR = "rgba(128,128,128,0.9)"


def _g(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}g}"


def _stat(summary: Summary | None, name: str) -> float | None:
    value = None if summary is None else getattr(summary, name)
    return None if value is None else float(value)


def _level_name(record: RunRecord, level: LevelResult) -> str:
    name = level_text(level.concurrency, level.request_rate)
    return f"{name} #{level.trial}" if record.workload.repeats > 1 else name


def capacity_sentences(capacity: Capacity) -> list[str]:
    """The result in words: what was found, at which attainment, and what it does not say."""
    u = unit(capacity)
    out: list[str] = []
    if capacity.zero_capacity:
        out.append(
            f"Zero capacity: already the lowest level probed ({capacity.start:g} {u}) missed the SLO "
            f"({slo_words(capacity)})."
        )
    elif capacity.lower_bound:
        out.append(
            f"Lower bound: the SLO was still met at the maximum searched, {capacity.maximum:g} {u}, so the "
            f"capacity is at least {capacity.capacity:g} {u}; the true capacity was not reached."
        )
    else:
        out.append(f"Capacity {capacity.capacity:g} {u} under {slo_words(capacity)}.")
    if capacity.attainment_at_capacity is not None:
        out.append(f"Attainment at the capacity: {capacity.attainment_at_capacity:.2%}.")
    if capacity.next_level is not None and capacity.attainment_at_next_level is not None:
        out.append(
            f"Next level probed, {capacity.next_level:g} {u}, "
            f"reached {capacity.attainment_at_next_level:.2%}."
        )
    if capacity.mode == "rate" and capacity.rate_precision is not None and not capacity.lower_bound:
        out.append(f"Rate resolved to a relative precision of {capacity.rate_precision:.2%}.")
    if capacity.interrupted:
        out.append("The search was interrupted before it resolved: the probes done are kept.")
    out.append(
        f"{len(capacity.probes)} probes, searched from {capacity.start:g} "
        f"to at most {capacity.maximum:g} {u}."
    )
    if capacity.note:
        out.append(clean_text(capacity.note))
    return out


def capacity_chart(capacity: Capacity) -> Figure:
    """Attainment against load per probe (numbered in probe order), the target line, the capacity marked."""
    u = unit(capacity)
    probes = capacity.probes
    data: list[dict[str, Any]] = []
    for passed, color, name in ((True, PASS_COLOR, "probe met target"), (False, FAIL_COLOR, "probe missed")):
        chosen = [(i, p) for i, p in enumerate(probes, 1) if p.passed == passed]
        if not chosen:
            continue
        data.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": name,
                "x": [p.level for _, p in chosen],
                "y": [p.attainment for _, p in chosen],
                "text": [str(i) for i, _ in chosen],
                "textposition": "top center",
                "marker": {"color": color, "size": 10, "symbol": "circle" if passed else "x"},
                "customdata": [p.phase for _, p in chosen],
                "hovertemplate": f"probe %{{text}} (%{{customdata}})<br>%{{x:.4g}} {u}: "
                "%{y:.2%} met the SLO<extra></extra>",
            }
        )
    levels = [p.level for p in probes] or [capacity.start, capacity.maximum]
    lo, hi = min(levels), max(levels)
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": f"target {capacity.attainment_target:.4g}",
            "x": [lo, hi],
            "y": [capacity.attainment_target, capacity.attainment_target],
            "line": {"color": TARGET_COLOR, "dash": "dash", "width": 2},
            "hovertemplate": "attainment target %{y:.2%}<extra></extra>",
            "meta": {"role": "slo-target"},
        }
    )
    if capacity.capacity > 0:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"capacity {capacity_value(capacity)}",
                "x": [capacity.capacity, capacity.capacity],
                "y": [0, 1],
                "line": {"color": PALETTE[0], "width": 2},
                "hovertemplate": f"capacity {capacity_value(capacity)}<extra></extra>",
                "meta": {"role": "capacity"},
            }
        )
    # Ticks at the expanding levels and the capacity only: bisection levels crowd together on a phone.
    ticks = sorted({p.level for p in probes if p.phase == "expand"} | ({capacity.capacity} - {0.0}))
    fig_layout = layout(
        "Capacity search", f"Load ({u})", "Share meeting the SLO", log_x=hi / max(lo, 1e-9) > 8
    )
    fig_layout["xaxis"].update({"tickvals": ticks, "ticktext": [f"{t:g}" for t in ticks]})
    fig_layout["yaxis"] = {
        "title": {"text": "Share meeting the SLO"},
        "range": [0, 1.08],
        "tickformat": ".0%",
    }
    return {"data": data, "layout": fig_layout}


def turns_chart(record: RunRecord) -> Figure:
    """TTFT p50 per turn position, one line per level (multi-turn chat)."""
    data = []
    for i, level in enumerate(lv for lv in record.results if lv.turns):
        points = [(t.turn, _stat(t.ttft_ms, "p50")) for t in level.turns]
        points = [(t, v) for t, v in points if v is not None]
        if not points:
            continue
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _level_name(record, level),
                "x": [t for t, _ in points],
                "y": [float(f"{v:.4g}") for _, v in points],
                "line": {"color": PALETTE[i % len(PALETTE)]},
                "marker": {"color": PALETTE[i % len(PALETTE)]},
                "hovertemplate": "turn %{x}: TTFT p50 %{y:.4g} ms<extra></extra>",
            }
        )
    fig_layout = layout("TTFT p50 per turn", "Turn within the session", "TTFT p50 (ms)")
    fig_layout["xaxis"]["dtick"] = 1
    return {"data": data, "layout": fig_layout}


def turn_rows(record: RunRecord) -> list[list[str]]:
    return [
        [
            _level_name(record, level),
            str(t.turn),
            _g(_stat(t.ttft_ms, "p50")),
            _g(_stat(t.ttft_ms, "p99")),
            str(t.ttft_ms.count) if t.ttft_ms and t.ttft_ms.count is not None else "—",
            _g(t.input_tokens_mean),
        ]
        for level in record.results
        for t in level.turns
    ]


def cache_rows(record: RunRecord) -> list[list[str]]:
    rows = []
    for level in record.results:
        pc = level.prefix_cache
        if pc is None:
            continue
        rate = "not reported by the server" if pc.hit_rate is None else f"{pc.hit_rate:.1%}"
        rows.append(
            [
                _level_name(record, level),
                rate,
                _g(pc.cached_tokens, 10),
                _g(pc.prompt_tokens, 10),
                clean_text(pc.source or "—"),
            ]
        )
    return rows


def trace_rows(record: RunRecord) -> list[list[str]]:
    rows = []
    for level in record.results:
        tt = level.trace_timing
        if tt is None:
            continue
        err = tt.send_error_ms
        rows.append(
            [
                _level_name(record, level),
                _g(_stat(err, "p50")),
                _g(_stat(err, "p99")),
                _g(_stat(err, "max")),
                str(tt.late_over_10ms),
            ]
        )
    return rows


def reasoning_rows(record: RunRecord) -> list[list[str]]:
    rows = []
    for level in record.results:
        r = level.reasoning
        if r is None:
            continue
        rows.append(
            [
                _level_name(record, level),
                str(r.requests),
                _g(_stat(r.ttfr_ms, "p50")),
                _g(_stat(r.ttfa_ms, "p50")),
                _g(_stat(r.ttfa_ms, "p99")),
                _g(_stat(r.reasoning_tokens, "mean")),
                str(r.reasoning_tokens_total),
                str(r.counted_from_chunks),
            ]
        )
    return rows


def workload_sentence(record: RunRecord) -> str | None:
    """The workload generator and its knobs in one line, when the record names one."""
    w = record.workload
    parts: list[str] = []
    if w.kind:
        parts.append(f"kind {w.kind}")
    if w.preset:
        ratio = f", lengths in [{w.length_range_ratio:g} L, L]" if w.length_range_ratio is not None else ""
        parts.append(f"preset {clean_text(w.preset)}{ratio}")
    if w.shared_prefix:
        s = w.shared_prefix
        parts.append(
            f"{s.groups} groups × {s.prefix_tokens}-token shared prefix + {s.suffix_tokens}-token suffix, "
            f"{s.prompts_per_group} prompts per group"
        )
    if w.multi_turn:
        m = w.multi_turn
        parts.append(
            f"{m.sessions} sessions × {m.turns} turns, {m.turn_input_tokens} tokens in / "
            f"{m.turn_output_tokens} out per turn, think time {m.think_time_s:g} s"
        )
    if w.trace:
        t = w.trace
        parts.append(
            f"trace of {t.requests} requests over {t.span_s:g} s (time scale {t.time_scale:g}, "
            f"{t.block_tokens} tokens per block, {t.unique_blocks} distinct blocks, sha256 {t.sha256[:12]})"
        )
    if w.salted is not None:
        parts.append(
            "prompts salted (no cross-request cache reuse)"
            if w.salted
            else "prompts share prefixes on purpose"
        )
    return clean_text("; ".join(parts)) if parts else None


def workload_figures(record: RunRecord) -> dict[str, Figure]:
    figs: dict[str, Figure] = {}
    if record.capacity is not None and record.capacity.probes:
        figs["capacity"] = capacity_chart(record.capacity)
    turns = turns_chart(record)
    if turns["data"]:
        figs["turns"] = turns
    return figs


def workload_context(record: RunRecord) -> dict[str, Any]:
    cap = record.capacity
    return {
        "capacity": cap,
        "capacity_sentences": capacity_sentences(cap) if cap is not None else [],
        "workload_sentence": workload_sentence(record),
        "turn_rows": turn_rows(record),
        "cache_rows": cache_rows(record),
        "trace_rows": trace_rows(record),
        "reasoning_rows": reasoning_rows(record),
    }
