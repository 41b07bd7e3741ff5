"""`inferboard import`: other tools' result files -> inferboard run records (origin: imported)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from collector.importers import aiperf, guidellm, vllm
from collector.importers.common import (
    ImportFormatError,
    ImportOptions,
    build_record,
    source_file,
)
from collector.schema import RunRecord

FORMATS = ("vllm", "aiperf", "guidellm")

__all__ = [
    "FORMATS", "ImportFormatError", "ImportOptions", "import_files",
]  # fmt: skip


def import_files(fmt: str, paths: Sequence[Path], opts: ImportOptions) -> RunRecord:
    """Convert one or more files of one tool into ONE run record (each file's levels become its levels)."""
    if fmt not in FORMATS:
        raise ImportFormatError(fmt, f"unknown format; choose one of {', '.join(FORMATS)}")
    if not paths:
        raise ImportFormatError(fmt, "no files given")
    raws: list[tuple[Path, bytes]] = []
    for path in paths:
        try:
            raws.append((path, path.read_bytes()))
        except OSError as exc:
            raise ImportFormatError(str(path), f"cannot read file: {exc.strerror or exc}") from exc
    sources = [source_file(path, raw) for path, raw in raws]
    if fmt == "vllm":
        run = vllm.parse(raws)
    else:
        decoded = []
        for path, raw in raws:
            try:
                decoded.append((path, json.loads(raw)))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ImportFormatError(str(path), f"not valid JSON ({exc})") from exc
        run = aiperf.parse(decoded) if fmt == "aiperf" else guidellm.parse(decoded)
    return build_record(run, sources, opts)
