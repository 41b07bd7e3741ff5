"""Backends side by side (`backends/comparison.md`), in the shape of the seed benchmark's comparison.

The seed (BentoML's comparison of vLLM, LMDeploy, MLC-LLM, TensorRT-LLM and TGI) charted tokens/s per user
at 10, 50 and 100 users, startup time and memory footprint per framework. Here, per model x hardware x
workload (classes never mixed), one row per configuration, its trials pooled as on the home page
(`analysis.configs`): TTFT p50 and decode tok/s per user at the measured concurrency nearest to each of
the seed's user counts (the level used is stated), then the launch figures over the configuration's runs
(median, range and n; "not measured" where no run measured it), the quantization, and four small charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.analysis.configs import Configuration, PooledLevel, configurations
from generator.analysis.decide import distinct_labels
from generator.analysis.launches import SEED_USERS, Spread, launch_spread, nearest_load, spread_text
from generator.data.columns import BY_KEY, LAUNCH_COLUMNS
from generator.data.load import LoadedRun
from generator.data.tables import REAL_GPU_CLASS, class_label
from generator.figures.launchcharts import ConfigBars, seed_multiples
from generator.pages.common import SiteContext
from generator.pages.configpages import estimate_cell
from generator.render.templates import relative_url, template

PAGE = "backends/comparison.md"
LEVEL_COLUMNS = ("ttft_p50", "user_tok_s")  # registry keys shown at each seed user count


@dataclass
class TargetCell:
    users: int
    level: str | None  # the pooled level used ("c=8"); None: no concurrency level measured
    clean: bool = True
    reason: str = ""
    text: dict[str, str] = field(default_factory=dict)  # registry key -> shown text
    value: dict[str, float | None] = field(default_factory=dict)  # registry key -> pooled estimate


@dataclass
class SeedRow:
    key: str
    label: str
    backend: str
    quant: str
    href: str
    runs: int
    targets: list[TargetCell]
    launch: dict[str, tuple[Spread | None, str]]  # launch column key -> (spread, shown text)


@dataclass
class SeedGroup:
    title: str
    klass: str
    rows: list[SeedRow]
    figures: dict[str, Any] = field(default_factory=dict)


def concurrency_levels(config: Configuration) -> list[PooledLevel]:
    # Only closed-loop levels count users; their text is "c=N" (generator.data.tables.level_text).
    return [level for level in config.levels if level.level.startswith("c=")]


def target_cell(config: Configuration, users: int) -> TargetCell:
    levels = concurrency_levels(config)
    load = nearest_load([level.load for level in levels], users)
    chosen = next((level for level in levels if level.load == load), None)
    if chosen is None:
        return TargetCell(users, None, text=dict.fromkeys(LEVEL_COLUMNS, "not measured"))
    cell = TargetCell(users, chosen.level, chosen.clean, chosen.reason_text)
    for key in LEVEL_COLUMNS:
        estimate = chosen.estimate(key)
        cell.text[key] = "not measured" if estimate is None else estimate_cell(estimate)
        cell.value[key] = None if estimate is None else estimate.value
    return cell


def seed_row(config: Configuration, runs: dict[str, LoadedRun], dir_urls: bool) -> SeedRow:
    records = [runs[slug].record for slug in config.slugs]
    launch = {}
    for column in LAUNCH_COLUMNS:
        value = launch_spread(records, column)
        launch[column.key] = (value, spread_text(value, column))
    return SeedRow(
        key=config.key,
        label=config.label,
        backend=config.backend,
        quant=config.quant,
        href=relative_url(PAGE, f"configs/{config.key}.md", dir_urls),
        runs=len(config.slugs),
        targets=[target_cell(config, users) for users in SEED_USERS],
        launch=launch,
    )


def seed_groups(runs: Sequence[LoadedRun], dir_urls: bool) -> list[SeedGroup]:
    """One group per class x model x hardware x workload, real-weight GPU runs first."""
    by_slug = {run.slug: run for run in runs}
    buckets: dict[tuple[str, str, str, str], list[Configuration]] = {}
    for config in configurations(runs):
        buckets.setdefault((config.klass, config.model, config.hardware, config.workload), []).append(config)
    groups = []
    for (klass, model, hardware, workload), part in sorted(
        buckets.items(), key=lambda item: (item[0][0] != REAL_GPU_CLASS, item[0])
    ):
        title = f"{model} · {hardware} · {workload}"
        distinct_labels(part)  # two configurations of one backend and quantization differ in serving options
        rows = [seed_row(config, by_slug, dir_urls) for config in part]
        groups.append(SeedGroup(title, klass, rows))
    for group in groups:
        group.figures = seed_multiples([_bars(row) for row in group.rows], SEED_USERS)
    return groups


def _bars(row: SeedRow) -> ConfigBars:
    return ConfigBars(
        label=row.label,
        backend=row.backend,
        levels={cell.users: (cell.level, cell.value) for cell in row.targets},
        launch={key: value for key, (value, _) in row.launch.items()},
    )


def comparison_page(ctx: SiteContext) -> str:
    return template("backends_comparison.md.j2").render(
        fragments=ctx.fragments,
        groups=seed_groups(ctx.runs, ctx.dir_urls),
        class_label=class_label,
        users=SEED_USERS,
        level_columns=[BY_KEY[key] for key in LEVEL_COLUMNS],
        launch_columns=LAUNCH_COLUMNS,
        index_href=relative_url(PAGE, "backends/index.md", ctx.dir_urls),
        methodology_href=relative_url(PAGE, "methodology.md", ctx.dir_urls),
    )
