"""The levels of one collection: warm-up, the measured level, its figures. `Sweep.level` runs one level
and says whether the collection must stop; the fixed sweep (`Sweep.run`) and the capacity search
(`collector.run.capacity`) both drive it, so every probe of a search is a normal level in `results`."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import httpx

from collector.config.collect import CollectConfig
from collector.load.client import ClientShards, PreparedRequest
from collector.load.cluster import ClusterLoad
from collector.load.level import LevelSpec
from collector.load.scheduling import LevelState, ServerGone, closed_loop, open_loop
from collector.load.workers import jobs_for_level, run_level_in_workers
from collector.measure.metrics import aggregate_level
from collector.measure.selfcheck import LoopMonitor
from collector.run.hostwait import HostSample, host_before_level
from collector.run.interrupts import Interrupt
from collector.run.level_extras import LevelExtras
from collector.run.progress import Progress
from collector.run.workloads import WorkloadPlan
from collector.schema import HostLoad, LevelResult
from collector.server.server import ServerHandle

Stop = tuple[str, str]  # (run status, reason) when the collection must stop after a level


async def still_alive(client: httpx.AsyncClient) -> bool:
    try:
        resp = await client.get("/v1/models", timeout=5.0)
    except httpx.HTTPError:
        return False
    return resp.status_code < 500


def level_spec(
    config: CollectConfig, concurrency: int | None, rate: float | None, trial: int, first_index: int
) -> LevelSpec:
    """The level's frozen values, taken once from the options (the load package knows no options model)."""
    return LevelSpec(
        concurrency=concurrency,
        rate=rate,
        trial=trial,
        first_index=first_index,
        count=config.requests,
        duration_s=config.duration_s,
        burstiness=config.burstiness,
        max_concurrency=config.max_concurrency,
        seed=config.seed + trial,
        retries=config.retries,
        total_timeout_s=config.request_timeout_s,
    )


