"""Pure functions: tidy level frames -> the cross-run Plotly figure specs (plain dicts, no I/O), and the
shared palette, layout and line styling; one run's page figures are in `figures.runfigures`.

Specs are the JSON plotly.js reads (`{"data": [...], "layout": {...}}`); they are built as dicts rather
than `plotly.graph_objects` because validating thousands of figure objects would dominate the build.
Tests check the specs against plotly's own validators. Every run string goes through `plotly_text`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from generator.analysis.decide import differing_label
from generator.render.safe import plotly_text

Figure = dict[str, Any]

DEFAULT_PRICE_PER_HOUR = 2.0
# Where the default price comes from, shown beside every price box: it is a placeholder, not a quote.
DEFAULT_PRICE_SOURCE = (
    "default $2.00 per GPU-hour (per host-hour on CPU): a round placeholder, not a quote from any provider;"
    " type your own price"
)

# Okabe-Ito-like palette, readable on light and dark backgrounds; grey is kept for the Pareto frontier.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # green
    "#CC79A7",  # pink
    "#D55E00",  # vermilion
    "#56B4E9",  # sky blue
    "#7B68EE",  # slate blue
    "#882255",  # wine
    "#999933",  # olive
    "#C71585",  # magenta
)
# The backends inferboard knows get a slot each, so no two of them share a colour (a hash of the name put
# vLLM's dark gold next to llama.cpp's orange); any other backend falls back to a hash of its name.
BACKEND_SLOTS = {
    "vllm": 0,
    "llama.cpp": 1,
    "sglang": 2,
    "transformers": 3,
    "tgi": 4,
    "trtllm": 5,
    "lmdeploy": 6,
    "mlc": 7,
    "ollama": 8,
    "openai": 9,
}
FRONTIER_COLOR = "rgba(128,128,128,0.85)"
DASHES = ("solid", "dash", "dot", "dashdot", "longdash")


def backend_color(backend: str) -> str:
    """The same colour for a backend on every chart and page."""
    name = backend.strip().lower()
    slot = BACKEND_SLOTS.get(name)
    if slot is None:
        slot = hashlib.sha256(name.encode("utf-8")).digest()[0]
    return PALETTE[slot % len(PALETTE)]


def num(value: Any) -> float | None:
    """Round to 4 significant digits (smaller pages); NaN, None and infinities become None."""
    if value is None:
        return None
    x = float(value)
    if not math.isfinite(x):
        return None
    return float(f"{x:.4g}")


def nums(values: Sequence[Any]) -> list[float | None]:
    return [num(v) for v in values]


def layout(title: str, x_title: str, y_title: str, *, log_x: bool = False, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": {"text": title},
        "xaxis": {"title": {"text": x_title}, "type": "log" if log_x else "linear", "zeroline": False},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        "hovermode": "closest",
        "legend": {"orientation": "h", "y": -0.25},
        "showlegend": True,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
        "height": 440,
        "paper_bgcolor": "rgba(0,0,0,0)",
    }
    base.update(extra)
    return base


Series = dict[str, list[Any]]  # one run's level rows as columns, ordered by load


def run_series(levels: pd.DataFrame) -> list[Series]:
    """Split a level frame into one column dict per run (in first-seen order), each ordered by load.
    Charts iterate these plain lists: far faster than a pandas group-by per chart."""
    if levels.empty:
        return []
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in levels.sort_values("load", kind="stable").to_dict("records"):
        grouped.setdefault(row["slug"], []).append(row)
    return [{col: [r[col] for r in rows] for col in rows[0]} for rows in grouped.values()]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def trace_names(runs: list[Series]) -> dict[str, str]:
    """Legend names that show only what differs between the runs of one chart ("Q4_0 vs Q8_0"), with the
    short backend label always first; runs that still collide get their id's tail."""
    if all("label" in r for r in runs):  # configurations: their own label, as the home page names them
        return {str(r["slug"][0]): plotly_text(str(r["label"][0])) for r in runs}
    rows: list[dict[str, Any]] = [
        {k: r[k][0] for k in ("slug", "backend", "backend_version", "quant") if k in r} for r in runs
    ]
    return {slug: plotly_text(name) for slug, name in differing_label(rows).items()}


