"""runs/*.json -> validated run records. Only `collector.schema` decides what a valid run is."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from collector.schema import RunFileError, RunRecord, read_run_data, validate_run
from generator.data.publicpaths import public_data
from generator.render.safe import clean_text, run_slug


@dataclass(frozen=True)
class LoadedRun:
    """One valid run and where it came from."""

    record: RunRecord
    path: Path
    slug: str  # page and data file name; unique within a build


class RunReader(Protocol):
    """How `load_runs` turns a file into a run: `read` (may raise RunFileError), then, for a run the site
    keeps (not a duplicate id), `loaded` with its slug, which returns what the build holds of it."""

    def read(self, path: Path) -> RunRecord: ...

    def loaded(self, run: LoadedRun) -> LoadedRun: ...


def read_public_run(path: Path) -> RunRecord:
    """One run file as the site may publish it (local paths made public before the one validation)."""
    raw, data = read_run_data(path)
    return validate_run(public_data(data, raw), str(path))


class PlainReader:
    """Every file parsed and validated; the whole record kept."""

    def read(self, path: Path) -> RunRecord:
        return read_public_run(path)

    def loaded(self, run: LoadedRun) -> LoadedRun:
        return run


@dataclass
class LoadResult:
    runs: list[LoadedRun] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line per skipped file, naming file and field
    files_seen: int = 0


def _read_one(reader: RunReader, path: Path) -> RunRecord:
    """One run file as the site may publish it (local paths rewritten), validated once."""
    try:
        return reader.read(path)
    except RunFileError:
        raise
    except RecursionError:
        # json.loads gives up on absurdly deep nesting; that is a bad file, not a crashed build.
        raise RunFileError(str(path), "JSON nested too deeply") from None
    except (ValueError, TypeError, OverflowError, MemoryError) as exc:
        raise RunFileError(str(path), f"cannot be read as a run: {type(exc).__name__}: {exc}") from None


def _unique_slug(run_id: str, taken: set[str]) -> str:
    slug = run_slug(run_id)
    if slug in taken:  # ids that differ only in case, or a hash clash
        slug = f"{slug}-{hashlib.sha256(run_id.encode('utf-8', 'replace')).hexdigest()[:8]}"
    n = 2
    base = slug
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    taken.add(slug)
    return slug


def settle(record: RunRecord) -> None:
    """What loading does to every record before the site uses it."""
    if record.capacity is not None and record.capacity.interrupted and not record.capacity.probes:
        # Older runs: a search stopped before its first probe finished found no capacity (not "0").
        record.capacity = None


def run_files(runs_dir: Path) -> list[Path]:
    """Run files in a folder, in a stable order (name order; the first of duplicate ids wins)."""
    return sorted(p for p in runs_dir.glob("*.json") if not p.name.startswith("."))


def load_runs(runs_dir: Path, reader: RunReader | None = None) -> LoadResult:
    """Load every `*.json` in runs_dir. Bad files and duplicate run ids become one-line problems."""
    reader = reader or PlainReader()
    result = LoadResult()
    seen_ids: dict[str, Path] = {}
    slugs: set[str] = set()
    root = runs_dir.resolve()
    for path in run_files(runs_dir):
        result.files_seen += 1
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            # A link can make the site publish any file the builder can read (~/.ssh, another project).
            result.problems.append(clean_text(f"{path}: a symbolic link to outside the runs folder"))
            continue
        if not path.is_file():
            result.problems.append(f"{path}: not a regular file")
            continue
        try:
            record = _read_one(reader, path)
        except RunFileError as exc:
            result.problems.append(clean_text(str(exc)))
            continue
        first = seen_ids.get(record.run_id)
        if first is not None:
            result.problems.append(
                clean_text(f"{path}: field 'run_id': duplicate run id {record.run_id!r} (kept {first})")
            )
            continue
        seen_ids[record.run_id] = path
        settle(record)
        result.runs.append(reader.loaded(LoadedRun(record, path, _unique_slug(record.run_id, slugs))))
    return result
