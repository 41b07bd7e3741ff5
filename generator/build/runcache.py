"""The build's per-run cache: what a run file yields for the site, kept by the file's content hash.

Everything the site makes from one run alone (the validated record, its page body, its raw JSON and llm-d
downloads, its rows of levels.parquet) is computed once per content and kept in a folder beside the site
(`.<site>.ib-cache`, or `--cache`). A later build reads a run file's bytes, hashes them and, when nothing
changed, takes those products from the cache instead of parsing, validating and rendering again: adding
one run to 10,000 re-renders one run page. The key also holds a digest of the code and settings that shape
the products (generator, run schema, Markdown configuration, link style), so a new inferboard or another
mkdocs.yml never reuses a stale page. Entries this build did not use are removed at its end.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collector.schema import RunRecord

GENERATOR_ROOT = Path(__file__).parents[1]
SCHEMA_ROOT = Path(__file__).parents[2] / "collector" / "schema"
# Raised whenever what is stored in an entry changes shape (the code digest covers the code itself).
CACHE_FORMAT = "2"
RECORD_FILE = "record.pickle"
ROWS_FILE = "rows.pickle"
RAW_FILE = "run.json"
LLMD_FILE = "llmd.zip"


def code_digest(settings: str) -> str:
    """A digest of the code and settings a cached product depends on: every source and template file of the
    generator and of the run schema, plus `settings` (the Markdown configuration, the link style)."""
    h = hashlib.sha256(f"{CACHE_FORMAT}\n{settings}\n".encode())
    for root in (GENERATOR_ROOT, SCHEMA_ROOT):
        for path in sorted(root.rglob("*")):
            if path.suffix in {".py", ".j2"} and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:20]


def trimmed(record: RunRecord) -> RunRecord:
    """The record without what only its own page and downloads read (each request, the ITL quantiles,
    telemetry samples): the build keeps every run in memory for the pooled pages, and these are most of a
    run's weight."""
    results = [level.model_copy(update={"requests": [], "itl_quantiles_ms": []}) for level in record.results]
    update: dict[str, Any] = {"results": results}
    if record.telemetry is not None and record.telemetry.samples:
        update["telemetry"] = record.telemetry.model_copy(update={"samples": []})
    return record.model_copy(update=update)


@dataclass(frozen=True)
class CachedRun:
    """What the pooled pages need of one run, and where its own files are."""

    record: RunRecord  # trimmed
    entry: Path


def cached_rows(entry: Path) -> list[dict[str, Any]]:
    """The run's rows of levels.parquet, read when the table is written (not held with the record)."""
    rows: list[dict[str, Any]] = pickle.loads((entry / ROWS_FILE).read_bytes())
    return rows


class RunCache:
    """Entries `<root>/<hash[:2]>/<hash>-<code>/`; each is written in a scratch folder and renamed into
    place, so an interrupted build leaves no half entry."""

    def __init__(self, root: Path, code: str) -> None:
        self.root = root
        self.code = code
        self.used: set[Path] = set()
        root.mkdir(parents=True, exist_ok=True)

    def entry(self, content_hash: str) -> Path:
        return self.root / content_hash[:2] / f"{content_hash}-{self.code}"

    def get(self, content_hash: str) -> CachedRun | None:
        entry = self.entry(content_hash)
        try:
            record = pickle.loads((entry / RECORD_FILE).read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return None  # absent or damaged: computed again
        if not isinstance(record, RunRecord) or not (entry / ROWS_FILE).is_file():
            return None
        self.used.add(entry)
        return CachedRun(record, entry)

    def put(
        self, content_hash: str, record: RunRecord, rows: list[dict[str, Any]], raw_json: bytes, llmd: bytes
    ) -> CachedRun:
        entry = self.entry(content_hash)
        entry.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".new-", dir=entry.parent))
        try:
            (scratch / RECORD_FILE).write_bytes(pickle.dumps(record, protocol=5))
            (scratch / ROWS_FILE).write_bytes(pickle.dumps(rows, protocol=5))
            (scratch / RAW_FILE).write_bytes(raw_json)
            (scratch / LLMD_FILE).write_bytes(llmd)
            if entry.exists():  # a damaged entry
                shutil.rmtree(entry, ignore_errors=True)
            try:
                scratch.rename(entry)
            except OSError:  # another process of this build wrote the same content first: keep its entry
                if not (entry / RECORD_FILE).is_file():
                    raise
                shutil.rmtree(scratch, ignore_errors=True)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        self.used.add(entry)
        return CachedRun(record, entry)

    def sweep(self) -> int:
        """Remove every entry this build did not use; returns how many."""
        removed = 0
        for bucket in self.root.iterdir():
            if not bucket.is_dir():
                continue
            for entry in bucket.iterdir():
                if entry not in self.used:
                    shutil.rmtree(entry, ignore_errors=True)
                    removed += 1
        return removed


def body_file(entry: Path, slug: str) -> Path:
    """A run page body in its entry: one per slug, since links in the page carry the slug."""
    return entry / f"body-{slug}.html"


def write_atomically(path: Path, text: str) -> None:
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    scratch.write_text(text, encoding="utf-8")
    scratch.replace(path)


def link_or_copy(source: Path, target: Path) -> None:
    """Put a cached file into the site: a hard link when both are on one file system, else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
