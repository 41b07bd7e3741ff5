"""Getting a server to measure: the embedded llama.cpp engine, a managed launch, or an external URL."""

from __future__ import annotations

import contextlib
import ipaddress
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from collector.backends import UnknownBackendError, get_adapter
from collector.backends.launchline import backend_from_launch
from collector.config.collect import CollectConfig
from collector.errors import InferboardError
from collector.models import ModelSourceError, describe_local, embedded_real_model, model_info
from collector.provenance.facts import (
    gguf_quantization,
    merge,
    normalize_dtype,
    quantization_from_argv,
    serving_from_argv,
)
from collector.schema import Isolation, Launch, MemoryFootprint, ModelInfo, Quantization, Serving
from collector.schema.models import Scalar
from collector.server.engine import EmbeddedEngine
from collector.server.ggufgen import cached_model, read_random_marker
from collector.server.launch import LaunchError, ManagedServer, to_launch_record
from collector.server.startup import StartupClock, engine_install

EMBEDDED_DISTRIBUTION = "xllamacpp"  # the embedded engine's own package (llama.cpp compiled in)


class ServerStartError(InferboardError, RuntimeError):
    """The server could not be started; the message is one readable line (plus a log tail if any)."""


@dataclass
class ServerHandle:
    base_url: str
    launch: Launch
    backend: str | None = None  # known backend when the collector started the engine itself
    backend_version: str | None = None
    backend_version_source: str | None = None
    model: ModelInfo | None = None
    quantization: Quantization | None = None
    serving: Serving | None = None
    reported: dict[str, str | int | float | bool | None] = field(default_factory=dict)
    gpu_count: int = 0
    is_local: bool = True
    isolation: Isolation | None = None  # the CPU split, set by the runner once the server is placed
    clock: StartupClock | None = None  # process start and readiness of a server the collector started


def _per_slot_context(config: CollectConfig) -> int:
    longest_in = int((config.input_tokens or 2048) * (1 + config.length_jitter)) + 16
    longest_in = max(longest_in, config.longest_prompt_tokens)
    longest_out = int((config.output_tokens or 256) * (1 + config.length_jitter)) + 16
    return max(512, longest_in + longest_out + 64)


def _embedded_model(config: CollectConfig) -> tuple[Path, ModelInfo]:
    """The GGUF to serve and what the record says about it (random or real weights, honestly).

    Real weights by default (the catalogue's default model, fetched once into the cache); the random-weight
    generator only when asked for with --random-weights or --shape.
    """
    random_requested = "random-weights" in config.labels or config.shape is not None
    if config.gguf is not None and config.model_source is not None:
        raise ServerStartError("give either --gguf or --model-source, not both")
    if config.gguf is not None and not random_requested and config.gguf.is_file():
        try:
            real = read_random_marker(config.gguf) is None
            if real:
                local = describe_local(config.gguf)
                # A cached model keeps its catalogue name; any other file is named after itself, as before.
                known = local.source != str(config.gguf)
                return config.gguf, model_info(
                    local, config.model or (local.name if known else config.gguf.name)
                )
        except (OSError, ValueError, ModelSourceError):
            pass  # reported below, the way an unreadable file always was
    if config.gguf is None and (config.model_source is not None or not random_requested):
        try:
            resolved = embedded_real_model(config.model_source)
        except ModelSourceError as exc:
            raise ServerStartError(str(exc)) from None
        return resolved.path, model_info(resolved)
    if config.gguf is not None:
        if not config.gguf.is_file():
            raise ServerStartError(f"GGUF model file not found: {config.gguf}")
        try:
            marker = read_random_marker(config.gguf)
        except (OSError, ValueError) as exc:
            raise ServerStartError(f"{config.gguf}: not a readable GGUF file ({exc})") from None
        # The generator stamps its files; anything else is real unless the user labelled it random.
        random = marker is not None or "random-weights" in config.labels
        model = ModelInfo(
            name=config.model or config.gguf.name,
            weights="random" if random else "real",
            path=str(config.gguf),
            shape=marker if marker not in (None, "unknown") else None,
        )
        return config.gguf, model
    try:
        info = cached_model(config.shape or "tiny", config.engine_dtype, seed=config.seed)
    except (ValueError, OSError) as exc:
        raise ServerStartError(f"cannot generate the random-weight model: {exc}") from None
    model = ModelInfo(
        name=info.name,
        weights="random",
        path=str(info.path),
        file_sha256=info.sha256,
        architecture=info.architecture,
        shape=info.shape,
        parameter_count=info.parameter_count,
    )
    return info.path, model


def _gguf_quantization(path: Path, kv_cache: Scalar) -> Quantization:
    try:
        detected = gguf_quantization(path)
    except ValueError:  # a foreign GGUF we cannot read is still servable
        detected = Quantization()
    kv = normalize_dtype(kv_cache) if isinstance(kv_cache, str) else None
    return detected.model_copy(update={"kv_cache_dtype": kv, "source": "detected"})


