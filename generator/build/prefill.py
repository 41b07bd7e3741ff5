"""Filling the build cache on every core before the runs are read in order.

A first build of thousands of runs spends most of its time on work that each run needs alone: parsing and
validating the file, rendering its page, writing its downloads (build/runpages.py). That work goes to a pool
of worker processes, one per core, which write the results into the build cache; the ordered pass that
follows (`load_runs`, which decides duplicates and page names) then finds every run in the cache. A bad
file is skipped here and reported by that pass, in its usual one line.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from pathlib import Path

from collector.schema import InferboardError
from generator.build.runcache import RunCache
from generator.build.runpages import BODY_BATCH, MAX_RUN_BYTES, MarkdownToHtml, RunReader
from generator.data.load import LoadedRun, run_files, settle
from generator.render.safe import run_slug

# Below this many uncached runs, starting the workers costs more than it saves.
MIN_RUNS_FOR_WORKERS = 64
_worker: RunReader | None = None


def _uncached(runs_dir: Path, cache: RunCache) -> list[Path]:
    missing = []
    for path in run_files(runs_dir):
        try:
            if not 0 < path.stat().st_size <= MAX_RUN_BYTES or path.is_symlink():
                continue  # reported by the ordered pass
            content_hash = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue
        if not cache.entry(content_hash).is_dir():
            missing.append(path)
    return missing


def _start_worker(cache_root: Path, code: str, config_file: Path, dir_urls: bool) -> None:
    global _worker
    # Ctrl-C is the build's to handle: it stops the pool (SIGTERM to each worker, which then just ends)
    # instead of every worker printing its own traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _worker = RunReader(RunCache(cache_root, code), MarkdownToHtml(config_file), dir_urls)
    gc.freeze()  # what the worker inherited and made at start lives until it ends: never walk it


def _fill_some(paths: list[Path]) -> int:
    reader = _worker
    assert reader is not None
    for path in paths:
        try:
            record = reader.read(path)
            settle(record)
            reader.loaded(LoadedRun(record, path, run_slug(record.run_id)))
        except (InferboardError, OSError, ValueError, TypeError, RecursionError, MemoryError):
            pass  # the ordered pass reads it again and reports it
    reader.flush()
    reader.pages.clear()
    return len(paths)


def prefill(
    runs_dir: Path,
    cache: RunCache,
    config_file: Path,
    dir_urls: bool,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Put every uncached run of runs_dir into the cache with `workers` processes (default: one per core);
    returns how many runs were given to them (0: too few to be worth it, or one core)."""
    count = workers or min(os.cpu_count() or 1, 8)
    missing = _uncached(runs_dir, cache)
    if count < 2 or len(missing) < MIN_RUNS_FOR_WORKERS:
        return 0
    _run_pool(missing, count, (cache.root, cache.code, config_file, dir_urls), progress)
    return len(missing)


def _run_pool(
    paths: Sequence[Path],
    count: int,
    init: tuple[Path, str, Path, bool],
    progress: Callable[[int, int], None] | None,
) -> None:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    # Leaving the `with` terminates the workers, so Ctrl-C stops them with the build.
    with context.Pool(count, initializer=_start_worker, initargs=init) as pool:
        done = 0
        for finished in pool.imap_unordered(_fill_some, _chunks(paths, BODY_BATCH)):
            done += finished
            if progress is not None:
                progress(done, len(paths))


def _chunks(paths: Sequence[Path], size: int) -> list[list[Path]]:
    return [list(paths[i : i + size]) for i in range(0, len(paths), size)]
