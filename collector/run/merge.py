"""`inferboard runs merge DIR... --into runs/`: bring run files from several folders (a fleet's per-cell
artifacts) into the committed runs folder.

Every incoming file is read strictly (`collector.schema.load_run`). A run id already in the folder with the
same content is skipped, so merging twice changes nothing; a run id held by two different files, incoming or
committed, is refused naming both, and nothing is written for it (which one is right is a person's call); a
committed file is never overwritten. Each accepted file is written atomically under the collector's own
file name. A refused file does not stop the others (a failed cell loses no other cell's runs), but the
outcome says it was refused so the command can exit non-zero.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collector.schema import RunFileError, load_run
from collector.store import atomic_create_bytes, run_filename


@dataclass(frozen=True)
class _Incoming:
    path: Path
    run_id: str
    name: str  # the collector's file name for this run
    data: Any  # the parsed JSON: "same content" means equal JSON, whatever the formatting
    raw: bytes


@dataclass
class MergeOutcome:
    copied: list[tuple[Path, Path]] = field(default_factory=list)  # (source, written file)
    skipped: list[tuple[Path, Path]] = field(
        default_factory=list
    )  # (source, the identical run already there)
    refused: list[str] = field(default_factory=list)  # one line each, naming the file(s)
    found: int = 0  # run files looked at


def run_files(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """The *.json files of each folder (a file is taken as given), and a line for each path not found."""
    files: list[Path] = []
    missing: list[str] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(f for f in p.glob("*.json") if f.is_file()))
        elif p.is_file():
            files.append(p)
        else:
            missing.append(f"{p}: no such file or folder")
    return files, missing


def _committed(into: Path) -> dict[str, tuple[Path, Any]]:
    """Run id -> (file, parsed JSON) of the runs already in `into`; files that are not run JSON are left to
    `inferboard validate` (their names are still never overwritten)."""
    known: dict[str, tuple[Path, Any]] = {}
    for path in sorted(into.glob("*.json")) if into.is_dir() else []:
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError):
            continue
        run_id = data.get("run_id") if isinstance(data, dict) else None
        if isinstance(run_id, str):
            known.setdefault(run_id, (path, data))
    return known


def _read(path: Path) -> _Incoming:
    record = load_run(path)  # RunFileError names the file and the field
    raw = path.read_bytes()
    return _Incoming(path, record.run_id, run_filename(record), json.loads(raw), raw)


def _unique_incoming(files: Sequence[Path], outcome: MergeOutcome) -> list[_Incoming]:
    """Valid incoming runs, one per run id; invalid files and conflicting ids go to `outcome.refused`."""
    by_id: dict[str, list[_Incoming]] = {}
    for path in files:
        try:
            run = _read(path)
        except RunFileError as exc:
            outcome.refused.append(f"{exc}")
            continue
        by_id.setdefault(run.run_id, []).append(run)
    unique: list[_Incoming] = []
    for run_id, runs in by_id.items():
        first = runs[0]
        different = [r for r in runs[1:] if r.data != first.data]
        if different:
            outcome.refused.append(
                f"{first.path} and {different[0].path}: two different files with run id {run_id!r}; "
                "neither is merged"
            )
            continue
        outcome.skipped.extend((r.path, first.path) for r in runs[1:])
        unique.append(first)
    return unique


def merge_runs(sources: Sequence[Path], into: Path) -> MergeOutcome:
    """Copy the run files under `sources` into `into` (see the module docstring for the rules)."""
    outcome = MergeOutcome()
    files, missing = run_files(sources)
    outcome.refused.extend(missing)
    outcome.found = len(files)
    committed = _committed(into)
    accepted: list[_Incoming] = []
    for run in _unique_incoming(files, outcome):
        there = committed.get(run.run_id)
        if there is not None:
            if there[1] == run.data:
                outcome.skipped.append((run.path, there[0]))
            else:
                outcome.refused.append(
                    f"{run.path}: run id {run.run_id!r} is already in {there[0]} with different content; "
                    "a committed run is never overwritten"
                )
            continue
        accepted.append(run)
    if accepted:
        into.mkdir(parents=True, exist_ok=True)  # OSError: the caller reports the folder it could not make
    for run in accepted:
        target = into / run.name
        try:
            atomic_create_bytes(target, run.raw)
        except FileExistsError:
            outcome.refused.append(
                f"{run.path}: {target} already exists and holds another run; it is never overwritten"
            )
            continue
        except OSError as exc:
            outcome.refused.append(f"{run.path}: cannot write {target} ({exc.strerror or exc})")
            continue
        outcome.copied.append((run.path, target))
    return outcome