@contextlib.contextmanager
def embedded_server(config: CollectConfig, threads: int | None = None) -> Iterator[ServerHandle]:
    """Start llama.cpp in-process (xllamacpp) on a free loopback port; always stopped on exit.

    threads: compute threads when --engine-threads is not given (the engine's CPU set, see isolation)."""
    model_path, model = _embedded_model(config)
    slots = max(config.engine_parallel, max(config.concurrency or [1]), config.max_concurrency or 1)
    # engine_ctx is the engine's TOTAL context (as `--ctx` of `python -m collector.server.engine` and the
    # suite's n_ctx say), split across the slots; unset, each slot is sized to fit the workload.
    total_ctx = config.engine_ctx if config.engine_ctx is not None else _per_slot_context(config) * slots
    per_slot = total_ctx // slots
    if per_slot < 16:
        raise ServerStartError(f"engine context {total_ctx} is too small for {slots} slots (16 tokens each)")
    # Without a CPU set, leave one core to the collector: on a small host an engine on every core delays the
    # client's own timestamps, and the self-check would (rightly) flag every level.
    threads = config.engine_threads or threads or max(1, (os.cpu_count() or 2) - 1)
    engine = EmbeddedEngine(
        model_path,
        n_ctx=total_ctx,
        n_parallel=slots,
        n_threads=threads,
        metrics=True,
        alias=model.name,  # so /v1/models lists the model's name rather than the file path
    )
    try:
        base_url = engine.start()
    except Exception as exc:
        engine.stop()
        raise ServerStartError(f"the embedded llama.cpp engine failed to start: {exc}") from None
    try:
        model.max_context = per_slot
        props = engine.model_props or {}
        settings = dict(engine.settings)
        launch = Launch(
            mode="embedded",
            argv=None,
            startup_s=engine.startup_s,
            memory=MemoryFootprint(host_rss_mib=engine.host_rss_mib),
            engine_settings=settings,
            engine_install=engine_install(EMBEDDED_DISTRIBUTION),
        )
        yield ServerHandle(
            base_url=base_url,
            launch=launch,
            backend="llama.cpp",
            backend_version=engine.version.label,
            backend_version_source="xllamacpp package metadata + llama.cpp /props build_info",
            model=model,
            quantization=_gguf_quantization(model_path, settings.get("cache_type_k")),
            serving=Serving(max_batch=slots, prefix_caching=True, extra={"engine": "xllamacpp (in-process)"}),
            reported={k: v for k, v in props.items() if isinstance(v, (str, int, float, bool))},
            clock=engine.clock,
        )
    finally:
        engine.stop()


def launch_ready_url(config: CollectConfig) -> str:
    """Where a launched server says it is ready: the suite's/flag's URL, else the backend's readiness path
    (e.g. llama.cpp's /health, which answers 503 while the model loads), else /v1/models."""
    assert config.endpoint is not None
    if config.ready_url:
        return config.ready_url
    path = "/v1/models"
    # With --backend auto the launch line still says which server it starts (e.g. `python -m
    # vllm.entrypoints.openai.api_server`), hence which readiness path to poll.
    backend = config.backend if config.backend != "auto" else backend_from_launch(config.launch)
    if backend is not None and backend != "auto":
        with contextlib.suppress(UnknownBackendError):
            path = next(iter(get_adapter(backend).readiness_paths), path)
    return config.endpoint.rstrip("/") + path


def _launched_facts(argv: Sequence[str]) -> tuple[Quantization, Serving]:
    """Quantization and serving facts a launch line states; a GGUF file it serves is read for its type."""
    quantization = quantization_from_argv(argv)
    for arg in argv:
        value = arg.partition("=")[2] or arg
        if value.endswith(".gguf") and Path(value).is_file():
            quantization = merge(_gguf_quantization(Path(value), None), quantization)
            break
    return quantization, serving_from_argv(argv)


@contextlib.contextmanager
def managed_server(
    config: CollectConfig, log_path: Path, ready_url: str | None = None
) -> Iterator[ServerHandle]:
    """Start --launch as a child process, wait for readiness, stop it on exit (also on errors/Ctrl-C).

    ready_url: ignored when it is just the endpoint (the runner's default); see launch_ready_url().
    """
    assert config.launch is not None and config.endpoint is not None
    if ready_url is None or ready_url.rstrip("/") == config.endpoint.rstrip("/"):
        ready_url = launch_ready_url(config)
    api_key = config.api_key.get_secret_value() if config.api_key else None
    server = ManagedServer(
        config.launch,
        env=config.launch_env,
        log_path=log_path,
        ready_url=ready_url,
        ready_timeout_s=config.ready_timeout_s,
        gpu_indices=config.gpu_indices,
        extra_secrets=[api_key] if api_key else (),
    )
    try:
        server.start()
    except LaunchError as exc:
        server.stop()
        raise ServerStartError(str(exc)) from None
    try:
        quantization, serving = _launched_facts(server.argv)
        yield ServerHandle(
            base_url=config.endpoint.rstrip("/"),
            launch=to_launch_record(server),
            quantization=quantization,
            serving=serving,
            clock=server.clock,
        )
    finally:
        server.stop()


def external_server(config: CollectConfig) -> ServerHandle:
    assert config.endpoint is not None
    return ServerHandle(
        base_url=config.endpoint.rstrip("/"),
        launch=Launch(mode="external"),
        is_local=is_loopback(config.endpoint),
    )


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
