"""Pure functions: one run record -> the Plotly figure specs of its run page (plain dicts, no I/O).

The cross-run figures (leaderboard, charts page, compare) and the shared styling live in `figures.charts`;
these read one `RunRecord` (request-level TTFTs, ITL quantiles, telemetry). The only run strings here reach
the figures through `line_chart`, which passes them through `plotly_text`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from collector.schema import RunRecord
from generator.data.tables import level_text
from generator.figures.charts import PALETTE, Figure, Series, layout, line_chart, num, nums


def _level_name(concurrency: int | None, rate: float | None, trial: int) -> str:
    return level_text(concurrency, rate) + (f" trial {trial}" if trial else "")


def ttft_histograms(record: RunRecord, bins: int = 20) -> list[Figure]:
    """One TTFT histogram per load level (trials pooled; small multiples, shared bin edges), as bars: the
    partial plotly bundle has no histogram trace, and binning here keeps pages small at any request count."""
    grouped: dict[tuple[int | None, float | None], list[float]] = {}
    for level in record.results:
        if level.status != "complete" and any(
            o.status == "complete"
            for o in record.results
            if (o.concurrency, o.request_rate) == (level.concurrency, level.request_rate)
        ):
            continue  # the level's complete trials are what the site counts
        values = [r.ttft_ms for r in level.requests if r.ttft_ms is not None and math.isfinite(r.ttft_ms)]
        grouped.setdefault((level.concurrency, level.request_rate), []).extend(values)
    per_level = [(level_text(c, r), v) for (c, r), v in grouped.items() if v]
    if not per_level:
        return []
    everything = np.concatenate([np.asarray(v, dtype=np.float64) for _, v in per_level])
    edges = np.histogram_bin_edges(everything, bins=bins)
    centers = nums(list((edges[:-1] + edges[1:]) / 2))
    width = num(float(edges[1] - edges[0])) if len(edges) > 1 and edges[1] > edges[0] else None
    figs = []
    for name, values in per_level:
        counts, _ = np.histogram(values, bins=edges)
        trace: dict[str, Any] = {
            "type": "bar",
            "name": name,
            "x": centers,
            "y": [int(c) for c in counts],
            "marker": {"color": PALETTE[0]},
            "hovertemplate": "TTFT ≈ %{x} ms: %{y} requests<extra></extra>",
        }
        if width:
            trace["width"] = width
        fig_layout = layout(f"TTFT, {name}", "TTFT (ms)", "Requests", height=220, showlegend=False)
        fig_layout["margin"] = {"l": 50, "r": 10, "t": 36, "b": 40}
        fig_layout["xaxis"]["range"] = [num(float(edges[0])), num(float(edges[-1]))]
        figs.append({"data": [trace], "layout": fig_layout})
    return figs


def itl_cdf(record: RunRecord) -> Figure:
    data: list[dict[str, Any]] = []
    for level in record.results:
        if len(level.itl_quantiles_ms) >= 2:
            step = 100 / (len(level.itl_quantiles_ms) - 1)
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": _level_name(level.concurrency, level.request_rate, level.trial),
                    # an explicit colour, so the legend swatch shows the colour the line is drawn in
                    "line": {"color": PALETTE[len(data) % len(PALETTE)]},
                    "x": nums(level.itl_quantiles_ms),
                    "y": [num(i * step / 100) for i in range(len(level.itl_quantiles_ms))],
                }
            )
    return {"data": data, "layout": layout("Inter-chunk latency CDF", "ITL (ms)", "Fraction of gaps")}


def telemetry_chart(record: RunRecord) -> Figure:
    data: list[dict[str, Any]] = []
    samples = record.telemetry.samples if record.telemetry else []
    fields = [
        ("power_w", "power W", "y"),
        ("util_pct", "util %", "y2"),
        ("memory_used_mib", "memory GiB", "y2"),
    ]
    for gpu in sorted({s.gpu for s in samples}):
        mine = [s for s in samples if s.gpu == gpu]
        for attr, label, axis in fields:
            ys = [getattr(s, attr) for s in mine]
            if attr == "memory_used_mib":
                ys = [None if v is None else v / 1024 for v in ys]
            if any(v is not None for v in ys):
                data.append(
                    {
                        "type": "scatter",
                        "mode": "lines",
                        "name": f"GPU {gpu} {label}",
                        "line": {"color": PALETTE[len(data) % len(PALETTE)]},
                        "x": nums([s.t_s for s in mine]),
                        "y": nums(ys),
                        "yaxis": axis,
                    }
                )
    return {
        "data": data,
        "layout": layout(
            "GPU telemetry",
            "Seconds since start",
            "Power (W)",
            yaxis2={
                "title": {"text": "Utilisation % / memory GiB"},
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
            },
        ),
    }


def run_figures(record: RunRecord, series: Series | None) -> dict[str, Figure]:
    """The charts of one run's page; `series` is its entry from run_series (None when it has no levels)."""
    runs = [series] if series else []
    figs = {
        "throughput": line_chart(runs, "out_tok_s", "Output throughput vs load", "Output tok/s"),
        "latency": line_chart(runs, "ttft_p50", "TTFT p50 vs load", "TTFT p50 (ms)"),
        "itl_cdf": itl_cdf(record),
    }
    if record.telemetry and record.telemetry.samples:
        figs["telemetry"] = telemetry_chart(record)
    for i, fig in enumerate(ttft_histograms(record)):
        figs[f"ttft_hist_{i}"] = fig
    return {k: v for k, v in figs.items() if v["data"]}
