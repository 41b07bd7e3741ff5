"""Shared pieces of the importers: options, summaries, foreign-metric bookkeeping, the record, the file.

An importer parses one tool's files into `FileLevel`s (one load level each, with the figures that have no
exact inferboard equivalent kept under the tool's own names) and a `ToolRun` (what the files say about the
run as a whole). `build_record` turns those into a RunRecord; nothing here guesses a value a file does not
state: unknown hardware is 'unknown', an unrecorded seed is null.
"""

from __future__ import annotations

import hashlib
import math
import platform
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from collector import __version__
from collector.errors import InferboardError
from collector.schema import (
    Backend,
    Collector,
    Hardware,
    Host,
    Launch,
    LevelResult,
    ModelInfo,
    Origin,
    RunRecord,
    Software,
    SourceFile,
    Summary,
    Timeouts,
    Workload,
)
from collector.schema.models import Scalar

HARDWARE_NOT_STATED = "imported: hardware not stated"


class ImportFormatError(InferboardError, ValueError):
    """A file that is not what the chosen format expects; the message names the file and the field."""

    def __init__(self, source: str, message: str, field: str | None = None) -> None:
        where = f"{source}: field '{field}': " if field else f"{source}: "
        super().__init__(where + message)


@dataclass(frozen=True)
class ImportOptions:
    """What the user states on the command line about facts the tool's files do not record."""

    backend: str | None = None
    backend_version: str | None = None
    model: str | None = None
    gpu: str | None = None
    gpu_count: int | None = None
    random_weights: bool = False
    tool_version: str | None = None
    labels: tuple[str, ...] = ()
    command: tuple[str, ...] = ()


@dataclass
class FileLevel:
    """One load level read from a tool's file, before trials are numbered and keys prefixed."""

    result: LevelResult
    foreign: dict[str, Scalar] = field(default_factory=dict)


@dataclass
class ToolRun:
    """What one or more files of a tool say about the run as a whole."""

    tool: str
    tool_version: str | None = None
    model: str | None = None
    endpoint: str | None = None
    api: Literal["completions", "chat"] = "completions"
    mode: Literal["concurrency", "rate"] = "concurrency"
    input_tokens: int | None = None
    output_tokens: int | None = None
    ignore_eos: bool | None = None
    seed: int | None = None
    burstiness: float | None = None
    max_concurrency: int | None = None
    requests_per_level: int | None = None
    duration_s_per_level: float | None = None
    warmup_requests: int = 0
    timeouts: Timeouts | None = None
    request_params: dict[str, Scalar] = field(default_factory=dict)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    levels: list[FileLevel] = field(default_factory=list)
    foreign: dict[str, Scalar] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def source_file(path: Path, raw: bytes) -> SourceFile:
    return SourceFile(name=path.name, sha256=hashlib.sha256(raw).hexdigest())


def number(value: Any) -> float | None:
    """A finite float from a JSON number, else None (strings such as 'inf' are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    out = float(value)
    return out if math.isfinite(out) else None


def summary_from_stats(
    stats: Mapping[str, Any], names: Mapping[str, str], scale: float = 1.0
) -> Summary | None:
    """A Summary from a tool's own statistics, or None when any of the nine figures is missing.

    `names` maps Summary field -> the tool's key. Nothing is filled in: a missing p90 means no Summary.
    """
    values: dict[str, float] = {}
    for ours, theirs in names.items():
        value = number(stats.get(theirs))
        if value is None:
            return None
        values[ours] = value if ours == "count" else value * scale
    count = values.pop("count")
    if count != int(count) or count < 0:
        return None
    return Summary(count=int(count), **values)


def flatten_scalars(prefix: str, value: Any, into: dict[str, Scalar], max_list: int = 64) -> None:
    """Keep every scalar under a dotted name; short lists of scalars are indexed, long arrays skipped."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            flatten_scalars(f"{prefix}.{key}" if prefix else str(key), item, into, max_list)
    elif isinstance(value, list):
        if len(value) <= max_list:
            for index, item in enumerate(value):
                flatten_scalars(f"{prefix}[{index}]", item, into, max_list)
    elif value is None or isinstance(value, str | bool | int):
        into[prefix] = value
    elif isinstance(value, float):
        into[prefix] = value if math.isfinite(value) else str(value)


def _level_tag(result: LevelResult) -> str:
    if result.concurrency is not None:
        tag = f"c{result.concurrency}"
    elif result.request_rate is not None:
        tag = f"r{result.request_rate:g}"
    else:
        tag = "level"
    return f"{tag}#{result.trial}" if result.trial else tag