@dataclass
class Sweep:
    config: CollectConfig
    client: httpx.AsyncClient
    handle: ServerHandle
    adapter: Any
    progress: Progress
    interrupt: Interrupt
    extras: LevelExtras
    plan: WorkloadPlan
    results: list[LevelResult] = field(default_factory=list)
    cursor: int = 0
    cluster: ClusterLoad | None = None  # --cluster: levels run on client actors

    async def run(self) -> tuple[str, str | None]:
        """Every level (x repeats) in order; stops at the first interrupted or incomplete level (kept)."""
        for concurrency, rate in self.plan.levels():
            for trial in range(self.config.repeats):
                stop = await self.level(concurrency, rate, trial)
                if stop is not None:
                    return stop
        return "complete", None

    def label(self, concurrency: int | None, rate: float | None, trial: int) -> str:
        if self.plan.kind == "trace":
            label = f"trace x{self.config.trace_scale:g}"
        else:
            label = f"c={concurrency}" if rate is None else f"rate={rate:g}/s"
        if self.config.repeats > 1:
            label += f" trial {trial + 1}/{self.config.repeats}"
        return label

    async def level(
        self, concurrency: int | None, rate: float | None, trial: int = 0, prefix: str = ""
    ) -> Stop | None:
        config, interrupt = self.config, self.interrupt
        label = self.label(concurrency, rate, trial)
        if interrupt.fired:  # a signal between levels
            return "interrupted", f"stopped by {interrupt.signal_name} before {label}"
        self.progress.level_started(prefix + label)
        host = await self._host_load()
        if not isinstance(host, HostLoad):
            return host
        count, warmup = self.plan.count(concurrency), self.plan.warmup(concurrency)
        # A --duration level cycles through the pool: 512 fresh prompts suffice (a sweep has them already).
        await self.plan.ensure(self.cursor + warmup + count if count is not None else warmup + 512)
        # Fresh pools per level, shared by its warm-up and measurement (warm connections carry over).
        async with ClientShards(
            str(self.client.base_url).rstrip("/"),
            api_key=config.api_key.get_secret_value() if config.api_key else None,
            timeouts=config.timeouts,
            users=concurrency,
        ) as shards:
            stop = await self._warmup(shards, concurrency, warmup)
            if stop is not None:
                return stop
            self.cursor += warmup
            spec = level_spec(config, concurrency, rate, trial, self.cursor)
            spec = dataclasses.replace(spec, count=count)
            result = await self._measure(shards, spec)
        result.host = host
        self.results.append(result)
        self.progress.level_finished(result)
        if result.status == "interrupted":
            return "interrupted", f"stopped by {interrupt.signal_name} during {label}"
        if result.status == "incomplete" and result.cluster is not None and result.cluster.partial:
            return "incomplete", f"{result.cluster.reason} during {label}"
        if result.status == "incomplete":
            return "incomplete", f"server stopped answering during {label}"
        return None

    async def _host_load(self) -> HostLoad | Stop:
        """The host's load before the level (waiting, bounded, for quiet with --quiet-wait); a signal
        stops the wait at once."""
        config, interrupt, progress = self.config, self.interrupt, self.progress

        def waiting(sample: HostSample, waited_s: float) -> None:
            progress.status_line(
                f"  {progress.label}: waiting for a quiet host: other processes use "
                f"{sample.other_cpu_cores or 0:.2f} cores > {config.quiet_cores:g} "
                f"({waited_s:.0f} of {config.quiet_wait_s:g} s)"
            )

        task = asyncio.create_task(
            host_before_level(wait_s=config.quiet_wait_s, threshold_cores=config.quiet_cores, on_wait=waiting)
        )
        interrupt.current = task
        if interrupt.fired:
            task.cancel()
        try:
            host = await task
        except asyncio.CancelledError:
            if not interrupt.fired:
                raise
            return (
                "interrupted",
                f"stopped by {interrupt.signal_name} while waiting for a quiet host before {progress.label}",
            )
        finally:
            interrupt.current = None
            progress.end_status_line()
        if host.quiet is False:
            progress.info(
                f"  {progress.label}: the host is not quiet after {host.waited_s:g} s (other processes use "
                f"{host.other_cpu_cores or 0:.2f} cores > {config.quiet_cores:g}); measuring anyway"
            )
        return host

    async def _warmup(self, shards: ClientShards, concurrency: int | None, count: int) -> Stop | None:
        """Uncounted requests before a level; returns (status, reason) when the sweep must stop."""
        if not count:
            return None
        interrupt = self.interrupt
        users = min(concurrency or self.config.max_concurrency or 1, count)
        task = asyncio.create_task(
            closed_loop(
                shards,
                self.plan.requests,
                concurrency=users,
                count=count,
                duration_s=None,
                total_timeout_s=self.config.request_timeout_s,
                state=LevelState(total=count),
                first_index=self.cursor,
            )
        )
        interrupt.current = task
        if interrupt.fired:
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            if not interrupt.fired:
                raise
            return "interrupted", f"stopped by {interrupt.signal_name} during warm-up"
        except ServerGone as exc:
            return "incomplete", f"server stopped answering during warm-up ({exc})"
        finally:
            interrupt.current = None
        return None

    async def _measure(self, shards: ClientShards, spec: LevelSpec) -> LevelResult:
        config, interrupt, extras = self.config, self.interrupt, self.extras
        state = LevelState(total=spec.count, on_outcome=self.progress.on_outcome)
        status = "complete"
        await extras.before_level()
        async with LoopMonitor() as monitor:
            if self.plan.own_loop:
                task = asyncio.create_task(self.plan.run_level(shards, state, spec))
            else:
                task = asyncio.create_task(self._load(shards, self.plan.requests, state, spec))
            interrupt.current = task
            if interrupt.fired:  # the signal came while the level was being set up
                task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                if not interrupt.fired:
                    raise
                status = "interrupted"
            except ServerGone:
                status = "incomplete"
            finally:
                interrupt.current = None
        failures = any(not o.ok for o in state.outcomes)
        if status == "complete" and failures and not await still_alive(self.client):
            status = "incomplete"
        from_scheduled = spec.open_loop or self.plan.measure_from_scheduled
        result = aggregate_level(
            state.outcomes,
            concurrency=spec.concurrency,
            request_rate=spec.rate,
            measure_from_scheduled=from_scheduled,
            ignore_eos=config.ignore_eos,
            slo=config.slo,
            gpu_count=self.handle.gpu_count,
            max_request_records=config.max_request_records,
            level_start_ns=state.started_ns or None,
            trial=spec.trial,
        )
        health = monitor.health()
        if self.cluster is not None and self.cluster.last is not None:
            # The actors sent the load: their self-checks, not this process's idle loop, say if it was clean.
            cluster_level, self.cluster.last = self.cluster.last, None
            health = cluster_level.health or health
            result.cluster = cluster_level.record
            if cluster_level.record.partial and status == "complete":
                status = "incomplete"
        result = await extras.after_level(result, health, state.outcomes, from_scheduled)
        result.status = status  # type: ignore[assignment]
        result.retries = sum(o.retries for o in state.outcomes)
        self.plan.finish(result, state, self.adapter.name)
        self.cursor = spec.first_index + len(state.outcomes)
        return result

    async def _load(
        self, shards: ClientShards, requests: list[PreparedRequest], state: LevelState, spec: LevelSpec
    ) -> None:
        config = self.config
        api_key = config.api_key.get_secret_value() if config.api_key else None
        if self.cluster is not None:
            await self.cluster.run_level(
                spec,
                state,
                base_url=str(self.client.base_url).rstrip("/"),
                api_key=api_key,
                timeouts=config.timeouts,
                requests=requests,
            )
            return
        if config.workers > 1:
            jobs = jobs_for_level(
                spec,
                workers=config.workers,
                base_url=str(self.client.base_url).rstrip("/"),
                api_key=api_key,
                timeouts=config.timeouts,
                requests=requests,
            )
            await run_level_in_workers(jobs, state)
            return
        if spec.rate is None:
            assert spec.concurrency is not None
            await closed_loop(
                shards,
                requests,
                concurrency=spec.concurrency,
                count=spec.count,
                duration_s=spec.duration_s,
                total_timeout_s=spec.total_timeout_s,
                state=state,
                first_index=spec.first_index,
                retries=spec.retries,
            )
        else:
            await open_loop(
                shards,
                requests,
                rate=spec.rate,
                burstiness=spec.burstiness,
                count=spec.count,
                duration_s=spec.duration_s,
                max_concurrency=spec.max_concurrency,
                total_timeout_s=spec.total_timeout_s,
                seed=spec.seed,
                state=state,
                first_index=spec.first_index,
                retries=spec.retries,
            )
