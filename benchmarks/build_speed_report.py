"""The Markdown report of benchmarks/build_speed.py: its tables and issue 24's targets, met or missed,
from the measured rows only."""

from __future__ import annotations

import itertools
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


STAGES = (
    "prefill",
    "load+validate",
    "agreement",
    "frames",
    "pages",
    "quality-pages",
    "assets+guides",
    "mkdocs",
    "run-pages",
    "swap-in",
    "cache-sweep",
)
TARGET_RUNS, TARGET_SECONDS, TARGET_MIB, PAGE_LIMIT_KIB = 10_000, 60.0, 2048.0, 1_500_000 / 1024
PAGES = ("home_kib", "leaderboard_kib", "charts_kib", "compare_kib", "all_runs_kib", "largest_data_kib")


def target_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Each of issue 24's build targets, met or missed, from the measured rows (never assumed)."""
    lines = []
    for kind in sorted({r["kind"] for r in rows}):
        mine = sorted((r for r in rows if r["kind"] == kind), key=lambda r: r["runs"])
        at = next((r for r in mine if r["runs"] == TARGET_RUNS), None)
        if at is None:
            lines.append(f"- {kind}: no {TARGET_RUNS:,}-run build measured; the targets were not checked.")
        elif "failed" in at:
            lines.append(f"- {kind}, {TARGET_RUNS:,} runs: **MISSED**, the build failed ({at['failed']}).")
        else:
            lines += _time_and_memory(kind, at)
            heavy = [f"{k[:-4]} {at[k]:.0f} KiB" for k in PAGES if at[k] > PAGE_LIMIT_KIB]
            lines.append(
                f"- {kind}, {TARGET_RUNS:,} runs, every page under 1.5 MB: "
                + ("met" if not heavy else "**MISSED** (" + ", ".join(heavy) + ")")
            )
        mine = [r for r in mine if "failed" not in r]
        for small, large in itertools.pairwise(mine):  # each step: fixed costs hide less at scale
            for label, key in (("time", "seconds"), ("peak memory", "peak_mib")):
                growth = (large[key] / small[key]) / (large["runs"] / small["runs"])
                verdict = "linear or better" if growth <= 1.15 else "**faster than linear**"
                lines.append(
                    f"- {kind}, {label} from {small['runs']:,} to {large['runs']:,} runs grows "
                    f"{growth:.2f}x as fast as the run count: {verdict}"
                )
    return lines


BUILDS = (
    ("", "first build (empty cache)"),
    ("unchanged", "rebuild, no run changed"),
    ("one_added", "rebuild after one run was added"),
)


def _time_and_memory(kind: str, at: dict[str, Any]) -> list[str]:
    lines = []
    for key, name in BUILDS:
        build = at[key] if key else at
        if not isinstance(build, dict):
            continue
        for label, got, limit, unit in (
            ("build time", build["seconds"], TARGET_SECONDS, "s"),
            ("peak memory", build["peak_mib"], TARGET_MIB, "MiB"),
        ):
            verdict = "met" if got < limit else "**MISSED**"
            lines.append(
                f"- {kind}, {TARGET_RUNS:,} runs, {name}, {label}: {got:.1f} {unit} (target < {limit:g}): "
                f"{verdict}"
            )
    return lines


def _incremental_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| runs | kind | " + " | ".join(f"{name}: s / MiB" for _, name in BUILDS) + " | 1-min load |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "failed" in r or "unchanged" not in r:
            continue
        cells = [f"{b['seconds']:.1f} / {b['peak_mib']:.0f}" for b in (r, r["unchanged"], r["one_added"])]
        lines.append(f"| {r['runs']} | {r['kind']} | " + " | ".join(cells) + f" | {r['load_avg']:.1f} |")
    return lines


