"""`collect()`: the one entry point behind `inferboard collect`. Starts or finds the server, sweeps the load
levels, and writes one run record — also when the server dies or the user interrupts (completed work is kept).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from collector import __version__
from collector.backends import UnknownBackendError, get_adapter
from collector.backends.detect import detect_backend
from collector.config.collect import CollectConfig
from collector.errors import InferboardError
from collector.load.client import ClientShards, PreparedRequest, api_path, build_body, make_client
from collector.load.deadline import control_deadline_s, control_failure
from collector.load.level import LevelSpec
from collector.load.scheduling import LevelState, ServerGone, closed_loop, open_loop
from collector.load.workers import jobs_for_level, run_level_in_workers
from collector.load.workload import Prompt, WorkloadError, load_dataset, synthetic_prompts
from collector.measure.level_extras import LevelExtras
from collector.measure.metrics import aggregate_level
from collector.measure.selfcheck import LoopMonitor
from collector.models import ModelSourceError, served_model_info
from collector.provenance.record import RecordContext, build_record, detect_run_hardware
from collector.provenance.scrub import register_run_secrets
from collector.quality.after_sweep import quality_after_sweep
from collector.run.interrupts import (
    Interrupt,
    Interrupted,
    blocking_phase,
    handle_signals,
    setup_interruption,
)
from collector.run.progress import Progress
from collector.schema import Hardware, LevelResult, ModelInfo, RunRecord, Telemetry
from collector.server.server import (
    ServerHandle,
    ServerStartError,
    embedded_server,
    external_server,
    managed_server,
)
from collector.store import StoreError, write_run


class CollectError(InferboardError, RuntimeError):
    """A failure before any measurement: one readable line, no run file written."""

    exit_code = 2


class SetupInterrupted(CollectError):
    exit_code = 130


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


async def _prompts(config: CollectConfig, total: int, tokenize: Any) -> tuple[list[Prompt], str, Any]:
    if config.dataset is not None:
        texts, fmt, digest = load_dataset(config.dataset)
        prompts = [Prompt(t, None, config.output_tokens) for t in texts]
        return prompts, "dataset", (fmt, digest, len(texts))
    assert config.input_tokens is not None
    prompts, method = await synthetic_prompts(
        total,
        input_tokens=config.input_tokens,
        output_tokens=config.output_tokens,
        jitter=config.length_jitter,
        seed=config.seed,
        tokenize=tokenize,
    )
    return prompts, method, None


def _prepare(
    config: CollectConfig, model: str, prompts: list[Prompt], extras: dict[str, object]
) -> list[PreparedRequest]:
    base_extras = {k: v for k, v in extras.items() if k != "min_tokens"}
    path = api_path(config.api)
    return [
        PreparedRequest(
            path=path,
            body=json.dumps(
                build_body(
                    api=config.api,
                    model=model,
                    prompt=p.text,
                    max_tokens=p.output_tokens,
                    extras=base_extras,
                    min_tokens="min_tokens" in extras,
                ),
                separators=(",", ":"),
            ).encode(),
            output_tokens=p.output_tokens,
        )
        for p in prompts
    ]


async def _still_alive(client: httpx.AsyncClient) -> bool:
    try:
        resp = await client.get("/v1/models", timeout=5.0)
    except httpx.HTTPError:
        return False
    return resp.status_code < 500


def _requests_needed(config: CollectConfig) -> int:
    per_level = config.requests if config.requests is not None else 512
    return (per_level + config.warmup) * len(config.levels()) * config.repeats


async def _run_level(
    config: CollectConfig,
    client: httpx.AsyncClient,
    shards: ClientShards,
    requests: list[PreparedRequest],
    state: LevelState,
    spec: LevelSpec,
) -> None:
    if config.workers > 1:
        jobs = jobs_for_level(
            spec,
            workers=config.workers,
            base_url=str(client.base_url).rstrip("/"),
            api_key=config.api_key.get_secret_value() if config.api_key else None,
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


async def collect(config: CollectConfig, progress: Progress | None = None) -> CollectResult:
    """Run the whole sweep and write the run file. Raises CollectError before any load is sent."""
    progress = progress or Progress(enabled=False)
    api_key = config.api_key.get_secret_value() if config.api_key else None
    register_run_secrets(api_key, config.launch, config.launch_env)
    interrupt = Interrupt()
    # Resolved before a launched server starts: a wrong source costs one line, not a server start-up.
    served = _served_model(config.model_source) if config.model_source and not config.embedded else None
    with handle_signals(interrupt), contextlib.ExitStack() as stack:
        interrupt.current = asyncio.current_task()  # until the first level, a signal cancels the setup
        try:
            try:
                with blocking_phase(interrupt):
                    if config.embedded:
                        progress.info("starting the embedded llama.cpp engine ...")
                        handle = stack.enter_context(embedded_server(config))
                    elif config.launch:
                        log_path = config.out / f"server-{uuid.uuid4().hex[:8]}.log"
                        config.out.mkdir(parents=True, exist_ok=True)
                        progress.info(f"launching server, log: {log_path}")
                        handle = stack.enter_context(managed_server(config, log_path, config.endpoint or ""))
                    else:
                        handle = external_server(config)
                    if handle.model is None and served is not None:
                        handle.model = served
            except ServerStartError as exc:
                raise CollectError(str(exc)) from None
            return await _collect_with_server(config, handle, progress, interrupt)
        except (asyncio.CancelledError, Interrupted) as exc:
            message = setup_interruption(interrupt, exc)
            if message is None:
                raise
            raise SetupInterrupted(message) from None


def _served_model(source: str) -> ModelInfo:
    """--model-source beside --endpoint: what the server loads, so the run records its provenance."""
    try:
        return served_model_info(source)
    except ModelSourceError as exc:
        raise CollectError(f"--model-source {source}: {exc}") from None


async def _collect_with_server(
    config: CollectConfig, handle: ServerHandle, progress: Progress, interrupt: Interrupt
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
        backend_name = handle.backend or config.backend
        if backend_name == "auto":
            backend_name = await detect_backend(client)
        try:
            adapter = get_adapter(backend_name)
        except UnknownBackendError as exc:
            raise CollectError(str(exc)) from None
        version = await adapter.version(client)

        async def tokenize(text: str) -> list[int] | None:
            return await adapter.tokenize(client, text, model) if adapter.has_tokenize else None

        progress.info(f"preparing prompts for {model} ...")
        try:
            prompts, method, dataset_info = await _prompts(config, _requests_needed(config), tokenize)
        except WorkloadError as exc:
            raise CollectError(str(exc)) from None
        extras = adapter.request_extras(ignore_eos=config.ignore_eos, output_tokens=config.output_tokens)
        extras.update(config.request_params)
        requests = _prepare(config, model, prompts, extras)
        started = datetime.now(UTC)
        hardware = detect_run_hardware(config, handle)
        results, status, reason, telemetry = await _sweep(
            config, client, requests, handle, adapter, progress, interrupt, hardware
        )
        finished = datetime.now(UTC)
        weights = handle.model.weights if handle.model else "real"
        if handle.model is None and "random-weights" in config.labels:
            weights = "random"
        quality = await quality_after_sweep(
            client,
            model,
            weights=weights,
            enabled=config.quality,
            sweep_status=status,
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
            extras=extras,
            input_method=method,
            dataset_info=dataset_info,
            results=results,
            status=status,
            status_reason=reason,
            started=started,
            finished=finished,
            run_id=uuid.uuid4().hex,
            collector_version=__version__,
            hardware=hardware,
            telemetry=telemetry,
        ),
    )
    record.quality = quality
    exit_code = 0
    message = None
    if status == "interrupted":
        exit_code, message = 130, f"interrupted by {interrupt.signal_name}: completed levels were kept"
    elif status == "incomplete":
        failures = ", ".join(f"{k}={v}" for k, v in _merged_errors(results).items())
        exit_code, message = 1, f"the sweep stopped early: {reason}"
        if failures:
            message += f" (failed requests: {failures})"
    elif results and all(r.completed == 0 for r in results):
        exit_code, message = (
            1,
            "every request failed: " + ", ".join(f"{k}={v}" for k, v in _merged_errors(results).items()),
        )
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


async def _sweep(
    config: CollectConfig,
    client: httpx.AsyncClient,
    requests: list[PreparedRequest],
    handle: ServerHandle,
    adapter: Any,
    progress: Progress,
    interrupt: Interrupt,
    hardware: Hardware,
) -> tuple[list[LevelResult], str, str | None, Telemetry]:
    """Every level (x repeats) in order; stops at the first interrupted or incomplete level, keeping it."""
    results: list[LevelResult] = []
    extras = LevelExtras(config, handle, hardware, adapter, client)
    cursor = 0
    interrupt.current = (
        None  # the setup is over: from here a signal stops the current level, keeping the rest
    )
    try:
        for concurrency, rate in config.levels():
            for trial in range(config.repeats):
                label = f"c={concurrency}" if rate is None else f"rate={rate:g}/s"
                if config.repeats > 1:
                    label += f" trial {trial + 1}/{config.repeats}"
                if interrupt.fired:  # a signal between levels
                    return (
                        results,
                        "interrupted",
                        f"stopped by {interrupt.signal_name} before {label}",
                        (extras.telemetry()),
                    )
                progress.level_started(label)
                # Fresh pools per level, shared by its warm-up and measurement (warm connections carry over).
                async with ClientShards(
                    str(client.base_url).rstrip("/"),
                    api_key=config.api_key.get_secret_value() if config.api_key else None,
                    timeouts=config.timeouts,
                    users=concurrency,
                ) as shards:
                    stop = await _warmup(config, shards, requests, concurrency, cursor, interrupt)
                    if stop is not None:
                        return results, stop[0], stop[1], extras.telemetry()
                    cursor += config.warmup
                    spec = LevelSpec.from_config(config, concurrency, rate, trial, cursor)
                    result, cursor = await _measure_level(
                        config, client, shards, requests, handle, extras, progress, interrupt, spec
                    )
                results.append(result)
                progress.level_finished(result)
                if result.status == "interrupted":
                    return (
                        results,
                        "interrupted",
                        f"stopped by {interrupt.signal_name} during {label}",
                        extras.telemetry(),
                    )
                if result.status == "incomplete":
                    reason = f"server stopped answering during {label}"
                    return results, "incomplete", reason, extras.telemetry()
        return results, "complete", None, extras.telemetry()
    finally:
        extras.close()


async def _warmup(
    config: CollectConfig,
    client: ClientShards,
    requests: list[PreparedRequest],
    concurrency: int | None,
    cursor: int,
    interrupt: Interrupt,
) -> tuple[str, str] | None:
    """Uncounted requests before a level; returns (status, reason) when the sweep must stop."""
    if not config.warmup:
        return None
    users = min(concurrency or config.max_concurrency or 1, config.warmup)
    task = asyncio.create_task(
        closed_loop(
            client,
            requests,
            concurrency=users,
            count=config.warmup,
            duration_s=None,
            total_timeout_s=config.request_timeout_s,
            state=LevelState(total=config.warmup),
            first_index=cursor,
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


async def _measure_level(
    config: CollectConfig,
    client: httpx.AsyncClient,
    shards: ClientShards,
    requests: list[PreparedRequest],
    handle: ServerHandle,
    extras: LevelExtras,
    progress: Progress,
    interrupt: Interrupt,
    spec: LevelSpec,
) -> tuple[LevelResult, int]:
    state = LevelState(total=config.requests, on_outcome=progress.on_outcome)
    status = "complete"
    await extras.before_level()
    async with LoopMonitor() as monitor:
        task = asyncio.create_task(_run_level(config, client, shards, requests, state, spec))
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
    if status == "complete" and any(not o.ok for o in state.outcomes) and not await _still_alive(client):
        status = "incomplete"
    result = aggregate_level(
        state.outcomes,
        concurrency=spec.concurrency,
        request_rate=spec.rate,
        measure_from_scheduled=spec.open_loop,
        ignore_eos=config.ignore_eos,
        slo=config.slo,
        gpu_count=handle.gpu_count,
        max_request_records=config.max_request_records,
        level_start_ns=state.started_ns or None,
        trial=spec.trial,
    )
    result = await extras.after_level(result, monitor.health(), state.outcomes, spec.open_loop)
    result.status = status  # type: ignore[assignment]
    result.retries = sum(o.retries for o in state.outcomes)
    return result, spec.first_index + len(state.outcomes)
