"""The leaderboard and the charts rank configurations, not runs: 10 runs of one configuration and 3 of
another make one row per configuration x load level (trials and requests summed) and two chart lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest

from collector.schema import RunRecord
from generator.data.load import LoadedRun
from generator.data.tables import run_frame
from generator.pages.leaderboard import CONFIG_COLS, ROW_COLS, board_sets, chart_scopes
from tests.helpers.board_factories import LEVELS, crafted


def _loaded(records: list[RunRecord]) -> list[LoadedRun]:
    return [LoadedRun(r, Path(f"{r.run_id}.json"), r.run_id) for r in records]


class Writer:
    """Stands in for DataAssets.write: keeps each data file's body by name."""

    def __init__(self) -> None:
        self.bodies: dict[str, Any] = {}

    def __call__(self, name: str, body: Any) -> str:
        self.bodies[name] = body
        return f"data/{name}.js"


def test_leaderboard_has_one_row_per_configuration_and_level_with_trials_summed() -> None:
    runs = _loaded(crafted())
    write = Writer()
    sets = board_sets(runs, run_frame(runs), write)
    assert len(sets) == 1 and sets[0]["configs"] == 2 and sets[0]["runs"] == 13
    body = write.bodies["board-0"]
    assert len(body["rows"]) == 2 * len(LEVELS)
    cc = {c: i for i, c in enumerate(ROW_COLS)}
    rc = {c: i for i, c in enumerate(CONFIG_COLS)}
    configs = body["runs"]
    by_label = {c[rc["label"]]: i for i, c in enumerate(configs)}
    vllm, sglang = by_label["vllm 0.6.3 · FP8"], by_label["sglang 0.3.5 · FP8"]
    assert configs[vllm][rc["runs"]] == 10 and configs[sglang][rc["runs"]] == 3
    # Compare gets the configuration's most recent run
    assert configs[vllm][rc["slug"]] == "aaaa00000009" and configs[sglang][rc["slug"]] == "bbbb00000002"
    rows = {(r[cc["run"]], r[cc["level"]]): r for r in body["rows"]}
    one = next(lv for lv in runs[0].record.results if lv.concurrency == 1)
    assert rows[(vllm, "c=1")][cc["trials"]] == 20  # 10 runs x 2 trials
    assert rows[(vllm, "c=1")][cc["requests"]] == 20 * one.completed
    assert rows[(sglang, "c=1")][cc["trials"]] == 3
    # the figure is the mean over the 20 pooled trials
    trials = [lv.output_throughput_tok_s for r in runs[:10] for lv in r.record.results if lv.concurrency == 1]
    assert rows[(vllm, "c=1")][cc["out_tok_s"]] == pytest.approx(sum(trials) / len(trials), rel=1e-3)
    # the saturated level is marked unclean; the others are not
    assert "client" in rows[(vllm, "c=16")][cc["unclean"]] and rows[(vllm, "c=16")][cc["saturated"]] == 1
    assert rows[(sglang, "c=16")][cc["unclean"]] == ""


def test_charts_draw_one_line_per_configuration_with_unclean_points_hollow() -> None:
    write = Writer()
    scopes = chart_scopes(_loaded(crafted()), write)
    assert len(scopes) == 1 and "2 configurations, 13 runs" in scopes[0]["label"]
    figs = write.bodies["charts-0"]
    for name in ("throughput", "ttft_p50", "tpot", "cost", "energy"):
        assert len(figs[name]["data"]) == 2, name
    assert len([t for t in figs["pareto"]["data"] if t["name"] != "Pareto frontier"]) == 2
    for fig in figs.values():
        go.Figure(fig)  # valid Plotly, hollow symbols and hover text included
    lines = {t["name"]: t for t in figs["throughput"]["data"]}
    assert set(lines) == {"vllm 0.6.3 · FP8", "sglang 0.3.5 · FP8"}  # the home page's short labels
    vllm = lines["vllm 0.6.3 · FP8"]
    assert vllm["marker"]["symbol"] == ["circle", "circle", "circle-open"]
    assert "not clean" in vllm["hovertext"][2] and vllm["hovertext"][0] == ""
    assert "error_y" in vllm  # 20 trials: an interval over trials
    assert lines["sglang 0.3.5 · FP8"]["marker"]["symbol"] == ["circle"] * 3
