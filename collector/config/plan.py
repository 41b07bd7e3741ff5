"""A suite as a fleet of jobs: a stable id per cell, the runner label its hardware needs, and the plan that
`inferboard suite plan` prints (text, JSON, or the GitHub Actions matrix that `collect.yml` fans out).

The cell id is the server name, or `server+workload` when the suite has workloads (`vllm-bf16/chat` is
`vllm-bf16+chat`). Server and workload names are unique within a suite and made of letters, digits, `.`, `_`
and `-`, so `+` (never part of a name) keeps every id unique and readable back into its two names; the id
is a safe file name, artifact name and shell word, and it depends only on the names, so it is stable
across runs and edits that keep them. `inferboard collect SUITE --cell ID` runs the cell it names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Literal

from collector.config.suite import Cell, SuiteError, levels_text, workload_text

PlanFormat = Literal["text", "json", "github-matrix"]
PLAN_FORMATS: tuple[PlanFormat, ...] = ("text", "json", "github-matrix")
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MAX_MATRIX_JOBS = 256  # GitHub Actions runs at most this many jobs from one matrix


def cell_id(cell: Cell) -> str:
    """`server` or `server+workload` (see the module docstring for why it is unique and safe)."""
    return cell.server.name if cell.workload is None else f"{cell.server.name}+{cell.workload}"


def find_cell(cells: Sequence[Cell], ident: str) -> Cell:
    """The cell with id `ident`; an unknown id is a SuiteError listing the valid ones."""
    for cell in cells:
        if cell_id(cell) == ident:
            return cell
    where = f"{cells[0].suite.path}: " if cells else ""
    valid = ", ".join(cell_id(c) for c in cells)
    raise SuiteError(f"{where}no cell with id {ident!r} (cell ids: {valid})")


def _check_ids(cells: Sequence[Cell]) -> None:
    # Artifact names and some file systems ignore case: two ids that differ only in case would clash there.
    seen: dict[str, str] = {}
    for cell in cells:
        ident = cell_id(cell)
        other = seen.setdefault(ident.lower(), ident)
        if other != ident:
            raise SuiteError(
                f"{cell.suite.path}: cells {other!r} and {ident!r} differ only in case, so their artifacts "
                "would clash; rename a server or workload"
            )


def _runner(cell: Cell, default_runner: str | None) -> str | None:
    return cell.runner or default_runner


def plan_entries(cells: Sequence[Cell], default_runner: str | None = None) -> list[dict[str, Any]]:
    """One JSON-ready entry per cell: its id, name, runner label and what it runs."""
    if default_runner is not None and not _LABEL.match(default_runner):
        raise SuiteError(
            f"--default-runner {default_runner!r}: a runner label is letters, digits, '.', '_', '-'"
        )
    _check_ids(cells)
    return [
        {
            "cell": cell_id(cell),
            "name": cell.name,
            "runner": _runner(cell, default_runner),
            "server": cell.server.name,
            "workload": cell.workload,
            "mode": cell.server.mode,
            "backend": cell.server.backend,
            "levels": cell.options.level_count(),
            "runs": f"{workload_text(cell.options)}; {levels_text(cell.options)}",
            "options": cell.options.model_dump(mode="json", exclude_none=True),
        }
        for cell in cells
    ]


def github_matrix(cells: Sequence[Cell], default_runner: str | None = None) -> str:
    """`{"include": [{"cell", "runner", "name"}, ...]}` on one line, for `fromJSON` in a workflow."""
    entries = plan_entries(cells, default_runner)
    missing = [e["cell"] for e in entries if e["runner"] is None]
    if missing:
        raise SuiteError(
            f"{cells[0].suite.path}: cell {missing[0]!r} has no runner label: give the server a `runner:`, "
            "set defaults.runner, or pass --default-runner"
        )
    if len(entries) > MAX_MATRIX_JOBS:
        raise SuiteError(
            f"{cells[0].suite.path}: {len(entries)} cells, over the {MAX_MATRIX_JOBS} jobs a GitHub Actions "
            "matrix can hold; split the suite"
        )
    include = [{"cell": e["cell"], "runner": e["runner"], "name": e["name"]} for e in entries]
    return json.dumps({"include": include}, separators=(",", ":"))


def plan_table(cells: Sequence[Cell], default_runner: str | None = None) -> str:
    """One line per cell: id, runner label, and what it runs."""
    entries = plan_entries(cells, default_runner)
    if not entries:
        return "no cells planned\n"
    suite = cells[0].suite
    width = max(len(e["cell"]) for e in entries)
    runner_width = max(len(e["runner"] or "-") for e in entries)
    lines = [f"suite {suite.path} (sha256 {suite.sha256[:12]}): {len(entries)} cells"]
    for e in entries:
        runner = e["runner"] or "-"
        what = f"[{e['mode']}, backend {e['backend']}] {e['runs']}"
        lines.append(f"  {e['cell']:<{width}}  {runner:<{runner_width}}  {what}")
    if any(e["runner"] is None for e in entries):
        lines.append("  (-: no runner label; give `runner:` in the suite or --default-runner)")
    return "\n".join(lines) + "\n"


def render_plan(cells: Sequence[Cell], fmt: PlanFormat, default_runner: str | None = None) -> str:
    """The plan in `fmt`, ending with a newline."""
    if fmt == "github-matrix":
        return github_matrix(cells, default_runner) + "\n"
    if fmt == "json":
        return json.dumps(plan_entries(cells, default_runner), indent=2) + "\n"
    return plan_table(cells, default_runner)
