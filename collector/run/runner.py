"""`collect()`: the one entry point behind `inferboard collect`. Starts or finds the server, sweeps the load
levels, and writes one run record — also when the server dies or the user interrupts (completed work is kept).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import httpx

from collector import __version__, stop
from collector.backends import BackendAdapter, UnknownBackendError, VersionInfo, get_adapter
from collector.backends.detect import Detection, identify_backend
from collector.config.collect import CollectConfig
from collector.errors import InferboardError, WorkloadError
from collector.load.client import (
    PreparedRequest,
    api_path,
    build_body,
    make_client,
    recorded_sampling,
    sampling_params,
)
from collector.load.cluster import ClusterError, ClusterLoad
from collector.load.deadline import control_deadline_s, control_failure
from collector.models import ModelSourceError, served_model_info
from collector.run.after_sweep import quality_after_sweep
from collector.run.capacity import find_capacity
from collector.run.first_token import measure_first_token
from collector.run.interrupts import (
    Interrupt,
    Interrupted,
    blocking_phase,
    handle_signals,
    setup_interruption,
)
from collector.run.level_extras import LevelExtras
from collector.run.progress import Progress
from collector.run.record import RecordContext, build_record, detect_run_hardware
from collector.run.sweep import Sweep
from collector.run.workloads import WorkloadPlan
from collector.schema import Capacity, LevelResult, ModelInfo, RunRecord, Telemetry
from collector.secrets.scrub import register_run_secrets
from collector.server.isolation import (
    CpuPlan,
    IsolationError,
    available_cpus,
    client_placement,
    engine_env,
    engine_placement,
    isolation_record,
    plan_cpus,
)
from collector.server.server import (
    ServerHandle,
    ServerStartError,
    embedded_server,
    external_server,
    is_loopback,
    managed_server,
)
from collector.store import StoreError, write_run
from collector.workloads.prompts import Prompt


class CollectError(InferboardError, RuntimeError):
    """A failure before any measurement: one readable line, no run file written."""

    exit_code = 2


class SetupInterrupted(CollectError):
    exit_code = 130


@contextlib.contextmanager
def setup_failure(*errors: type[InferboardError]) -> Iterator[None]:
    """A stage's own error during setup (server, CPU plan, cluster, backend, prompts) becomes a CollectError:
    the same one line, exit 2, no run file. One place instead of a hand-written re-wrap per stage."""
    try:
        yield
    except errors as exc:
        raise CollectError(str(exc)) from None


@dataclass
class CollectResult:
    record: RunRecord
    path: Path | None
    exit_code: int
    message: str | None = None


async def _served_models(client: httpx.AsyncClient, base_url: str) -> list[str]:
    try:
        resp = await client.get("/v1/models", timeout=15.0)
    except httpx.HTTPError as exc:
        raise CollectError(control_failure(exc, base_url, "GET /v1/models", 15.0)) from None
    if resp.status_code in (401, 403):
        raise CollectError(
            f"server at {base_url} rejected the API key (HTTP {resp.status_code} on /v1/models)"
        )
    if resp.status_code != 200:
        raise CollectError(f"server at {base_url} answered HTTP {resp.status_code} on GET /v1/models")
    try:
        body = resp.json()
    except ValueError:
        raise CollectError(f"server at {base_url}: /v1/models did not return JSON") from None
    items = body.get("data") if isinstance(body, dict) else None
    return [str(m.get("id")) for m in items or [] if isinstance(m, dict) and m.get("id")]


def _choose_model(config: CollectConfig, served: list[str], base_url: str) -> str:
    if config.model:
        if served and config.model not in served:
            raise CollectError(
                f"model {config.model!r} is not served at {base_url}; the server lists: {', '.join(served)}"
            )
        return config.model
    if not served:
        raise CollectError(f"server at {base_url} lists no models; pass --model")
    return served[0]


def _prepare(
    config: CollectConfig, model: str, prompts: list[Prompt], extras: dict[str, object]
) -> list[PreparedRequest]:
    base_extras = {k: v for k, v in extras.items() if k != "min_tokens"}
    path = api_path(config.api)
    prepared = []
    for p in prompts:
        stop.check()  # serialising 200 prompts of 40 MB each takes a while: a Ctrl-C is noticed in between
        body = build_body(
            api=config.api,
            model=model,
            prompt=p.text,
            max_tokens=p.output_tokens,
            extras=base_extras,
            min_tokens="min_tokens" in extras,
        )
        prepared.append(
            PreparedRequest(path, json.dumps(body, separators=(",", ":")).encode(), p.output_tokens)
        )
    return prepared


async def collect(config: CollectConfig, progress: Progress | None = None) -> CollectResult:
    """Run the whole sweep and write the run file. Raises CollectError before any load is sent."""
    progress = progress or Progress(enabled=False)
    api_key = config.api_key.get_secret_value() if config.api_key else None
    register_run_secrets(api_key, config.launch, config.launch_env)
    interrupt = Interrupt()
    # Resolved before a launched server starts: a wrong source costs one line, not a server start-up.
    served = _served_model(config.model_source) if config.model_source and not config.embedded else None
    cpus = _cpu_plan(config)
    with handle_signals(interrupt), contextlib.ExitStack() as stack:
        interrupt.current = asyncio.current_task()  # until the first level, a signal cancels the setup
        try:
            with setup_failure(ServerStartError), blocking_phase(interrupt):
                # Placed before the server starts: a cluster that cannot carry the load costs one line.
                cluster = _start_cluster(config, stack, progress)
                handle = _start_server(config, cpus, stack, progress)
                if handle.model is None and served is not None:
                    handle.model = served
            # The engine is up on its CPUs: the client (this thread, the workers it forks) takes the others.
            stack.enter_context(client_placement(cpus))
            return await _collect_with_server(config, handle, progress, interrupt, cluster)
        except (asyncio.CancelledError, Interrupted) as exc:
            message = setup_interruption(interrupt, exc)
            if message is None:
                raise
            raise SetupInterrupted(message) from None


def _cpu_plan(config: CollectConfig) -> CpuPlan:
    """Disjoint CPU sets for an engine on this host and the client (isolation); none for external servers."""
    local = config.embedded or (config.launch is not None and is_loopback(config.endpoint or ""))
    with setup_failure(IsolationError):
        return plan_cpus(
            available_cpus(),
            config.client_cpus,
            config.engine_cpus,
            workers=config.workers,
            local_engine=local,
        )


def _start_cluster(
    config: CollectConfig, stack: contextlib.ExitStack, progress: Progress
) -> ClusterLoad | None:
    """--cluster: the client actors, placed and clock-checked (stopped when the collection ends)."""
    if config.cluster is None:
        return None
    progress.info(
        f"placing {config.client_hosts * config.actors_per_host} client actors on {config.cluster} ..."
    )
    with setup_failure(ClusterError):
        cluster = ClusterLoad.start(config.cluster, config.client_hosts, config.actors_per_host)
    stack.callback(cluster.close)
    return cluster


def _start_server(
    config: CollectConfig, cpus: CpuPlan, stack: contextlib.ExitStack, progress: Progress
) -> ServerHandle:
    """Start (or reach) the server; an engine on this host starts on its own CPUs with matching threads."""
    engine_cpus = ",".join(map(str, cpus.engine or ()))
    if config.embedded:
        progress.info("starting the embedded llama.cpp engine ...")
        threads = config.engine_threads or (len(cpus.engine) if cpus.engine else None)
        with engine_placement(cpus):
            handle = stack.enter_context(embedded_server(config, threads))
        method = f"engine threads started pinned to CPUs {engine_cpus} (sched_setaffinity, inherited)"
        handle.isolation = isolation_record(cpus, engine_method=method, engine_threads=threads)
        return handle
    if config.launch:
        added, notes = engine_env(cpus, config.launch_env)
        if added:
            config = config.model_copy(update={"launch_env": {**config.launch_env, **added}})
        log_path = config.out / f"server-{uuid.uuid4().hex[:8]}.log"
        config.out.mkdir(parents=True, exist_ok=True)
        progress.info(f"launching server, log: {log_path}")
        with engine_placement(cpus):
            handle = stack.enter_context(managed_server(config, log_path, config.endpoint or ""))
        method = (
            f"server process started pinned to CPUs {engine_cpus} (sched_setaffinity, inherited by its "
            f"process tree); environment: {', '.join(notes)}"
        )
        threads = len(cpus.engine) if cpus.engine and "OMP_NUM_THREADS" in added else None
        handle.isolation = isolation_record(cpus, engine_method=method, engine_threads=threads)
        return handle
    handle = external_server(config)
    handle.isolation = isolation_record(cpus, engine_method=None, engine_threads=None)
    return handle


def _served_model(source: str) -> ModelInfo:
    """--model-source beside --endpoint: what the server loads, so the run records its provenance."""
    try:
        return served_model_info(source)
    except ModelSourceError as exc:
        raise CollectError(f"--model-source {source}: {exc}") from None


@dataclass
class _SweepOutcome:
    """How the sweep ended: the levels measured, why it stopped, and what was seen beside the load."""

    results: list[LevelResult]
    status: str
    reason: str | None
    capacity: Capacity | None
    telemetry: Telemetry


async def _identify(
    client: httpx.AsyncClient, config: CollectConfig, handle: ServerHandle
) -> tuple[BackendAdapter, Detection | None, VersionInfo]:
    """The backend's adapter (named, or detected from the server's answers) and its reported version."""
    backend_name = handle.backend or config.backend
    detection: Detection | None = None
    if backend_name == "auto":
        detection = await identify_backend(client)
        backend_name = detection.name
    with setup_failure(UnknownBackendError):
        adapter = get_adapter(backend_name)
    return adapter, detection, await adapter.version(client)


async def _plan_workload(
    config: CollectConfig,
    client: httpx.AsyncClient,
    adapter: BackendAdapter,
    model: str,
    progress: Progress,
) -> WorkloadPlan:
    """The prompts and request bodies of the sweep, with the adapter's and the user's body extras."""

    async def tokenize(text: str) -> list[int] | None:
        return await adapter.tokenize(client, text, model) if adapter.has_tokenize else None

    progress.info(f"preparing prompts for {model} ...")
    extras = adapter.request_extras(ignore_eos=config.ignore_eos, output_tokens=config.output_tokens)
    extras.update(sampling_params(config.sampling))
    extras.update(config.request_params)
    plan = WorkloadPlan(config, model, extras, tokenize, _prepare)
    with setup_failure(WorkloadError):
        await plan.start()
    for warning in plan.warnings():
        progress.warning(warning)
    return plan


async def _run_sweep(config: CollectConfig, sweep: Sweep, level_extras: LevelExtras) -> _SweepOutcome:
    """The load levels (or the capacity search), ending with the telemetry seen while they ran."""
    capacity = None
    try:
        try:
            if config.find_capacity is not None:
                capacity, status, reason = await find_capacity(sweep)
            else:
                status, reason = await sweep.run()
        except WorkloadError as exc:  # prompts made between levels (a capacity probe, a chat session)
            status, reason = "incomplete", str(exc)
        telemetry = level_extras.telemetry()
    finally:
        level_extras.close()
    return _SweepOutcome(sweep.results, status, reason, capacity, telemetry)


def _recorded_weights(config: CollectConfig, handle: ServerHandle) -> Literal["real", "random"]:
    """Real or random weights, as the quality pass must know: the launcher's word, else the run's label."""
    if handle.model is not None:
        return handle.model.weights
    return "random" if "random-weights" in config.labels else "real"


def _exit_status(outcome: _SweepOutcome, interrupt: Interrupt) -> tuple[int, str | None]:
    """The command's exit code and message for how the sweep ended (the run file is written either way)."""
    status, reason, results = outcome.status, outcome.reason, outcome.results
    if status == "interrupted":
        return 130, f"interrupted by {interrupt.signal_name}: completed levels were kept"
    if status == "incomplete":
        failures = ", ".join(f"{k}={v}" for k, v in _merged_errors(results).items())
        message = f"the sweep stopped early: {reason}"
        if failures:
            message += f" (failed requests: {failures})"
        return 1, message
    if results and all(r.completed == 0 for r in results):
        return 1, "every request failed: " + ", ".join(f"{k}={v}" for k, v in _merged_errors(results).items())
    return 0, None


