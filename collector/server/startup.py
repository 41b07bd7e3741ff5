"""Startup and deployment figures measured the same way for every server the collector starts.

One clock for both launch paths and for the load client: `time.perf_counter_ns()` (CLOCK_MONOTONIC on
Linux, the clock every request timestamp uses), so "process start -> first token" can be read off a request
outcome. Process start is the moment just before `subprocess.Popen` for a managed `--launch` server, and the
moment just before the llama.cpp server object is created for the embedded engine (it has no process of its
own; importing the library is not counted). Readiness is the first HTTP 200 from the readiness URL, polled
every READY_POLL_INTERVAL_S by both paths.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from collector.schema.models import EngineInstall

READY_POLL_INTERVAL_S = 0.2  # managed servers log each poll: faster would flood the log tail shown on failure
_MIB = 1024 * 1024


def seconds(ns: int) -> float:
    """A duration in seconds as the run file records startup figures: rounded to the millisecond."""
    return round(ns / 1e9, 3)


@dataclass
class StartupClock:
    """When a server's process started, and how long it took to answer ready (set by the launcher)."""

    started_ns: int = field(default_factory=time.perf_counter_ns)
    ready_ns: int | None = None

    def mark_ready(self) -> None:
        self.ready_ns = time.perf_counter_ns()

    @property
    def startup_s(self) -> float | None:
        return seconds(self.ready_ns - self.started_ns) if self.ready_ns is not None else None

    def since_start_s(self, ns: int) -> float:
        """Seconds from process start to `ns`, a perf_counter_ns() timestamp (a request outcome's)."""
        return seconds(ns - self.started_ns)


def launch_flags(argv: Sequence[str]) -> int:
    """Options on a launch line: the arguments that start with '-' (not a lone '-' or a negative number).

    `--opt value` and `--opt=value` both count once; positional arguments (the program, `serve`, a model
    path) do not count, nor does the interpreter's part of `python -m MODULE`. A measure of how much a recipe
    must spell out, not of what the flags do."""
    count = 0
    rest = argv[1:]
    if Path(argv[0]).name.startswith("python") and "-m" in rest[:-1]:
        rest = rest[rest.index("-m") + 2 :]
    for arg in rest:
        if not arg.startswith("-") or arg in ("-", "--"):
            continue
        try:
            float(arg)
        except ValueError:
            count += 1
    return count


def engine_install(distribution: str) -> EngineInstall | None:
    """The installed size of `distribution` in this Python environment, from the files its metadata lists
    (RECORD); None when it is not installed or lists no files (an editable or foreign install)."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    files = dist.files
    if not files:
        return None
    size = 0
    for path in files:
        try:
            size += Path(path.locate()).stat().st_size
        except OSError:  # listed but absent (e.g. __pycache__ not written): it takes no room
            continue
    return EngineInstall(
        distribution=dist.metadata["Name"] or distribution,
        version=dist.version,
        size_mib=round(size / _MIB, 3),
        files=len(files),
    )


# Modules whose engine is another distribution than the module's own.
_ENGINE_OF_MODULE = {"collector.server.engine": "xllamacpp"}


def _in_this_environment(program: str) -> bool:
    """Whether `program` (argv[0]) runs from this interpreter's bin directory: only then do the installed
    packages seen here describe what the launch runs (another venv or a container has its own)."""
    found = shutil.which(program)
    if found is None:
        return False
    return Path(os.path.abspath(found)).parent == Path(os.path.abspath(sys.executable)).parent


def launched_distribution(argv: Sequence[str]) -> str | None:
    """The Python distribution a launch line runs: `python -m MODULE ...` (the module's distribution) or a
    console script (`vllm serve`, `transformers serve`: the distribution that installed it); None when the
    program is not in this environment or not a Python package."""
    if not argv or not _in_this_environment(argv[0]):
        return None
    if Path(argv[0]).name.startswith("python") and "-m" in argv[1:-1]:
        module = argv[argv.index("-m", 1) + 1]
        if module in _ENGINE_OF_MODULE:
            return _ENGINE_OF_MODULE[module]
        owners = importlib.metadata.packages_distributions().get(module.split(".")[0], [])
        return owners[0] if owners else None
    script = Path(argv[0]).name
    if script.startswith("python"):  # a script file run by the interpreter: no distribution to name
        return None
    for dist in importlib.metadata.distributions():
        if any(ep.group == "console_scripts" and ep.name == script for ep in dist.entry_points):
            return str(dist.metadata["Name"])
    return None


def launched_install(argv: Sequence[str]) -> EngineInstall | None:
    distribution = launched_distribution(argv)
    return engine_install(distribution) if distribution is not None else None