# Variants of one backend in a chart (llama.cpp Q4_1 vs F16) differ by colour shade, marker and dash, so
# neither the legend swatch nor a grey-scale print has to rely on the dash alone.
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross")
SHADES = (0.0, -0.4, 0.45, -0.65, 0.7)  # <0 mixes toward black, >0 toward white


def shade(color: str, amount: float) -> str:
    """`color` (#rrggbb) mixed toward black (amount < 0) or white (amount > 0) by |amount|."""
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    target = 255 if amount > 0 else 0
    mixed = [round(c + (target - c) * abs(amount)) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed).upper()


def _style(run: Series, index: int) -> dict[str, Any]:
    """Colour from the backend; variant `index` of that backend gets its own shade, dash and marker."""
    k = index % len(SHADES)
    return {
        "color": shade(backend_color(str(run["backend"][0])), SHADES[k]),
        "dash": DASHES[k],
        "symbol": SYMBOLS[k],
    }


def _styles(runs: list[Series]) -> dict[str, dict[str, Any]]:
    seen: dict[str, int] = {}
    out = {}
    for run in runs:
        backend = str(run["backend"][0])
        out[str(run["slug"][0])] = _style(run, seen.get(backend, 0))
        seen[backend] = seen.get(backend, 0) + 1
    return out


def _line(style: dict[str, Any]) -> dict[str, Any]:
    return {"color": style["color"], "dash": style["dash"]}


def _marker(style: dict[str, Any]) -> dict[str, Any]:
    return {"color": style["color"], "symbol": style["symbol"]}


def _hover(y_label: str, x_label: str) -> str:
    return f"%{{fullData.name}}<br>{x_label}: %{{x}}<br>{y_label}: %{{y}}%{{hovertext}}<extra></extra>"


def _mark_unclean(trace: dict[str, Any], reasons: Sequence[Any] | None, style: dict[str, Any]) -> None:
    """Points of levels that may not decide a verdict are drawn hollow, the reason in their hover text."""
    if reasons is None:
        trace["hovertext"] = [""] * len(trace["x"])
        return
    trace["hovertext"] = [f"<br>not clean: {plotly_text(str(r))}" if r else "" for r in reasons]
    symbol = style["symbol"]
    trace["marker"] = {
        "color": style["color"],
        "symbol": [f"{symbol}-open" if r else symbol for r in reasons],
        "size": [10 if r else 6 for r in reasons],
    }


