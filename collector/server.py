"""Getting a server to measure: the embedded llama.cpp engine, a managed launch, or an external URL."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from collector.config import CollectConfig
from collector.schema import Launch, MemoryFootprint, ModelInfo, Quantization, Serving


class ServerStartError(RuntimeError):
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


def _per_slot_context(config: CollectConfig) -> int:
    longest_in = int((config.input_tokens or 2048) * (1 + config.length_jitter)) + 16
    longest_out = int((config.output_tokens or 256) * (1 + config.length_jitter)) + 16
    return max(512, longest_in + longest_out + 64)


@contextlib.contextmanager
def embedded_server(config: CollectConfig) -> Iterator[ServerHandle]:
    """Start llama.cpp in-process (xllamacpp) on a free loopback port; always stopped on exit."""
    from collector.engine import EmbeddedEngine
    from collector.ggufgen import cached_model

    if config.gguf is not None:
        if not config.gguf.is_file():
            raise ServerStartError(f"GGUF model file not found: {config.gguf}")
        model_path = config.gguf
        model = ModelInfo(name=config.model or config.gguf.name, weights="real", path=str(config.gguf))
        weights_random = False
    else:
        try:
            info = cached_model(config.shape, config.engine_dtype, seed=config.seed)
        except (ValueError, OSError) as exc:
            raise ServerStartError(f"cannot generate the random-weight model: {exc}") from None
        model_path = info.path
        model = ModelInfo(
            name=info.name,
            weights="random",
            path=str(info.path),
            file_sha256=info.sha256,
            architecture=info.architecture,
            shape=info.shape,
            parameter_count=info.parameter_count,
        )
        weights_random = True
    slots = max(config.engine_parallel, max(config.concurrency or [1]), config.max_concurrency or 1)
    per_slot = config.engine_ctx if config.engine_ctx != 4096 else _per_slot_context(config)
    # Leave one core to the collector: on a small host an engine on every core delays the client's own
    # timestamps, and the self-check would (rightly) flag every level as client-saturated.
    threads = config.engine_threads or max(1, (os.cpu_count() or 2) - 1)
    engine = EmbeddedEngine(
        model_path, n_ctx=per_slot * slots, n_parallel=slots, n_threads=threads, metrics=True
    )
    try:
        base_url = engine.start()
    except Exception as exc:
        engine.stop()
        raise ServerStartError(f"the embedded llama.cpp engine failed to start: {exc}") from None
    try:
        file_type = _gguf_file_type(model_path)
        model.max_context = per_slot
        props = engine.model_props or {}
        version = engine.version.label
        settings = dict(engine.settings)
        launch = Launch(
            mode="embedded",
            argv=None,
            startup_s=engine.startup_s,
            memory=MemoryFootprint(host_rss_mib=engine.host_rss_mib),
            engine_settings=settings,
        )
        handle = ServerHandle(
            base_url=base_url,
            launch=launch,
            backend="llama.cpp",
            backend_version=version,
            backend_version_source="xllamacpp package metadata + llama.cpp /props build_info",
            model=model,
            quantization=Quantization(
                format=file_type,
                weights_dtype=file_type.split()[-1].lower() if file_type else None,
                kv_cache_dtype="f16",
                source="detected",
            ),
            serving=Serving(max_batch=slots, prefix_caching=True, extra={"engine": "xllamacpp (in-process)"}),
            reported={k: v for k, v in props.items() if isinstance(v, (str, int, float, bool))},
        )
        if weights_random:
            handle.model = model
        yield handle
    finally:
        engine.stop()


def _gguf_file_type(path: Path) -> str | None:
    try:
        from collector.provenance import gguf_file_type
    except ImportError:  # pragma: no cover
        return None
    try:
        return gguf_file_type(path)
    except Exception:  # a foreign GGUF we cannot read is still servable
        return None


@contextlib.contextmanager
def managed_server(config: CollectConfig, log_path: Path, ready_url: str) -> Iterator[ServerHandle]:
    """Start --launch as a child process, wait for readiness, stop it on exit (also on errors/Ctrl-C)."""
    from collector.launch import LaunchError, ManagedServer, to_launch_record

    assert config.launch is not None and config.endpoint is not None
    server = ManagedServer(
        config.launch,
        env=None,
        log_path=log_path,
        ready_url=ready_url,
        ready_timeout_s=config.ready_timeout_s,
        gpu_indices=config.gpu_indices,
    )
    try:
        server.start()
    except LaunchError as exc:
        server.stop()
        raise ServerStartError(str(exc)) from None
    try:
        yield ServerHandle(base_url=config.endpoint.rstrip("/"), launch=to_launch_record(server))
    finally:
        server.stop()


def external_server(config: CollectConfig) -> ServerHandle:
    assert config.endpoint is not None
    return ServerHandle(
        base_url=config.endpoint.rstrip("/"),
        launch=Launch(mode="external"),
        is_local=_is_loopback(config.endpoint),
    )


def _is_loopback(url: str) -> bool:
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
