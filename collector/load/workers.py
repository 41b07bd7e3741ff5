"""`--workers N`: spread one load level over N processes for many-core GPU hosts.

Each worker runs its own event loop and HTTP client with its share of the users (closed loop) or of the
arrival schedule (open loop: arrival i goes to worker i mod N, so the merged schedule is exactly the
single-process one). Timestamps are `time.perf_counter_ns()`, which on Linux reads CLOCK_MONOTONIC: one
system-wide clock, so outcomes from different processes are directly comparable and the parent merges
them exactly, as if one process had measured them. Workers start at a common instant in the future so
their ramps line up.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass

from collector.load import aio
from collector.load.client import ClientShards, PreparedRequest
from collector.load.level import LevelSpec
from collector.load.scheduling import LevelState, closed_loop, open_loop
from collector.measure.metrics import RequestOutcome
from collector.schema import Timeouts

START_DELAY_S = 0.2  # margin between telling the workers the start time and the start
# More margin for a closed loop, whose workers open every user's connection before the start (asyncio takes
# ~0.1-0.2 ms per connect on one core; a worker still connecting at the start time starts late, unaligned).
CONNECT_MARGIN_S_PER_USER = 0.0005


@dataclass(frozen=True)
class WorkerJob:
    base_url: str
    api_key: str | None
    timeouts: Timeouts
    requests: list[PreparedRequest]
    first_index: int
    concurrency: int | None
    count: int | None
    duration_s: float | None
    rate: float | None
    burstiness: float
    max_concurrency: int | None
    seed: int
    retries: int
    worker: int
    workers: int
    start_ns: int


def split(total: int, parts: int) -> list[int]:
    """Split `total` into `parts` integers that differ by at most one (first parts get the extra)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


async def _run_job(job: WorkerJob) -> list[RequestOutcome]:
    state = LevelState(total=job.count)
    await run_share(job, state, start_ns=job.start_ns)
    return state.outcomes


async def wait_until(start_ns: int) -> None:
    """Sleep until `start_ns` on this process's perf_counter_ns clock."""
    delay = (start_ns - time.perf_counter_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)


async def run_share(job: WorkerJob, state: LevelState, start_ns: int | None = None) -> None:
    """One worker's (or client actor's) share of a level, its outcomes added to `state` as they come.
    With `start_ns`, a closed loop's connections are opened first and the load starts at that instant, so
    the workers' ramps line up whatever their connects cost."""
    users = job.concurrency if job.rate is None else None
    async with ClientShards(job.base_url, api_key=job.api_key, timeouts=job.timeouts, users=users) as client:
        if job.rate is None:
            assert job.concurrency is not None
            if start_ns is not None:
                share = job.concurrency if job.count is None else min(job.concurrency, job.count)
                await client.open_connections(share)
                await wait_until(start_ns)
            await closed_loop(
                client,
                job.requests,
                concurrency=job.concurrency,
                count=job.count,
                duration_s=job.duration_s,
                total_timeout_s=job.timeouts.total_s,
                state=state,
                first_index=job.first_index,
                retries=job.retries,
            )
        else:
            if start_ns is not None:
                await wait_until(start_ns)
            await open_loop(
                client,
                job.requests,
                rate=job.rate,
                burstiness=job.burstiness,
                count=job.count,
                duration_s=job.duration_s,
                max_concurrency=job.max_concurrency,
                total_timeout_s=job.timeouts.total_s,
                seed=job.seed,
                state=state,
                first_index=job.first_index,
                keep=(job.worker, job.workers),
                start_ns=job.start_ns,
                retries=job.retries,
            )


def _worker_ready(hold_s: float) -> int:
    # Imports are done by now (this module is loaded); holding briefly makes the pool start every process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    time.sleep(hold_s)
    return os.getpid()


def _worker_main(job: WorkerJob) -> list[RequestOutcome]:
    # The parent owns Ctrl-C handling: it stops the level and terminates the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return aio.run(_run_job(job))


def jobs_for_level(
    spec: LevelSpec,
    *,
    workers: int,
    base_url: str,
    api_key: str | None,
    timeouts: Timeouts,
    requests: list[PreparedRequest],
) -> list[WorkerJob]:
    """The level split across worker processes (users, counts and caps shared out; the start time is set
    by `run_level_in_workers` once every worker is up)."""
    concurrency, count, rate, max_concurrency = spec.concurrency, spec.count, spec.rate, spec.max_concurrency
    first_index = spec.first_index
    users = split(concurrency, workers) if concurrency is not None else [0] * workers
    counts: list[int | None] = (
        list(split(count, workers)) if count is not None and rate is None else [count] * workers
    )
    caps: list[int | None] = list(split(max_concurrency, workers)) if max_concurrency else [None] * workers
    jobs = []
    offset = first_index
    for w in range(workers):
        if rate is None and users[w] == 0:
            continue
        jobs.append(
            WorkerJob(
                base_url=base_url,
                api_key=api_key,
                timeouts=timeouts,
                requests=requests,
                first_index=offset if rate is None else first_index,
                concurrency=users[w] or None,
                count=counts[w],
                duration_s=spec.duration_s,
                rate=rate,
                burstiness=spec.burstiness,
                max_concurrency=caps[w],
                seed=spec.seed,
                retries=spec.retries,
                worker=w,
                workers=workers,
                start_ns=0,  # set when every worker is up
            )
        )
        share = counts[w]
        # Duration-only levels have no count: give each worker its own stretch of the prompt list.
        offset += share if share is not None else max(1, len(requests) // workers)
    return jobs


async def run_level_in_workers(jobs: list[WorkerJob], state: LevelState) -> None:
    """Run the jobs in separate processes and merge their outcomes into `state` (in send order)."""
    ctx = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    with concurrent.futures.ProcessPoolExecutor(max_workers=len(jobs), mp_context=ctx) as pool:
        # Spawning and importing takes seconds; the schedule starts only once every worker is up, or the
        # open-loop latencies (measured from the schedule) would include process start-up.
        await asyncio.gather(*(loop.run_in_executor(pool, _worker_ready, 0.3) for _ in jobs))
        users = max((job.concurrency or 0) if job.rate is None else 0 for job in jobs)
        start = time.perf_counter_ns() + int((START_DELAY_S + users * CONNECT_MARGIN_S_PER_USER) * 1e9)
        jobs = [dataclasses.replace(job, start_ns=start) for job in jobs]
        state.started_ns = start
        futures = [loop.run_in_executor(pool, _worker_main, job) for job in jobs]
        try:
            results = await asyncio.gather(*futures)
        except BaseException:
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
            raise
    merged = sorted((o for part in results for o in part), key=lambda o: o.sent_ns)
    for outcome in merged:
        state.add(outcome)
