"""Assembling the run record: provenance, hardware, software, workload and results in one place."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from collector.backends import VersionInfo
from collector.backends.detect import Detection
from collector.config.collect import CollectConfig
from collector.measure.stats import repeat_summaries
from collector.measure.version import MEASUREMENT_VERSION
from collector.provenance.facts import merge
from collector.provenance.hardware import detect_hardware, detect_software
from collector.schema import (
    Backend,
    CIInfo,
    Collector,
    Dataset,
    Hardware,
    LevelResult,
    ModelInfo,
    Origin,
    Quantization,
    RunRecord,
    Serving,
    Telemetry,
    Workload,
)
from collector.secrets.redact import known_secrets, redact_argv, redact_text
from collector.server.server import ServerHandle


def detect_run_hardware(config: CollectConfig, handle: ServerHandle) -> Hardware:
    """Hardware of the serving host. The embedded engine is a CPU build; a remote server's hardware can only
    be stated by flags (the collector host's own facts are still recorded, with a note)."""
    if config.embedded:
        return detect_hardware(gpu_indices=[], label=config.hardware_label)
    hw = detect_hardware(gpu_indices=config.gpu_indices, label=config.hardware_label)
    if not handle.is_local:
        return hw.model_copy(update={"accelerator": "gpu" if config.hardware_label else hw.accelerator})
    return hw


def _git_sha() -> str | None:
    here = Path(__file__).resolve().parent.parent
    if not (here / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) == 40 else None


def ci_info() -> CIInfo | None:
    """The CI run producing this record, from GitHub Actions' standard variables."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return None
    server, repo, run = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    url = f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None
    return CIInfo(provider="github-actions", run_url=url)


def public_url(url: str) -> str:
    """The endpoint without credentials or query string (which may carry keys)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _quantization(config: CollectConfig, detected: Quantization | None) -> Quantization:
    """What the server/model/launch line told us, overridden field by field by flags or the suite."""
    return merge(detected or Quantization(), config.quantization)


def _serving(config: CollectConfig, detected: Serving | None) -> Serving:
    return merge(detected or Serving(), config.serving)


def recorded_command(config: CollectConfig) -> list[str]:
    """The collector's argv as recorded: secret flags redacted, and any secret value (the API key, a token
    in the launch line or in the environment) scrubbed wherever it appears, e.g. inside --launch "..."."""
    launch_argv: list[str] = []
    if config.launch:
        with contextlib.suppress(ValueError):
            launch_argv = shlex.split(config.launch)
    api_key = config.api_key.get_secret_value() if config.api_key else None
    secrets = known_secrets({**os.environ, **config.launch_env}, launch_argv, [api_key])
    return [redact_text(arg, secrets) for arg in redact_argv(config.command)]


def _labels(config: CollectConfig, model: ModelInfo, hardware: Hardware, status: str) -> list[str]:
    labels = list(config.labels)
    if model.weights == "random":
        labels.append("random-weights")
    if hardware.accelerator == "cpu":
        labels.append("cpu")
    if status != "complete":
        labels.append(status)
    return list(dict.fromkeys(labels))


@dataclass(frozen=True)
class RecordContext:
    """What a run record is built from besides the options: the server reached, what was sent, how the
    sweep ended and where it ran. One object instead of seventeen keyword arguments."""

    handle: ServerHandle
    model: str
    backend_name: str
    version: VersionInfo
    detection: Detection | None  # None when the backend was named, not detected
    extras: dict[str, object]
    input_method: str
    dataset_info: Any
    results: list[LevelResult]
    status: str
    status_reason: str | None
    started: datetime
    finished: datetime
    run_id: str
    collector_version: str
    hardware: Hardware
    telemetry: Telemetry


def _condition_notes(results: list[LevelResult]) -> list[str]:
    """One note per measurement condition that kept some level from being clean."""
    notes = []
    if any(r.client is not None and r.client.saturated for r in results):
        notes.append(
            "At least one level had a busy client (its own CPU at the limit): its latencies include the "
            "collector's queueing; add --workers."
        )
    if any(r.client is not None and r.client.starved for r in results):
        notes.append(
            "At least one level had a starved client (its event loop ran late while its own CPU was low): "
            "other work held the cores; isolate the engine or quiet the host."
        )
    if any(r.host is not None and r.host.quiet is False for r in results):
        notes.append("At least one level started on a host that was not quiet after the --quiet-wait.")
    return notes


def _model_info(config: CollectConfig, ctx: RecordContext) -> ModelInfo:
    """The served model: the launcher's description, else the name the server answered with."""
    model_info = ctx.handle.model or ModelInfo(name=ctx.model, weights="real")
    if ctx.handle.model is None and "random-weights" in config.labels:
        model_info = model_info.model_copy(update={"weights": "random"})
    return model_info


def _backend(ctx: RecordContext) -> Backend:
    """The backend as identified: the launcher's version when it knows one, else the server's answer."""
    handle, version = ctx.handle, ctx.version
    reported: dict[str, Any] = dict(handle.reported)
    reported.update(version.reported)
    return Backend(
        name=ctx.backend_name,
        version=handle.backend_version or version.version,
        version_source=handle.backend_version_source if handle.backend_version else version.source,
        commit=version.commit,
        image=version.image,
        endpoint=public_url(handle.base_url),
        reported={k: v for k, v in reported.items() if isinstance(v, (str, int, float, bool)) or v is None},
    )


def _request_params(config: CollectConfig, model: str, extras: dict[str, Any]) -> dict[str, Any]:
    """The parameters every request carried, as a reader would write them (per-request values described)."""
    params: dict[str, Any] = {"model": model, "stream": True, "stream_options": {"include_usage": True}}
    if config.output_tokens is not None:
        params["max_tokens"] = config.output_tokens if not config.length_jitter else "per request (jittered)"
    params.update({k: v for k, v in extras.items() if k != "min_tokens"})
    if "min_tokens" in extras:
        params["min_tokens"] = "= max_tokens"
    return params


def _workload(config: CollectConfig, ctx: RecordContext) -> Workload:
    dataset = None
    if ctx.dataset_info is not None:
        fmt, digest, count = ctx.dataset_info
        dataset = Dataset(path=str(config.dataset), sha256=digest, format=fmt, prompts=count)
    return Workload(
        api=config.api,
        input_tokens=config.input_tokens if config.dataset is None else None,
        output_tokens=config.output_tokens,
        length_jitter=config.length_jitter,
        input_length_method=ctx.input_method,  # type: ignore[arg-type]
        ignore_eos=config.ignore_eos,
        dataset=dataset,
        seed=config.seed,
        request_params=_request_params(config, ctx.model, ctx.extras),
        mode=config.mode,
        burstiness=config.burstiness if config.request_rate else None,
        max_concurrency=config.max_concurrency,
        requests_per_level=config.requests,
        duration_s_per_level=config.duration_s,
        warmup_requests=config.warmup,
        repeats=config.repeats,
        workers=config.workers,
        timeouts=config.timeouts,
        slo=config.slo,
    )


def _record_notes(config: CollectConfig, ctx: RecordContext) -> list[str]:
    notes = list(config.notes)
    if ctx.detection is not None:
        notes.append(f"Backend detected as {ctx.detection.name}: {ctx.detection.evidence}.")
    if not ctx.handle.is_local:
        notes.append("The server is remote: host fields describe the collector host, not the serving host.")
    notes.extend(_condition_notes(ctx.results))
    return notes


def build_record(config: CollectConfig, ctx: RecordContext) -> RunRecord:
    handle, results, hardware = ctx.handle, ctx.results, ctx.hardware
    model_info = _model_info(config, ctx)
    return RunRecord(
        run_id=ctx.run_id,
        created_at=datetime.now(UTC),
        started_at=ctx.started,
        finished_at=ctx.finished,
        status=ctx.status,  # type: ignore[arg-type]
        status_reason=ctx.status_reason,
        origin=Origin(kind="measured"),
        collector=Collector(
            version=ctx.collector_version, git_sha=_git_sha(), measurement_version=MEASUREMENT_VERSION
        ),
        command=recorded_command(config),
        ci=ci_info(),
        suite=config.suite,
        backend=_backend(ctx),
        launch=handle.launch,
        model=model_info,
        quantization=_quantization(config, handle.quantization),
        serving=_serving(config, handle.serving),
        hardware=hardware,
        software=detect_software(),
        workload=_workload(config, ctx),
        results=results,
        repeat_summaries=repeat_summaries(results) if config.repeats > 1 else [],
        telemetry=ctx.telemetry,
        labels=_labels(config, model_info, hardware, ctx.status),
        notes=_record_notes(config, ctx),
    )
