"""The fleet workflow rehearsed without Actions: the plan's cells run as separate processes with `--cell`
against the embedded engine (random weights, tiny requests), their run files merged, give the same cells,
levels and options as one `inferboard collect SUITE`: the same run files apart from times, ids, the command
line and what was measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from collector.cli.main import main

pytestmark = [pytest.mark.engine, pytest.mark.slow]

ENTRY = "from collector.cli.main import main; main()"
SUITE = """\
name: rehearsal
defaults: {api: completions, input_tokens: 16, output_tokens: 4, ignore_eos: true, warmup: 0, seed: 7}
load: {concurrency: [1, 2], requests: 2}
workloads:
  - name: chat
servers:
  - name: tiny-f32
    engine: {shape: tiny, dtype: f32, n_ctx: 256, parallel: 2, threads: 1}
    weights: random
    runner: cpu-a
  - name: tiny-q8
    engine: {shape: tiny, dtype: q8_0, n_ctx: 256, parallel: 2, threads: 1}
    weights: random
"""


def _inferboard(*args: str) -> subprocess.CompletedProcess[str]:
    """One `inferboard` command in its own process, as one Actions job would run it."""
    cmd = [sys.executable, "-c", ENTRY, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, f"{args}: {proc.stdout}{proc.stderr}"
    return proc


# What differs between two runs of the same cell: ids, times, the command line, a free port, a per-start
# random marker, and what was measured (figures, warnings about them, telemetry).
_VOLATILE = ("run_id", "created_at", "started_at", "finished_at", "command", "notes", "telemetry")
_VOLATILE_PARTS = {"backend": ("endpoint", "reported"), "launch": ("startup_s", "first_token_s", "memory")}


def _what_ran(path: Path) -> tuple[str, dict[str, Any]]:
    """A run's cell and its whole record less the volatile parts; levels reduced to what was run."""
    run = json.loads(path.read_text())
    for key in _VOLATILE:
        run.pop(key)
    for part, keys in _VOLATILE_PARTS.items():
        for key in keys:
            run[part].pop(key)
    run["results"] = [
        (r["concurrency"], r["request_rate"], r["trial"], r["status"], r["completed"], r["failed"])
        for r in run["results"]
    ]
    run.pop("repeat_summaries")  # measured intervals (none with one trial)
    return run["suite"]["cell"], run


def test_cells_run_apart_and_merged_equal_one_suite_run(tmp_path: Path) -> None:
    suite = tmp_path / "rehearsal.yaml"
    suite.write_text(SUITE)
    plan = _inferboard("suite", "plan", str(suite), "--format", "github-matrix", "--default-runner", "cpu")
    include = json.loads(plan.stdout)["include"]
    assert [(c["cell"], c["runner"]) for c in include] == [
        ("tiny-f32+chat", "cpu-a"),
        ("tiny-q8+chat", "cpu"),
    ]

    artifacts = tmp_path / "artifacts"
    for entry in include:  # one job per cell, each with its own artifact folder
        _inferboard(
            "collect", str(suite), "--cell", entry["cell"], "--out", str(artifacts / f"runs-{entry['cell']}")
        )
    merged = tmp_path / "merged"
    merge = _inferboard("runs", "merge", *sorted(str(p) for p in artifacts.iterdir()), "--into", str(merged))
    assert "2 copied, 0 already there, 0 refused" in merge.stdout

    whole = tmp_path / "whole"
    result = CliRunner().invoke(main, ["collect", str(suite), "--out", str(whole), "--no-progress"])
    assert result.exit_code == 0, result.output

    fleet = dict(_what_ran(p) for p in sorted(merged.glob("*.json")))
    single = dict(_what_ran(p) for p in sorted(whole.glob("*.json")))
    assert sorted(fleet) == sorted(single) == ["tiny-f32/chat", "tiny-q8/chat"]
    for cell in single:
        assert fleet[cell] == single[cell], cell
        assert fleet[cell]["results"] == [(1, None, 0, "complete", 2, 0), (2, None, 0, "complete", 2, 0)]
    # The command line is recorded as it ran, --cell included.
    commands = [json.loads(p.read_text())["command"] for p in sorted(merged.glob("*.json"))]
    assert all("--cell" in command for command in commands)
