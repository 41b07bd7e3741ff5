"""Engine and client on separate cores when both run on one host.

On a small host a CPU engine and the load client compete for the same cores: a starved client stamps chunks
late, and the engine is slowed by the client's bursts (measured: docs/engines-vllm.md, issue 18). So when the
engine runs here (the embedded engine, or a `--launch`ed server on loopback) the collector gives the engine
and the client disjoint CPU sets by default and sets the engine's thread settings to match; an external
server is left alone and the run says so.

How the sets are applied (Linux `sched_setaffinity`, which acts on the calling *thread*; new threads and
child processes inherit their creator's set):
- the embedded engine is started while the calling thread is pinned to the engine's set, so every thread
  llama.cpp creates inherits it; the calling thread then moves to the client's set;
- a launched server is spawned from a thread pinned to the engine's set (its whole process tree inherits
  it) with the thread settings of the common CPU engines in its environment (`VLLM_CPU_OMP_THREADS_BIND`,
  which vLLM applies over any inherited mask, `OMP_NUM_THREADS`, llama-server's `LLAMA_ARG_THREADS`),
  each only where the launch environment does not set it already;
- the client (event loop, worker processes it forks later) runs on the client's set until the run ends,
  when the original set is restored.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from collector.config.cpus import AUTO, OFF, cpu_list_text, parse_cpu_list
from collector.errors import InferboardError
from collector.schema import Isolation


class IsolationError(InferboardError, ValueError):
    """CPU sets that cannot be applied on this host (one line naming the option and the CPUs)."""

    exit_code = 2


@dataclass(frozen=True)
class CpuPlan:
    """Disjoint CPU sets for engine and client, or why there are none."""

    client: tuple[int, ...] | None = None
    engine: tuple[int, ...] | None = None
    reason: str | None = None

    @property
    def applied(self) -> bool:
        return self.client is not None and self.engine is not None


def plan_cpus(
    available: Sequence[int] | None, client_spec: str, engine_spec: str, *, workers: int, local_engine: bool
) -> CpuPlan:
    """Pure: which CPUs the client and the engine get.

    auto (both): the client gets as many CPUs as it has load processes (at least 1, at most half the host),
    taken from the top of the available set; the engine gets the rest. An explicit list on one side and auto
    on the other gives the other side the remaining CPUs. `off` on either side applies nothing.
    """
    if not local_engine:
        return CpuPlan(reason="external server: its CPUs are not the collector's to assign; left alone")
    if OFF in (client_spec, engine_spec):
        return CpuPlan(reason="turned off (--client-cpus off / --engine-cpus off)")
    if available is None:
        return CpuPlan(reason="this platform cannot pin threads to CPUs (no sched_setaffinity)")
    pool = sorted(set(available))
    client = None if client_spec == AUTO else parse_cpu_list(client_spec)
    engine = None if engine_spec == AUTO else parse_cpu_list(engine_spec)
    for name, cpus in (("--client-cpus", client), ("--engine-cpus", engine)):
        outside = sorted(set(cpus or ()) - set(pool))
        if outside:
            raise IsolationError(
                f"{name} {cpu_list_text(cpus or [])}: CPU {cpu_list_text(outside)} is not available to this "
                f"process (available: {cpu_list_text(pool)})"
            )
    if client is not None and engine is not None and set(client) & set(engine):
        raise IsolationError(
            f"--client-cpus {cpu_list_text(client)} and --engine-cpus {cpu_list_text(engine)} overlap: "
            "engine and client need disjoint CPU sets"
        )
    if client is None and engine is None and len(pool) < 2:
        return CpuPlan(reason=f"only {len(pool)} CPU available: nothing to split")
    if client is None:
        rest = [c for c in pool if c not in set(engine or ())]
        want = max(1, min(workers, len(pool) // 2))
        client = rest[-want:] if engine is None else rest
    if engine is None:
        engine = [c for c in pool if c not in set(client)]
    if not client or not engine:
        side = "client" if not client else "engine"
        raise IsolationError(f"no CPU is left for the {side} (available: {cpu_list_text(pool)})")
    return CpuPlan(client=tuple(client), engine=tuple(engine))


def available_cpus() -> list[int] | None:
    """The CPUs this thread may run on; None where the platform cannot say or pin."""
    getter = getattr(os, "sched_getaffinity", None)
    return sorted(getter(0)) if getter is not None else None


def _pin_this_thread(cpus: Sequence[int]) -> None:
    os.sched_setaffinity(0, set(cpus))  # pid 0: the calling thread (Linux)


@contextlib.contextmanager
def engine_placement(plan: CpuPlan) -> Iterator[None]:
    """While inside, this thread (and every thread or process it starts) runs on the engine's CPUs."""
    if not plan.applied or plan.engine is None:
        yield
        return
    before = available_cpus() or []
    _pin_this_thread(plan.engine)
    try:
        yield
    finally:
        _pin_this_thread(before)


@contextlib.contextmanager
def client_placement(plan: CpuPlan) -> Iterator[None]:
    """While inside, this thread (the client's event loop) and the workers it forks run on the client's CPUs;
    the original set comes back on exit (an in-process caller, such as a test, keeps its cores)."""
    if not plan.applied or plan.client is None:
        yield
        return
    before = available_cpus() or []
    _pin_this_thread(plan.client)
    try:
        yield
    finally:
        _pin_this_thread(before)


# Thread settings of the CPU engines we launch, keyed by environment variable: vLLM's CPU build binds its
# OpenMP threads itself (overriding an inherited mask), torch-based servers size their pools from
# OMP_NUM_THREADS, llama-server reads LLAMA_ARG_THREADS.
def engine_env(plan: CpuPlan, given: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Variables to add to a launched server's environment, and a note per setting (added or kept)."""
    if not plan.applied or plan.engine is None:
        return {}, []
    wanted = {
        "VLLM_CPU_OMP_THREADS_BIND": cpu_list_text(plan.engine),
        "OMP_NUM_THREADS": str(len(plan.engine)),
        "LLAMA_ARG_THREADS": str(len(plan.engine)),
    }
    added: dict[str, str] = {}
    notes: list[str] = []
    for key, value in wanted.items():
        if key in given or key in os.environ:
            kept = given.get(key, os.environ.get(key, ""))
            notes.append(f"{key}={kept} kept as given")
        else:
            added[key] = value
            notes.append(f"{key}={value}")
    return added, notes


def isolation_record(plan: CpuPlan, *, engine_method: str | None, engine_threads: int | None) -> Isolation:
    """What the run file says about the CPU split."""
    if not plan.applied:
        return Isolation(applied=False, reason=plan.reason)
    return Isolation(
        applied=True,
        client_cpus=list(plan.client or ()),
        engine_cpus=list(plan.engine or ()),
        client_method="sched_setaffinity on the collector's event-loop thread (worker processes inherit it)",
        engine_method=engine_method,
        engine_threads=engine_threads,
    )