async def _collect_with_server(
    config: CollectConfig,
    handle: ServerHandle,
    progress: Progress,
    interrupt: Interrupt,
    cluster: ClusterLoad | None = None,
) -> CollectResult:
    timeouts = config.timeouts
    max_conn = max([*config.concurrency, config.max_concurrency or 0, 64])
    api_key = config.api_key.get_secret_value() if config.api_key else None
    async with make_client(
        handle.base_url,
        api_key=api_key,
        timeouts=timeouts,
        max_connections=max_conn,
        total_s=control_deadline_s(),
    ) as client:
        served = await _served_models(client, handle.base_url)
        model = _choose_model(config, served, handle.base_url)
        await measure_first_token(client, config, handle, model)
        adapter, detection, version = await _identify(client, config, handle)
        plan = await _plan_workload(config, client, adapter, model, progress)
        started = datetime.now(UTC)
        hardware = detect_run_hardware(config, handle)
        level_extras = LevelExtras(config, handle, hardware, adapter, client)
        sweep = Sweep(
            config, client, handle, adapter, progress, interrupt, level_extras, plan, cluster=cluster
        )
        # The setup is over: from here a signal stops the current level, keeping the completed ones.
        interrupt.current = None
        outcome = await _run_sweep(config, sweep, level_extras)
        finished = datetime.now(UTC)
        quality = await quality_after_sweep(
            client,
            model,
            weights=_recorded_weights(config, handle),
            enabled=config.quality,
            sweep_status=outcome.status,
            interrupt=interrupt,
            progress=progress,
        )

    record = build_record(
        config,
        RecordContext(
            handle=handle,
            model=model,
            backend_name=adapter.name,
            version=version,
            detection=detection,
            extras=plan.extras,
            input_method=plan.method,
            dataset_info=plan.dataset_info,
            results=outcome.results,
            status=outcome.status,
            status_reason=outcome.reason,
            started=started,
            finished=finished,
            run_id=uuid.uuid4().hex,
            collector_version=__version__,
            hardware=hardware,
            telemetry=outcome.telemetry,
        ),
    )
    record.quality = quality
    record.capacity = outcome.capacity
    record.isolation = handle.isolation
    record.cluster = cluster.record if cluster is not None else None
    record.workload.sampling = recorded_sampling(config.sampling, config.request_params)
    record.workload, notes = plan.record(record.workload)
    record.notes.extend(notes)
    exit_code, message = _exit_status(outcome, interrupt)
    try:
        path = write_run(record, config.out)
    except StoreError as exc:
        return CollectResult(record, exc.saved_to, 1, str(exc))
    return CollectResult(record, path, exit_code, message)


def _merged_errors(results: list[LevelResult]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for r in results:
        for k, v in r.errors.items():
            merged[k] = merged.get(k, 0) + v
    return merged
