"""Small multiples for the backends side-by-side page: TTFT, decode tok/s per user, startup, memory.

One horizontal bar per configuration in each of four small charts. The level-based figures have one bar per
seed user count (the hover names the level used); the launch figures are the median over runs with the range
as an error bar. A figure not measured gets no bar (never a bar at 0); the table beside says "not measured".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.analysis.launches import Spread
from generator.data.columns import BY_KEY, LAUNCH_BY_KEY
from generator.figures.charts import PALETTE, Figure, backend_color, layout, num
from generator.render.safe import plotly_text


@dataclass(frozen=True)
class ConfigBars:
    label: str
    backend: str
    # seed user count -> (level used, {registry key: pooled estimate or None})
    levels: dict[int, tuple[str | None, dict[str, float | None]]] = field(default_factory=dict)
    launch: dict[str, Spread | None] = field(default_factory=dict)  # launch column key -> spread


def _small(title: str, x_title: str, labels: Sequence[str]) -> dict[str, Any]:
    fig_layout = layout(title, x_title, "", height=max(200, 90 + 28 * len(labels)), barmode="group")
    fig_layout["margin"] = {"l": 10, "r": 10, "t": 36, "b": 40}
    fig_layout["yaxis"] = {"automargin": True, "type": "category", "autorange": "reversed"}
    fig_layout["xaxis"]["rangemode"] = "tozero"
    fig_layout["showlegend"] = False
    return fig_layout


def _same_levels(bars: Sequence[ConfigBars], users: Sequence[int]) -> list[list[int]]:
    """User counts grouped by the levels they were read at: when 50 and 100 users both fall on c=8 for
    every configuration, one bar says '≈50, 100 users' instead of two equal bars."""
    groups: dict[tuple[str | None, ...], list[int]] = {}
    for count in users:
        groups.setdefault(tuple(b.levels.get(count, (None, {}))[0] for b in bars), []).append(count)
    return list(groups.values())


def level_figure(bars: Sequence[ConfigBars], key: str, users: Sequence[int]) -> Figure:
    column = BY_KEY[key]
    labels = [plotly_text(b.label) for b in bars]
    traces = []
    for i, counts in enumerate(_same_levels(bars, users)):
        first = counts[0]
        x = [num(b.levels.get(first, (None, {}))[1].get(key)) for b in bars]
        used = [b.levels.get(first, (None, {}))[0] or "no level" for b in bars]
        if all(v is None for v in x):
            continue
        name = f"≈{', '.join(map(str, counts))} users"
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "x": x,
                "y": labels,
                "customdata": used,
                "marker": {"color": PALETTE[i % len(PALETTE)]},
                "hovertemplate": f"%{{y}}<br>{name} (%{{customdata}}): %{{x}} {column.unit}<extra></extra>",
            }
        )
    fig_layout = _small(f"{column.header} at ≈{'/'.join(map(str, users))} users", column.heading, labels)
    fig_layout["showlegend"] = len(traces) > 1
    return {"data": traces, "layout": fig_layout}


def launch_figure(bars: Sequence[ConfigBars], key: str) -> Figure:
    column = LAUNCH_BY_KEY[key]
    shown = [(b, s) for b in bars if (s := b.launch.get(key)) is not None]
    labels = [plotly_text(b.label) for b, _ in shown]
    data = []
    if shown:
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": column.header,
                "x": [num(s.median) for _, s in shown],
                "y": labels,
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [num(s.high - s.median) for _, s in shown],
                    "arrayminus": [num(s.median - s.low) for _, s in shown],
                },
                "customdata": [[s.n, num(s.low), num(s.high)] for _, s in shown],
                "marker": {"color": [backend_color(b.backend) for b, _ in shown]},
                "hovertemplate": "%{y}<br>median %{x} "
                + column.unit
                + " (%{customdata[1]} – %{customdata[2]}, n=%{customdata[0]})<extra></extra>",
            }
        )
    return {"data": data, "layout": _small(f"{column.header}, median of runs", column.heading, labels)}


def seed_multiples(bars: Sequence[ConfigBars], users: Sequence[int]) -> dict[str, Figure]:
    """The four small charts of one comparison: figure name -> Plotly figure dict."""
    return {
        "ttft": level_figure(bars, "ttft_p50", users),
        "user": level_figure(bars, "user_tok_s", users),
        "startup": launch_figure(bars, "startup_s"),
        "memory": launch_figure(bars, "host_rss_mib"),
    }