def number_trials(levels: list[FileLevel]) -> list[FileLevel]:
    """Sort levels by load and number repeated loads as trials 0, 1, ..."""

    def load(level: FileLevel) -> tuple[float, float]:
        r = level.result
        return (r.concurrency if r.concurrency is not None else -1, r.request_rate or -1.0)

    seen: dict[tuple[float, float], int] = {}
    ordered = sorted(levels, key=load)
    for level in ordered:
        key = load(level)
        level.result.trial = seen.get(key, 0)
        seen[key] = level.result.trial + 1
    return ordered


def merge_foreign(run: ToolRun) -> dict[str, Scalar]:
    """Run-wide figures as they are; per-level ones prefixed 'c4/' (or 'r2.5/') when there are levels."""
    out: dict[str, Scalar] = dict(run.foreign)
    for level in run.levels:
        tag = _level_tag(level.result)
        for key, value in level.foreign.items():
            out[f"{tag}/{key}"] = value
    return out


def _hardware(opts: ImportOptions) -> Hardware:
    host = Host(python=platform.python_version())
    if opts.gpu:
        return Hardware(
            accelerator="gpu", host=host, gpu_count=opts.gpu_count or 1, nvml_available=False,
            nvml_reason="imported: hardware stated by flag", label=opts.gpu,
        )  # fmt: skip
    return Hardware(
        accelerator="unknown", host=host, gpu_count=opts.gpu_count or 0, nvml_available=False,
        nvml_reason=HARDWARE_NOT_STATED, label=None,
    )  # fmt: skip


def build_record(run: ToolRun, sources: Sequence[SourceFile], opts: ImportOptions) -> RunRecord:
    """Assemble the RunRecord of an import from what the files said and what the flags state."""
    if not run.levels:
        raise ImportFormatError(", ".join(s.name for s in sources), "no load levels found")
    levels = number_trials(run.levels)
    run.levels = levels
    hardware = _hardware(opts)
    gpus = hardware.gpu_count if hardware.accelerator == "gpu" else 0
    results = []
    for level in levels:
        result = level.result
        if gpus:
            result.output_throughput_per_gpu_tok_s = result.output_throughput_tok_s / gpus
        results.append(result)
    model_name = opts.model or run.model
    if not model_name:
        raise ImportFormatError(sources[0].name, "the file names no model; give it with --model")
    labels = ["imported", f"imported:{run.tool}"]
    labels.append("random-weights" if opts.random_weights else "")
    labels.append("" if opts.gpu else "hardware-unknown")
    labels.extend(opts.labels)
    workload = Workload(
        api=run.api, streaming=True, input_tokens=run.input_tokens, output_tokens=run.output_tokens,
        input_length_method="unknown", ignore_eos=run.ignore_eos, seed=run.seed,
        request_params=dict(run.request_params), mode=run.mode, burstiness=run.burstiness,
        max_concurrency=run.max_concurrency, requests_per_level=run.requests_per_level,
        duration_s_per_level=run.duration_s_per_level, warmup_requests=run.warmup_requests,
        repeats=max(r.trial for r in results) + 1, timeouts=run.timeouts,
    )  # fmt: skip
    return RunRecord(
        run_id=uuid.uuid4().hex,
        created_at=datetime.now(UTC),
        started_at=run.started_at,
        finished_at=run.finished_at,
        origin=Origin(
            kind="imported",
            tool=run.tool,
            tool_version=opts.tool_version or run.tool_version,
            source_files=list(sources),
            notes=list(run.notes),
            foreign_metrics=merge_foreign(run),
        ),
        collector=Collector(version=__version__),
        command=list(opts.command),
        backend=Backend(
            name=opts.backend or "unknown",
            version=opts.backend_version,
            version_source="flag" if opts.backend_version else None,
            endpoint=run.endpoint or "unknown",
        ),
        launch=Launch(mode="external"),
        model=ModelInfo(name=model_name, weights="random" if opts.random_weights else "real"),
        hardware=hardware,
        software=Software(
            python=platform.python_version(),
            platform=platform.platform(),
            packages={run.tool: v} if (v := opts.tool_version or run.tool_version) else {},
        ),
        workload=workload,
        results=results,
        labels=[label for label in dict.fromkeys(labels) if label],
        notes=[f"Imported from {run.tool} output by `inferboard import`; see origin.notes."],
    )


def first_line(text: str, limit: int = 200) -> str:
    """A short, single-line form of an error text (tracebacks keep their last line)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else "")[:limit]


def scalar_items(data: Mapping[str, Any], skip: Iterable[str]) -> dict[str, Scalar]:
    """Every scalar (and short scalar list) of a mapping except the keys already mapped."""
    skipped = set(skip)
    out: dict[str, Scalar] = {}
    for key, value in data.items():
        if key not in skipped:
            flatten_scalars(key, value, out)
    return out
