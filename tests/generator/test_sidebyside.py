"""The side-by-side page's rows and small charts (no browser): levels nearest the seed's user counts, launch
figures "not measured" rather than 0, and no bar drawn for a figure nobody measured."""

from __future__ import annotations

from pathlib import Path

from collector.schema import Launch, MemoryFootprint
from generator.data.load import load_runs
from generator.figures.launchcharts import ConfigBars, level_figure, seed_multiples
from generator.pages.sidebyside import SeedGroup, seed_groups
from tests.helpers.gen_factories import make_run, write_run


def _groups(tmp_path: Path) -> list[SeedGroup]:
    managed = make_run("b00000000001", backend="vllm", levels=(1, 8, 64))
    managed = managed.model_copy(
        update={"launch": Launch(mode="managed", startup_s=70.0, memory=MemoryFootprint(host_rss_mib=4700.0))}
    )
    external = make_run("b00000000002", backend="tgi", levels=(1, 8, 64))
    external = external.model_copy(update={"launch": Launch(mode="external")})
    for record in (managed, external):
        write_run(tmp_path, record)
    return seed_groups(load_runs(tmp_path).runs, dir_urls=True)


def test_rows_read_the_nearest_levels_and_say_not_measured(tmp_path: Path) -> None:
    (group,) = _groups(tmp_path)
    rows = {row.backend: row for row in group.rows}
    assert [cell.level for cell in rows["vllm"].targets] == ["c=8", "c=64", "c=64"]
    assert rows["vllm"].launch["startup_s"][1] == "70 s (n=1)"
    assert rows["tgi"].launch["startup_s"] == (None, "not measured")
    assert rows["tgi"].launch["host_rss_mib"] == (None, "not measured")
    startup = group.figures["startup"]["data"][0]
    assert startup["x"] == [70.0]  # the external server has no bar, not a bar at 0
    assert all("tgi" not in label for label in startup["y"])


def test_user_counts_read_at_the_same_levels_share_one_bar() -> None:
    bars = [
        ConfigBars("a", "vllm", {10: ("c=8", {"ttft_p50": 5.0}), 50: ("c=8", {"ttft_p50": 5.0})}),
        ConfigBars("b", "tgi", {10: ("c=8", {"ttft_p50": 7.0}), 50: ("c=8", {"ttft_p50": 7.0})}),
    ]
    fig = level_figure(bars, "ttft_p50", (10, 50))
    assert [t["name"] for t in fig["data"]] == ["≈10, 50 users"]
    assert fig["data"][0]["x"] == [5.0, 7.0]


def test_nothing_measured_draws_nothing() -> None:
    figs = seed_multiples([ConfigBars("a", "vllm")], (10, 50, 100))
    assert all(fig["data"] == [] for fig in figs.values())