INTRO = [
    "How long `inferboard build` takes for N runs with 8 load levels each, how much memory it needs, and",
    "how large the pages get. Produced by `python benchmarks/build_speed.py`; every figure below is",
    "measured by that script.",
    "",
    "*synthetic* runs are schema-valid benchmark fixtures (numbers from a formula, 32 request records",
    "per level, 120 telemetry samples); *realistic* runs are replicas of the committed real runs",
    "(quality answers, server metrics, per-request records, telemetry, repeated trials on one run in",
    "four, half of them sharing one model's weights, ~40 model names). Both are labelled",
    "`benchmark-fixture` and generated in a temporary folder, never in `runs/`. Time is wall-clock",
    "for the whole `inferboard build` process and its worker processes (validation, pandas, pages,",
    "MkDocs with Material and search); peak memory is the largest resident set (ru_maxrss) of the",
    "build process or of any one of its workers (they run while the build process waits on them, each",
    "holding one batch of 64 runs at a time). A page's weight is its HTML plus the data assets its",
    "script loads for the default view. plotly.js and the theme are shared, cached assets and are not",
    "counted. The first table is each size's first build, with an empty build cache.",
    "*All runs* is the first page of the plain HTML list of runs.",
]


def report(rows: list[dict[str, Any]]) -> str:
    lines = [
        "# Benchmark: site build speed",
        "",
        *INTRO,
        "",
        f"Machine: {cpu_model()}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}; "
        f"measured {datetime.now(UTC):%Y-%m-%d}.",
        "",
        "| runs | kind | first build (s) | peak memory (MiB) | home (KiB) | leaderboard (KiB) | charts (KiB) "
        "| compare (KiB) | all runs (KiB) | one run page (KiB) | largest data file (KiB) "
        "| all data files (KiB) | 1-min load average |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "failed" in r:
            lines.append(
                f"| {r['runs']} | {r['kind']} | build failed after {r['seconds']:.0f} s: {r['failed']} | "
                f"{r['peak_mib']:.0f} |" + " — |" * 9
            )
            continue
        lines.append(
            f"| {r['runs']} | {r['kind']} | {r['seconds']:.1f} | {r['peak_mib']:.0f} | {r['home_kib']:.0f} | "
            f"{r['leaderboard_kib']:.0f} | {r['charts_kib']:.0f} | {r['compare_kib']:.0f} | "
            f"{r['all_runs_kib']:.0f} | {r['run_page_kib']:.0f} | {r['largest_data_kib']:.0f} | "
            f"{r['data_total_kib']:.0f} | {r['load_avg']:.1f} |"
        )
    lines += [
        "",
        "## Rebuilds with the build cache",
        "",
        "The table above is each size's first build, with an empty build cache (every run parsed, validated",
        "and rendered, on every core). The same site was then rebuilt twice with the cache the first build",
        "left (`.<site>.ib-cache`): once with no run changed, and once after one new run was added (what",
        "CI does when a run lands). Seconds of wall-clock time / peak MiB of the build process:",
        "",
        *_incremental_table(rows),
        "",
        "Seconds per build stage (INFERBOARD_BUILD_PROFILE=1); *prefill* is the worker processes filling",
        "the cache, *load+validate* the ordered pass over the run files:",
        "",
    ]
    lines.append("| runs | kind | build | " + " | ".join(STAGES) + " |")
    lines.append("|---:|---|---|" + "---:|" * len(STAGES))
    for r in rows:
        for key, name in BUILDS:
            stages = (r.get(key) if key else r) or {}
            cells = " | ".join(
                f"{stages['stages'][k]:.1f}" if k in stages.get("stages", {}) else "—" for k in STAGES
            )
            lines.append(f"| {r['runs']} | {r['kind']} | {name} | {cells} |")
    lines += [
        "",
        f"plotly-basic.min.js (partial bundle, loaded only by pages with charts, cached): "
        f"{next((r['plotly_kib'] for r in rows if 'plotly_kib' in r), 0):.0f} KiB.",
        "",
        "A load average above 2 means other work shared the two cores, so the build times are upper bounds.",
        "",
        "## Targets (issue 24)",
        "",
        *target_lines(rows),
        "",
        "Raw output: `benchmarks/results/build_speed.jsonl`.",
        "",
    ]
    return "\n".join(lines)