def _log_ticks(fig: Figure, values: Sequence[Any]) -> Figure:
    """Label a log load axis at the measured levels (1, 4, 16, ...) instead of Plotly's 2..9 minor ticks."""
    ticks = sorted({v for v in values if isinstance(v, int | float) and v > 0})
    if fig["layout"]["xaxis"]["type"] == "log" and 0 < len(ticks) <= 16:
        fig["layout"]["xaxis"].update(tickmode="array", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    return fig


def line_chart(
    runs: list[Series],
    y: str,
    title: str,
    y_title: str,
    *,
    x: str = "load",
    x_title: str = "Concurrency (or request rate)",
    log_x: bool = True,
) -> Figure:
    """One line per run: metric `y` against the load level; CI error bars where the run has repeats."""
    data = []
    names, styles = trace_names(runs), _styles(runs)
    for run in runs:
        ys = run[y]
        if all(_missing(v) for v in ys):
            continue
        slug = str(run["slug"][0])
        trace: dict[str, Any] = {
            "type": "scatter",
            "mode": "lines+markers",
            "name": names[slug],
            "line": _line(styles[slug]),
            "marker": _marker(styles[slug]),
            "x": nums(run[x]),
            "y": nums(ys),
            "hovertemplate": _hover(y_title, x_title),
            "meta": {"run": str(run["slug"][0])},
        }
        _mark_unclean(trace, run.get("unclean"), styles[slug])
        lo, hi = run.get(f"{y}_lo"), run.get(f"{y}_hi")
        if lo is not None and hi is not None and not all(_missing(v) for v in lo):
            trace["error_y"] = {
                "type": "data",
                "symmetric": False,
                "visible": True,
                "array": [
                    None if _missing(h) or _missing(m) else num(h - m) for h, m in zip(hi, ys, strict=True)
                ],
                "arrayminus": [
                    None if _missing(lw) or _missing(m) else num(m - lw) for lw, m in zip(lo, ys, strict=True)
                ],
            }
        data.append(trace)
    fig = {"data": data, "layout": layout(title, x_title, y_title, log_x=log_x)}
    return _log_ticks(fig, [v for t in data for v in t["x"]])


def pareto_frontier(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points not dominated on (x higher, y higher), ordered by x ascending."""
    order = sorted(range(len(points)), key=lambda i: (-points[i][0], -points[i][1]))
    frontier: list[int] = []
    best_y = -math.inf
    for i in order:
        if points[i][1] > best_y:
            frontier.append(i)
            best_y = points[i][1]
    return sorted(frontier, key=lambda i: points[i][0])


def _per_device(run: Series) -> list[float | None]:
    """Output tok/s per GPU (per host on CPU runs)."""
    devices = max(int(run["devices"][0]), 1)
    return [
        g if not _missing(g) else (None if _missing(t) else t / devices)
        for g, t in zip(run["out_tok_s_gpu"], run["out_tok_s"], strict=True)
    ]


def pareto_chart(runs: list[Series]) -> Figure:
    """InferenceX's view: throughput per GPU (y) against per-user tok/s (x); the frontier highlighted."""
    data: list[dict[str, Any]] = []
    points: list[tuple[float, float]] = []
    names, styles = trace_names(runs), _styles(runs)
    for run in runs:
        slug = str(run["slug"][0])
        reasons = run.get("unclean") or [""] * len(run["level"])
        pts = sorted(
            (u, d, lv, why)
            for u, d, lv, why in zip(run["user_tok_s"], _per_device(run), run["level"], reasons, strict=True)
            if not _missing(u) and not _missing(d)
        )
        if not pts:
            continue
        points += [(float(u), float(d)) for u, d, *_ in pts if u is not None and d is not None]
        trace = {
            "type": "scatter",
            "mode": "lines+markers+text",
            "name": names[slug],
            "line": _line(styles[slug]),
            "marker": _marker(styles[slug]),
            "x": nums([p[0] for p in pts]),
            "y": nums([p[1] for p in pts]),
            "text": [p[2] for p in pts],  # the concurrency label beside each point
            "textposition": "top center",
            "textfont": {"size": 10},
            "opacity": 0.85,
            "hovertemplate": "%{fullData.name} (%{text})<br>per user: %{x} tok/s<br>per GPU: %{y} tok/s"
            "%{hovertext}<extra></extra>",
        }
        _mark_unclean(trace, [p[3] for p in pts] if "unclean" in run else None, styles[slug])
        data.append(trace)
    front = pareto_frontier(points)
    if front:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Pareto frontier",
                "x": [num(points[i][0]) for i in front],
                "y": [num(points[i][1]) for i in front],
                "line": {"width": 2, "color": FRONTIER_COLOR, "dash": "dot", "shape": "hv"},
                "hoverinfo": "skip",
                "meta": {"ib_always": True},  # a guide, not a series: never cut by the legend cap
            }
        )
    return {
        "data": data,
        "layout": layout(
            "Throughput per GPU vs per-user speed (Pareto frontier)",
            "Per-user output tok/s (p50)",
            "Output tok/s per GPU (per host on CPU)",
        ),
    }


