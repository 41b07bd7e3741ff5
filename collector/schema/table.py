"""The level table: one row per run x load level x trial, its columns generated from the run-record models.

The site publishes it as `data/levels.parquet` (typed columns) and documents every column on its Data page
from `level_table_columns()`. Columns come from the models themselves, so a new field of `LevelResult` (or of
a summary, goodput or energy) becomes a column with its type and description without touching this module:
scalar fields as they are, nested models flattened with '_' ('ttft_ms_p50', 'goodput_rate_rps'); lists and
free-form dicts (per-request records, error counts, server metric deltas) are left to the JSON files.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel

from collector.schema.models import LevelResult, RunRecord

# Run-level columns: dotted path into the RunRecord -> column name. Each row repeats them so the table is
# usable on its own (filter by backend, model, hardware without a join).
RUN_COLUMNS = {
    "run_id": "run_id",
    "created_at": "created_at",
    "status": "run_status",
    "origin.kind": "origin",
    "origin.tool": "origin_tool",
    "backend.name": "backend",
    "backend.version": "backend_version",
    "model.name": "model",
    "model.weights": "weights",
    "quantization.weights_dtype": "weights_dtype",
    "hardware.accelerator": "accelerator",
    "hardware.gpu_count": "gpu_count",
    "hardware.label": "hardware_label",
    "workload.api": "api",
    "workload.mode": "mode",
    "workload.input_tokens": "input_tokens",
    "workload.output_tokens": "output_tokens",
    "workload.kind": "workload_kind",
}


@dataclass(frozen=True)
class Column:
    """One column of the level table: its name, its type (Arrow's name for it) and what it holds."""

    name: str
    type: Literal["string", "int64", "double", "bool", "timestamp[us, tz=UTC]"]
    description: str


def _base_type(annotation: Any) -> Any:
    """The non-None member of an optional annotation (X | None -> X)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation


def _arrow_type(annotation: Any) -> str | None:
    """Arrow type of a scalar annotation; None for lists, dicts and anything else not tabular."""
    base = _base_type(annotation)
    if typing.get_origin(base) is typing.Annotated:
        base = typing.get_args(base)[0]
    if typing.get_origin(base) is Literal:
        return "string" if all(isinstance(v, str) for v in typing.get_args(base)) else None
    return {
        str: "string",
        int: "int64",
        float: "double",
        bool: "bool",
        datetime: "timestamp[us, tz=UTC]",
    }.get(base)


@cache  # the models do not change while the program runs; a site build asks once per run
def _model_columns(model: type[BaseModel], prefix: str, context: str) -> list[tuple[str, Column]]:
    """(dotted path, column) for every scalar leaf of a model, nested models flattened."""
    out: list[tuple[str, Column]] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        description = f"{context}{info.description or name}"
        base = _base_type(info.annotation)
        if isinstance(base, type) and issubclass(base, BaseModel):
            out.extend(_model_columns(base, f"{path}.", f"{info.description or name} -- "))
            continue
        arrow = _arrow_type(info.annotation)
        if arrow is not None:
            out.append((path, Column(path.replace(".", "_"), arrow, description)))  # type: ignore[arg-type]
    return out


@cache
def _run_columns() -> list[tuple[str, Column]]:
    found = dict(_model_columns(RunRecord, "", ""))
    return [
        (path, Column(name, found[path].type, found[path].description)) for path, name in RUN_COLUMNS.items()
    ]


def level_table_columns() -> list[Column]:
    """Every column of the level table, in order: the run's, then the level's."""
    return [column for _, column in (*_run_columns(), *_model_columns(LevelResult, "", ""))]


def _lookup(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def level_table_rows(record: RunRecord) -> list[dict[str, Any]]:
    """One row per entry of `record.results` (level x trial), keyed by column name."""
    run = record.model_dump(include={path.split(".")[0] for path in RUN_COLUMNS})
    run_values = {column.name: _lookup(run, path) for path, column in _run_columns()}
    level_columns = _model_columns(LevelResult, "", "")
    rows = []
    for level in record.results:
        data = level.model_dump(exclude={"requests", "itl_quantiles_ms", "turns"})
        row = dict(run_values)
        row.update({column.name: _lookup(data, path) for path, column in level_columns})
        rows.append(row)
    return rows
