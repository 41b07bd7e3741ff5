"""Chart functions produce valid Plotly figures (checked with plotly's own validators)."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import pytest

from generator.analysis.configs import configurations
from generator.data.load import LoadedRun
from generator.data.tables import level_frame
from generator.figures.charts import (
    FRONTIER_COLOR,
    _styles,
    backend_color,
    by_peak_throughput,
    cost_per_mtok,
    pareto_frontier,
    run_series,
    scope_figures,
    shade,
)
from generator.figures.history import bunched
from generator.figures.runfigures import run_figures
from generator.pages.leaderboard import config_series
from tests.helpers.gen_factories import hostile_run, make_run, standard_runs


def _levels(records: list) -> tuple:  # type: ignore[type-arg]
    runs = [LoadedRun(r, Path("x.json"), r.run_id) for r in records]
    return runs, level_frame(runs)


def _scope(records: list) -> dict:  # type: ignore[type-arg]
    """The charts page's figures for these runs: one line per configuration."""
    runs = [LoadedRun(r, Path("x.json"), r.run_id) for r in records]
    return scope_figures(config_series(configurations(runs)))


def _config_of(records: list, slug: str) -> str:  # type: ignore[type-arg]
    runs = [LoadedRun(r, Path("x.json"), r.run_id) for r in records]
    return next(c.key for c in configurations(runs) if slug in c.slugs)


def test_pareto_frontier_keeps_only_undominated_points() -> None:
    points = [(10, 100), (20, 90), (15, 80), (30, 50), (5, 120), (30, 40), (25, 50)]
    assert pareto_frontier(points) == [4, 0, 1, 3]
    assert pareto_frontier([]) == []


def test_scope_figures_are_valid_plotly_and_carry_error_bars_and_cost_data() -> None:
    records = standard_runs()
    figs = _scope(records)
    assert set(figs) == {"throughput", "ttft_p50", "ttft_p99", "tpot", "pareto", "latency", "energy", "cost"}
    for fig in figs.values():
        go.Figure(fig)  # raises on any invalid property
    throughput = {t["meta"]["run"]: t for t in figs["throughput"]["data"]}
    repeated, single = _config_of(records, "aaaa00000001"), _config_of(records, "aaaa00000002")
    assert "error_y" in throughput[repeated] and "error_y" not in throughput[single]
    frontier = figs["pareto"]["data"][-1]
    assert frontier["name"] == "Pareto frontier" and frontier["line"]["color"] == FRONTIER_COLOR
    assert all(t["text"] and t["text"][0].startswith("c=") for t in figs["pareto"]["data"][:-1])
    # one colour per backend, on every chart
    colours: dict[str, list[str]] = {}
    for t in figs["throughput"]["data"]:
        colours.setdefault(t["name"].split()[0], []).append(t["line"]["color"])
    assert colours["vllm"][0] == backend_color("vllm") != colours["sglang"][0]
    assert figs["latency"]["layout"]["xaxis"]["type"] == "category"  # named percentiles draw
    cost = figs["cost"]["data"][0]
    assert cost["y"][0] == pytest.approx(cost_per_mtok(2.0, cost["customdata"][0]), rel=1e-3)
    energy_runs = {t["name"] for t in figs["energy"]["data"]}
    assert not any("llama.cpp" in n for n in energy_runs)  # no energy on the CPU run


def test_run_strings_reach_plotly_escaped() -> None:
    figs = _scope([hostile_run()])
    name = figs["throughput"]["data"][0]["name"]
    assert "<" not in name and "&lt;img" in name


def test_run_figures_include_request_level_charts_and_telemetry() -> None:
    runs, levels = _levels([make_run()])
    figs = run_figures(runs[0].record, run_series(levels)[0])
    assert set(figs) == {
        "throughput",
        "latency",
        "ttft_hist_0",
        "ttft_hist_1",
        "ttft_hist_2",
        "itl_cdf",
        "telemetry",
    }
    for fig in figs.values():
        go.Figure(fig)
    # small multiples share bin edges; every trace type is in the partial plotly bundle (scatter, bar)
    hists = [figs[f"ttft_hist_{i}"]["data"][0] for i in range(3)]
    assert all(h["type"] == "bar" and h["x"] == hists[0]["x"] for h in hists)
    assert {t["type"] for f in figs.values() for t in f["data"]} <= {"scatter", "bar"}
    cpu_runs, cpu_levels = _levels([make_run(accelerator="cpu")])
    assert "telemetry" not in run_figures(cpu_runs[0].record, run_series(cpu_levels)[0])


def test_cost_per_mtok() -> None:
    assert cost_per_mtok(3.6, 1000.0) == 1.0
    assert cost_per_mtok(2.0, 0.0) is None
    assert cost_per_mtok(2.0, None) is None


def test_every_known_backend_has_its_own_colour() -> None:
    from generator.figures.charts import BACKEND_SLOTS

    colours = [backend_color(name) for name in BACKEND_SLOTS]
    assert len(set(colours)) == len(colours)


def test_variants_of_one_backend_differ_in_colour_and_marker() -> None:
    """llama.cpp Q4_1 and F16 in one chart: not one colour told apart by a dash the swatch cannot show."""
    base = {"slug": ["a"], "backend": ["llama.cpp"], "out_tok_s": [10.0]}
    runs = [dict(base, slug=[s], out_tok_s=[v]) for s, v in (("f16", 5.0), ("q4", 9.0), ("q8", 7.0))]
    styles = _styles(by_peak_throughput(runs))  # type: ignore[arg-type]
    assert styles["q4"]["color"] == backend_color("llama.cpp")  # the leader keeps the backend's colour
    assert len({s["color"] for s in styles.values()}) == 3
    assert len({s["symbol"] for s in styles.values()}) == 3
    assert shade("#808080", -0.5) == "#404040" and shade("#000000", 0.5) == "#808080"


def test_history_axis_turns_ordinal_when_runs_bunch() -> None:
    day = 86_400.0
    assert bunched([0.0, 0.002, 0.004])  # seconds apart: one stack on a date axis
    assert bunched([0.0, 10 * day, 10 * day + 60])  # two runs a minute apart among weeks
    assert not bunched([0.0, 7 * day, 14 * day])
    assert not bunched([0.0])
