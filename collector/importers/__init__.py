"""`inferboard import`: other tools' result files -> inferboard run records (origin: imported)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from collector.importers import aiperf, aiperf_multi, guidellm, llmd, vllm, vllm_sweep
from collector.importers.common import (
    ImportFormatError,
    ImportOptions,
    build_record,
    source_file,
)
from collector.schema import RunRecord

FORMATS = ("vllm", "aiperf", "guidellm", "llmd")

__all__ = [
    "FORMATS", "ImportFormatError", "ImportOptions", "import_files",
]  # fmt: skip


def import_files(fmt: str, paths: Sequence[Path], opts: ImportOptions) -> RunRecord:
    """Convert one or more files of one tool into ONE run record (each file's levels become its levels)."""
    if fmt not in FORMATS:
        raise ImportFormatError(fmt, f"unknown format; choose one of {', '.join(FORMATS)}")
    if not paths:
        raise ImportFormatError(fmt, "no files given")
    paths, notes = _expand_folders(fmt, paths)
    raws: list[tuple[Path, bytes]] = []
    for path in paths:
        try:
            raws.append((path, path.read_bytes()))
        except OSError as exc:
            raise ImportFormatError(str(path), f"cannot read file: {exc.strerror or exc}") from exc
    sources = [source_file(path, raw) for path, raw in raws]
    where = ", ".join(str(path) for path in paths)
    # One line for whatever a hostile or broken file makes the conversion trip on: a value the run schema
    # refuses (completed=-5, a negative latency) or nesting too deep for the JSON decoder.
    try:
        return _convert(fmt, raws, sources, opts, notes)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        value = repr(first.get("input"))[:60]
        raise ImportFormatError(where, f"{first['msg']} (got {value})", field or None) from None
    except RecursionError:
        raise ImportFormatError(where, "JSON nested too deeply") from None


def _expand_folders(fmt: str, paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """Files as given; a folder only for `vllm` (a `vllm bench sweep serve` output folder)."""
    files: list[Path] = []
    notes: list[str] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
        elif fmt == "vllm":
            found, found_notes = vllm_sweep.sweep_files(path)
            files.extend(found)
            notes.extend(found_notes)
        elif fmt == "aiperf":
            runs, aggregates = aiperf_multi.folder_files(path)
            files.extend([*runs, *aggregates])
        else:
            raise ImportFormatError(
                str(path), f"is a folder; {fmt} takes files (vllm and aiperf read their output folders)"
            )
    return files, notes


def _convert(
    fmt: str, raws: list[tuple[Path, bytes]], sources: list[Any], opts: ImportOptions, notes: list[str]
) -> RunRecord:
    if fmt == "vllm":
        run = vllm.parse(raws)
    elif fmt == "llmd":
        run = llmd.parse([(path, _yaml_or_json(path, raw)) for path, raw in raws])
    elif fmt == "aiperf":
        return _convert_aiperf(_decode(fmt, raws), sources, opts, notes)
    else:
        run = guidellm.parse(_decode(fmt, raws))
    run.notes.extend(note for note in notes if note not in run.notes)
    return build_record(run, sources, opts)


def _decode(fmt: str, raws: list[tuple[Path, bytes]]) -> list[tuple[Path, Any]]:
    decoded = []
    for path, raw in raws:
        if fmt == "guidellm" and path.suffix.lower() in (".yaml", ".yml"):
            decoded.append((path, _yaml_or_json(path, raw)))  # `guidellm export --output kind=yaml`
            continue
        if fmt == "guidellm" and path.suffix.lower() == ".csv":
            raise ImportFormatError(
                str(path), "guidellm's CSV export holds summaries only; import its JSON or YAML report"
            )
        try:
            decoded.append((path, json.loads(raw)))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ImportFormatError(str(path), f"not valid JSON ({exc})") from exc
    return decoded


def _convert_aiperf(
    decoded: list[tuple[Path, Any]], sources: list[Any], opts: ImportOptions, notes: list[str]
) -> RunRecord:
    """Single-run exports are levels; a multi-run aggregate is the repeat summary of its folder's runs."""
    aggregates = [(path, data) for path, data in decoded if aiperf_multi.is_aggregate(data)]
    runs = [(path, data) for path, data in decoded if not aiperf_multi.is_aggregate(data)]
    if not runs:
        raise ImportFormatError(
            str(decoded[0][0]), "an aggregate alone has no levels; import its artifact folder"
        )
    run = aiperf.parse(runs)
    if aggregates:
        run.notes.append(aiperf_multi.NOTE)
    run.notes.extend(note for note in notes if note not in run.notes)
    record = build_record(run, sources, opts)
    summaries = []
    for path, data in aggregates:
        artifact_dir = path.parent.parent
        own = [(p, d) for p, d in runs if p.parent.parent.parent == artifact_dir]
        loads = (
            {(lv.result.concurrency, lv.result.request_rate) for lv in aiperf.parse(own).levels}
            if own
            else set()
        )
        if len(loads) != 1:
            raise ImportFormatError(str(path), "give the aggregate with its folder's profile runs (one load)")
        (load,) = loads
        trials = [r for r in record.results if (r.concurrency, r.request_rate) == load]
        summaries.append(aiperf_multi.repeat_summary(path, data, trials, record.origin.foreign_metrics))
    record.repeat_summaries = summaries
    return record


def _yaml_or_json(path: Path, raw: bytes) -> Any:
    """A report in YAML or JSON (YAML's safe loader reads both)."""
    try:
        return yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImportFormatError(str(path), f"not valid YAML or JSON ({reason})") from exc
