"""Per-stage wall-clock timers for `inferboard build`, printed when INFERBOARD_BUILD_PROFILE is set.

They say where a slow build spends its time (loading and validating run files, agreement, pandas frames,
Markdown pages, MkDocs) without a profiler; benchmarks/build_speed.py reads the lines they print.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

PROFILE_ENV = "INFERBOARD_BUILD_PROFILE"
PREFIX = "inferboard-build-stage"


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time one stage; with INFERBOARD_BUILD_PROFILE set, print `inferboard-build-stage <name> <s> <MiB>`
    (seconds it took; the process's peak resident memory so far, which says which stage raised it)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        if os.environ.get(PROFILE_ENV):
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
            print(
                f"{PREFIX} {name} {time.perf_counter() - started:.3f} {peak:.0f}", file=sys.stderr, flush=True
            )
