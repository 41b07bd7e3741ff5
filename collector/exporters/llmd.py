"""Write each run's llm-d Benchmark Reports (one JSON file per level and trial) into a folder.

The mapping itself lives in `collector.schema.llmd` (pure, shared with the site generator); this module reads
run files and writes the reports atomically.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from collector.errors import InferboardError
from collector.schema import RunFileError, load_run
from collector.schema.llmd import FORMAT, run_reports
from collector.store import atomic_write_bytes

FORMATS = (FORMAT,)


class ExportError(InferboardError, ValueError):
    """A run file that cannot be read, or a folder that cannot be written; one line naming which."""


def export_runs(fmt: str, paths: Sequence[Path], out_dir: Path) -> list[Path]:
    """Write the reports of every run file; returns the written paths (run by run, level by level)."""
    if fmt not in FORMATS:
        raise ExportError(f"{fmt}: unknown export format; choose one of {', '.join(FORMATS)}")
    records = []
    for path in paths:
        try:
            records.append(load_run(path))
        except RunFileError as exc:
            raise ExportError(str(exc)) from exc
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{out_dir}: cannot create folder: {exc.strerror or exc}") from exc
    written = []
    for record in records:
        for name, report in run_reports(record):
            target = out_dir / name
            text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
            try:
                atomic_write_bytes(target, text.encode("utf-8"))
            except OSError as exc:
                raise ExportError(f"{target}: cannot write: {exc.strerror or exc}") from exc
            written.append(target)
    return written
