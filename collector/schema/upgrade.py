"""Loading run records with version checks: older files are upgraded, newer ones refused (asv-style)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from collector.schema.errors import InferboardError
from collector.schema.models import SCHEMA_VERSION, RunRecord


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 made summary statistics optional and added optional top-level sections; a v1 record is
    already a valid v2 record, so only the version number changes."""
    return data


# UPGRADERS[v] turns a version-v dict into a version-(v+1) dict.
UPGRADERS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def _cut_negative_low_bounds(data: dict[str, Any]) -> dict[str, Any]:
    """Files written before intervals were cut at 0 can hold a negative low bound (two noisy trials). Every
    interval in `repeat_summaries` is a headline metric (a latency, a throughput, tokens/s), none of which can
    be negative: cut the bound at 0 as the collector does now, and say so in `method`. Copies what it changes;
    anything not shaped as expected is left for validation to report."""
    summaries = data.get("repeat_summaries")
    if not isinstance(summaries, list):
        return data
    repaired = []
    for summary in summaries:
        intervals = summary.get("intervals") if isinstance(summary, dict) else None
        if isinstance(intervals, dict):
            fixed = {}
            for name, ci in intervals.items():
                low = ci.get("low") if isinstance(ci, dict) else None
                if isinstance(low, int | float) and not isinstance(low, bool) and low < 0:
                    method = ci.get("method", "student-t")
                    ci = {**ci, "low": 0.0, "method": f"{method}, low bound cut at 0"}
                fixed[name] = ci
            summary = {**summary, "intervals": fixed}
        repaired.append(summary)
    return {**data, "repeat_summaries": repaired}


# Repairs of what older collectors wrote wrong, whatever the file's version; each is idempotent.
REPAIRS: tuple[Callable[[dict[str, Any]], dict[str, Any]], ...] = (_cut_negative_low_bounds,)


class RunFileError(InferboardError, ValueError):
    """A run file that cannot be used; the message names the file and, where possible, the field."""

    def __init__(self, source: str, message: str, field: str | None = None) -> None:
        self.source = source
        self.field = field
        self.reason = message
        where = f"{source}: field '{field}': " if field else f"{source}: "
        super().__init__(where + message)


def _printable(part: object) -> str:
    """A field name as one readable line: a key from the file may hold newlines or control characters."""
    text = str(part)
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _first_error_location(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    loc = ".".join(_printable(part) for part in err["loc"]) or "(root)"
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return loc, f"{err['msg']}{suffix}"


def upgrade(data: dict[str, Any], source: str = "<data>") -> dict[str, Any]:
    """Bring a decoded run dict up to SCHEMA_VERSION and apply REPAIRS, or raise RunFileError."""
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise RunFileError(source, "missing or non-integer schema_version", "schema_version")
    if version > SCHEMA_VERSION:
        raise RunFileError(
            source,
            f"schema_version {version} is newer than this inferboard understands ({SCHEMA_VERSION}); "
            "upgrade inferboard to read it",
            "schema_version",
        )
    if version < 1:
        raise RunFileError(source, f"schema_version {version} is not a valid version", "schema_version")
    while version < SCHEMA_VERSION:
        data = UPGRADERS[version](data)
        version += 1
        data["schema_version"] = version
    for repair in REPAIRS:
        data = repair(data)
    return data


def validate_run(data: dict[str, Any], source: str = "<data>") -> RunRecord:
    """Validate an upgraded run dict (what `read_run_data` returns) as a RunRecord, or raise RunFileError."""
    try:
        return RunRecord.model_validate(data)
    except ValidationError as exc:
        field, msg = _first_error_location(exc)
        raise RunFileError(source, msg, field) from None
    except RecursionError:
        raise RunFileError(source, "JSON nested too deeply") from None


def parse_run(data: Any, source: str = "<data>") -> RunRecord:
    """Validate a decoded JSON value as a run record (upgrading older versions)."""
    if not isinstance(data, dict):
        raise RunFileError(source, f"expected a JSON object, got {type(data).__name__}")
    return validate_run(upgrade(dict(data), source), source)


def read_run_data(path: str | Path, max_bytes: int = 64 * 1024 * 1024) -> tuple[bytes, dict[str, Any]]:
    """One run file's bytes and its decoded, upgraded dict (not yet validated: `validate_run` does that).
    A reader that rewrites the dict before validating (the site's public paths) validates once, not twice."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise RunFileError(str(p), f"cannot read: {exc.strerror or exc}") from None
    if size == 0:
        raise RunFileError(str(p), "file is empty")
    if size > max_bytes:
        raise RunFileError(str(p), f"file is {size} bytes, over the {max_bytes}-byte limit for run files")
    try:
        raw = p.read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise RunFileError(str(p), "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise RunFileError(
            str(p), f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except OSError as exc:
        raise RunFileError(str(p), f"cannot read: {exc.strerror or exc}") from None
    except RecursionError:
        raise RunFileError(str(p), "JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise RunFileError(str(p), f"expected a JSON object, got {type(data).__name__}")
    return raw, upgrade(data, str(p))


def load_run(path: str | Path, max_bytes: int = 64 * 1024 * 1024) -> RunRecord:
    """Read and validate one run file. Raises RunFileError naming the file (and field)."""
    _, data = read_run_data(path, max_bytes)
    return validate_run(data, str(path))


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the current run record."""
    schema = RunRecord.model_json_schema()
    schema["$id"] = f"https://inferboard.dev/schema/run-v{SCHEMA_VERSION}.json"
    return schema