def latency_distribution_chart(runs: list[Series]) -> Figure:
    """E2E latency percentiles of each run at its highest load level."""
    cols = ["e2e_min", "e2e_p50", "e2e_p90", "e2e_p95", "e2e_p99", "e2e_max"]
    names = ["min", "p50", "p90", "p95", "p99", "max"]
    data = []
    labels, styles = trace_names(runs), _styles(runs)
    for run in runs:
        if _missing(run["e2e_p50"][-1]):
            continue
        slug = str(run["slug"][0])
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": labels[slug] + f" · {run['level'][-1]}",
                "line": _line(styles[slug]),
                "marker": _marker(styles[slug]),
                "x": names,
                "y": nums([run[c][-1] for c in cols]),
                "hovertext": [""] * len(cols),
                "hovertemplate": _hover("E2E ms", "percentile"),
            }
        )
    chart_layout = layout(
        "End-to-end latency distribution at each run's highest load", "Percentile", "E2E latency (ms)"
    )
    # The x values are percentile names: a linear axis would place them nowhere and draw nothing.
    chart_layout["xaxis"]["type"] = "category"
    return {"data": data, "layout": chart_layout}


def cost_chart(runs: list[Series], price_per_hour: float = DEFAULT_PRICE_PER_HOUR) -> Figure:
    """$ per million output tokens vs load. `customdata` holds tok/s per device so the page can recompute
    y from the price field: $/Mtok = price * 1e6 / (3600 * tok/s per device)."""
    data = []
    names, styles = trace_names(runs), _styles(runs)
    for run in runs:
        slug = str(run["slug"][0])
        devices = max(int(run["devices"][0]), 1)
        per_device = [None if _missing(t) else t / devices for t in run["out_tok_s"]]
        if not any(v and v > 0 for v in per_device):
            continue
        trace: dict[str, Any] = {
            "type": "scatter",
            "mode": "lines+markers",
            "name": names[slug],
            "line": _line(styles[slug]),
            "marker": _marker(styles[slug]),
            "x": nums(run["load"]),
            "customdata": nums(per_device),
            "y": [cost_per_mtok(price_per_hour, v) for v in per_device],
            "hovertemplate": _hover("$/M tokens", "load"),
        }
        _mark_unclean(trace, run.get("unclean"), styles[slug])
        data.append(trace)
    chart_layout = layout(
        "Cost per million output tokens",
        "Concurrency (or request rate)",
        "$ per million output tokens",
        log_x=True,
    )
    chart_layout["meta"] = {"ib_cost": True}
    fig: Figure = {"data": data, "layout": chart_layout}
    return _log_ticks(fig, [v for t in data for v in t["x"]])


def cost_per_mtok(price_per_hour: float, tok_s_per_device: float | None) -> float | None:
    if not tok_s_per_device or tok_s_per_device <= 0 or not math.isfinite(tok_s_per_device):
        return None
    return num(price_per_hour * 1e6 / (3600 * tok_s_per_device))


def _peak(run: Series) -> float:
    values = [float(v) for v in run["out_tok_s"] if not _missing(v)]
    return max(values) if values else -math.inf


def by_peak_throughput(runs: list[Series]) -> list[Series]:
    """Series ordered best first (peak output tok/s), so a capped legend shows the leaders."""
    return sorted(runs, key=lambda r: (-_peak(r), str(r["slug"][0])))


def scope_figures(runs: list[Series]) -> dict[str, Figure]:
    """Every chart of the charts page for one scope: one line per series (per configuration there), best
    first; variant styles follow that order too, so a backend's leader keeps its base colour."""
    runs = by_peak_throughput(runs)
    return {
        "throughput": line_chart(runs, "out_tok_s", "Output throughput vs concurrency", "Output tok/s"),
        "ttft_p50": line_chart(runs, "ttft_p50", "TTFT p50 vs concurrency", "TTFT p50 (ms)"),
        "ttft_p99": line_chart(runs, "ttft_p99", "TTFT p99 vs concurrency", "TTFT p99 (ms)"),
        "tpot": line_chart(runs, "tpot_p50", "TPOT p50 vs concurrency", "TPOT p50 (ms)"),
        "pareto": pareto_chart(runs),
        "latency": latency_distribution_chart(runs),
        "energy": line_chart(runs, "j_per_tok", "Energy per output token", "J / output token"),
        "cost": cost_chart(runs),
    }
