"""The history page's figures: one configuration's headline figures across its runs.

When the runs are spread over time the x axis is their date. When they bunch (all within a day, or two of
them minutes apart while the rest span weeks) a date axis stacks them on one point and labels ticks like
"18:29:02.5765", so the axis becomes ordinal instead: one category per run, in time order, named by its
backend version and time (the run id's head added where two would read the same).
"""

from __future__ import annotations

import itertools
from typing import Any

from generator.analysis.history import METRICS, level_values, run_version
from generator.data.load import LoadedRun
from generator.data.tables import as_utc, short_id
from generator.figures.charts import PALETTE, num
from generator.render.safe import plotly_text

DAY_S = 86_400.0
# Two runs closer than this share of the whole span would sit on one pixel column of a date axis.
BUNCH_SHARE = 0.01


def bunched(times: list[float]) -> bool:
    """True when a date axis would stack points: all within a day, or consecutive runs closer than
    BUNCH_SHARE of the span."""
    distinct = sorted(set(times))
    if len(distinct) < len(times) or len(distinct) < 2:
        return len(times) > 1
    span = distinct[-1] - distinct[0]
    if span < DAY_S:
        return True
    return min(b - a for a, b in itertools.pairwise(distinct)) < span * BUNCH_SHARE


def run_labels(history: list[LoadedRun]) -> list[str]:
    """One distinct category label per run (oldest first): backend version and UTC time, the id's head
    added when two runs would otherwise read the same."""
    base = [f"{run_version(r)} · {as_utc(r.record.created_at).strftime('%Y-%m-%d %H:%M')}" for r in history]
    counts: dict[str, int] = {}
    for label in base:
        counts[label] = counts.get(label, 0) + 1
    return [
        plotly_text(label if counts[label] == 1 else f"{label} · {short_id(r.slug)}")
        for label, r in zip(base, history, strict=True)
    ]


def history_figures(history: list[LoadedRun]) -> dict[str, Any]:
    """Plotly figures, one trace per load level and measurement version (never joined across measurement
    versions), each in its own colour, labelled with the backend version."""
    ordinal = bunched([as_utc(r.record.created_at).timestamp() for r in history])
    labels = run_labels(history)
    figures: dict[str, Any] = {}
    for metric, (label, _) in METRICS.items():
        traces: dict[tuple[str, int | None], dict[str, Any]] = {}
        for run, category in zip(history, labels, strict=True):
            mv = run.record.collector.measurement_version
            for level, values in level_values(run.record).items():
                if metric not in values:
                    continue
                v = values[metric]
                name = f"{level} (measurement v{mv})" if mv is not None else f"{level} (measurement unknown)"
                trace = traces.get((level, mv))
                if trace is None:
                    trace = traces[(level, mv)] = _trace(name, PALETTE[len(traces) % len(PALETTE)])
                trace["x"].append(category if ordinal else as_utc(run.record.created_at).isoformat())
                trace["y"].append(num(v.estimate))
                trace["text"].append(plotly_text(f"{run.record.backend.name} {run_version(run)}"))
                trace["error_y"]["array"].append(num(v.high - v.estimate) if v.high is not None else 0)
                trace["error_y"]["arrayminus"].append(num(v.estimate - v.low) if v.low is not None else 0)
        xaxis: dict[str, Any] = {"title": {"text": "Run date"}, "type": "date"}
        if ordinal:
            xaxis = {
                "title": {"text": "Run (backend version · time, UTC), oldest first"},
                "type": "category",
                "categoryorder": "array",
                "categoryarray": labels,
                "automargin": True,
            }
        figures["throughput" if metric.startswith("output") else "ttft"] = {
            "data": list(traces.values()),
            "layout": {
                "title": {"text": f"{label} by {'run' if ordinal else 'date'} (hover: backend version)"},
                "xaxis": xaxis,
                "yaxis": {"title": {"text": label}},
                "hovermode": "closest",
                "height": 380,
            },
        }
    return figures


def _trace(name: str, color: str) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "line": {"color": color},
        "marker": {"color": color},
        "x": [],
        "y": [],
        "text": [],
        "error_y": {"type": "data", "symmetric": False, "array": [], "arrayminus": []},
    }
