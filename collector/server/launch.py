"""Managed launch: start a server as a child process, wait until it is ready, measure it, stop it.

The child runs in its own process group (so Ctrl-C in the terminal reaches only the collector, which then
stops the whole group deliberately) and its stdout+stderr go through a pipe to a reader thread that scrubs
known secrets before writing the log file: the server's own output (which often echoes its arguments,
API key included) never reaches disk unredacted. See docs/launch.md.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

import httpx
import pynvml

from collector.errors import InferboardError
from collector.provenance.hardware import nvml_session, nvml_try
from collector.schema import Launch, MemoryFootprint
from collector.schema.models import Scalar
from collector.secrets.redact import known_secrets, redact_argv, redact_env, redact_text
from collector.secrets.scrub import register as register_secrets
from collector.secrets.scrub import registered as registered_secrets
from collector.server.startup import READY_POLL_INTERVAL_S, StartupClock, launch_flags, launched_install

LOG_TAIL_LINES = 20
_MAX_LINE_BYTES = 64 * 1024  # a progress bar without newlines is flushed in pieces of this size


class LaunchError(InferboardError, RuntimeError):
    """The server could not be started or never became ready; the message ends with the log's last lines."""


class _ScrubbingLogWriter(threading.Thread):
    """Copies the child's output to the log file line by line, secrets scrubbed; keeps the last lines."""

    def __init__(self, stream: IO[bytes], log_path: Path, secrets: Sequence[str]) -> None:
        super().__init__(name="inferboard-server-log", daemon=True)
        self._stream = stream
        self._log_path = log_path
        self._secrets = list(secrets)
        self.tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self._lock = threading.Lock()

    def _write(self, log: IO[str], raw: bytes) -> None:
        line = redact_text(raw.decode("utf-8", errors="replace"), [*self._secrets, *registered_secrets()])
        log.write(line)
        log.flush()
        stripped = line.rstrip("\r\n")
        if stripped.strip():
            with self._lock:
                self.tail.append(stripped.rsplit("\r", 1)[-1])

    def run(self) -> None:
        with self._stream, self._log_path.open("w", encoding="utf-8") as log:
            pending = b""
            while chunk := self._stream.read1(65536):  # type: ignore[attr-defined]
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self._write(log, line + b"\n")
                if len(pending) > _MAX_LINE_BYTES:
                    self._write(log, pending)
                    pending = b""
            if pending:
                self._write(log, pending)

    def last_lines(self) -> list[str]:
        with self._lock:
            return list(self.tail)


def process_tree(root_pid: int) -> list[int]:
    """`root_pid` and all its descendants, from /proc (empty when the root is gone)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: fields start after the last ')'.
        fields = stat.rsplit(")", 1)[-1].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    if not Path(f"/proc/{root_pid}").exists():
        return []
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_rss_mib(root_pid: int) -> float | None:
    """Sum of the resident memory of a process and its descendants, in MiB (None when unreadable)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    seen = False
    for pid in process_tree(root_pid):
        try:
            resident_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        total += resident_pages * page
        seen = True
    return round(total / 2**20, 1) if seen else None


def gpu_memory_used_mib(pids: Sequence[int], gpu_indices: Sequence[int] | None = None) -> float | None:
    """GPU memory held by `pids` (NVML per-process accounting), else the memory used on the serving GPUs.

    The fallback covers containers, where NVML reports host PIDs that do not match ours. None without NVML.
    """
    with nvml_session() as reason:
        if reason is not None:
            return None
        count = nvml_try(pynvml.nvmlDeviceGetCount) or 0
        indices = list(range(count)) if gpu_indices is None else list(gpu_indices)
        wanted = set(pids)
        per_process = 0.0
        device_used = 0.0
        for index in indices:
            handle = nvml_try(lambda i=index: pynvml.nvmlDeviceGetHandleByIndex(i))  # type: ignore[misc]
            if handle is None:
                continue
            for proc in nvml_try(lambda h=handle: pynvml.nvmlDeviceGetComputeRunningProcesses(h)) or []:  # type: ignore[misc]
                if proc.pid in wanted and proc.usedGpuMemory:
                    per_process += proc.usedGpuMemory / 2**20
            memory = nvml_try(lambda h=handle: pynvml.nvmlDeviceGetMemoryInfo(h))  # type: ignore[misc]
            if memory is not None:
                device_used += memory.used / 2**20
        if not indices:
            return None
        return round(per_process if per_process > 0 else device_used, 1)


def _answers(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.HTTPError:
        return False


class ManagedServer:
    """A server started by the collector; a context manager that always stops what it started.

    argv: the launch command, a list or one string (split with shlex, no shell involved).
    env: variables added to (or overriding) the collector's environment for the child.
    """

    def __init__(
        self,
        argv: Sequence[str] | str,
        env: Mapping[str, str] | None,
        log_path: Path,
        ready_url: str,
        ready_timeout_s: float = 600.0,
        grace_s: float = 10.0,
        gpu_indices: Sequence[int] | None = None,
        extra_secrets: Sequence[str] = (),
    ) -> None:
        self.argv = shlex.split(argv) if isinstance(argv, str) else list(argv)
        if not self.argv:
            raise LaunchError("empty launch command")
        self.env = {**os.environ, **(env or {})}
        self.log_path = Path(log_path)
        self.ready_url = ready_url
        self.ready_timeout_s = ready_timeout_s
        self.grace_s = grace_s
        self.gpu_indices = gpu_indices
        self.secrets = known_secrets(self.env, self.argv, extra_secrets)
        register_secrets(self.secrets)
        self.clock: StartupClock | None = None  # when the process started and answered ready
        self.host_rss_mib: float | None = None
        self.gpu_used_mib: float | None = None
        self.returncode: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: _ScrubbingLogWriter | None = None
        self._stopped = False

    @property
    def startup_s(self) -> float | None:
        """Seconds from spawn to the first 200 from ready_url (see collector.server.startup)."""
        return self.clock.startup_s if self.clock is not None else None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def __enter__(self) -> ManagedServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _fail(self, message: str) -> LaunchError:
        lines = self._log.last_lines() if self._log is not None else []
        tail = "\n".join(f"  | {line}" for line in lines) or "  | (the server wrote nothing)"
        text = f"{message}\nlast lines of {self.log_path}:\n{tail}"
        return LaunchError(redact_text(text, self.secrets))

    def start(self) -> None:
        """Spawn the server and block until ready_url answers 200; stops the child on any failure."""
        if self._proc is not None:
            return
        with httpx.Client(timeout=2.0) as probe:
            if _answers(probe, self.ready_url):
                raise LaunchError(
                    f"something already answers at {redact_text(self.ready_url)} before the launch; "
                    "stop it or choose another port"
                )
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        spawned = time.monotonic()
        self.clock = StartupClock()
        try:
            self._proc = subprocess.Popen(
                self.argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise LaunchError(redact_text(f"cannot start {self.argv[0]!r}: {exc}", self.secrets)) from None
        assert self._proc.stdout is not None
        self._log = _ScrubbingLogWriter(self._proc.stdout, self.log_path, self.secrets)
        self._log.start()
        try:
            self._wait_ready(spawned)
            self.clock.mark_ready()
            self.measure_memory()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, spawned: float) -> None:
        assert self._proc is not None
        deadline = spawned + self.ready_timeout_s
        with httpx.Client(timeout=httpx.Timeout(5.0)) as client:
            while True:
                code = self._proc.poll()
                if code is not None:
                    self._flush_log()
                    raise self._fail(
                        f"server exited with status {code} after {time.monotonic() - spawned:.1f} s, "
                        f"before it became ready at {self.ready_url}"
                    )
                if _answers(client, self.ready_url):
                    return
                if time.monotonic() >= deadline:
                    raise self._fail(
                        f"server did not become ready at {self.ready_url} within {self.ready_timeout_s:g} s"
                    )
                time.sleep(READY_POLL_INTERVAL_S)

    def measure_memory(self) -> None:
        """Record host RSS of the process tree and GPU memory in use (call after the model loaded)."""
        if self._proc is None or self._proc.poll() is not None:
            return
        self.host_rss_mib = tree_rss_mib(self._proc.pid)
        self.gpu_used_mib = gpu_memory_used_mib(process_tree(self._proc.pid), self.gpu_indices)

    def _flush_log(self) -> None:
        if self._log is not None:
            self._log.join(timeout=2.0)

    def _group_alive(self, pgid: int) -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def _signal_group(self, pgid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)

    def stop(self) -> int | None:
        """SIGTERM to the process group, SIGKILL after grace_s; idempotent. Returns the exit status."""
        if self._stopped or self._proc is None:
            self._stopped = True
            return self.returncode
        self._stopped = True
        proc, pgid = self._proc, self._proc.pid  # start_new_session: the child leads its own group
        # Keep Ctrl-C pressed during shutdown from leaving an orphaned server behind.
        try:
            self._signal_group(pgid, signal.SIGTERM)
            deadline = time.monotonic() + self.grace_s
            while time.monotonic() < deadline:
                proc.poll()
                if proc.returncode is not None and not self._group_alive(pgid):
                    break
                time.sleep(0.05)
            else:
                self._signal_group(pgid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5.0)
        finally:
            if proc.poll() is None:
                self._signal_group(pgid, signal.SIGKILL)
                proc.wait()
            self.returncode = proc.returncode
            self._flush_log()
        return self.returncode


def to_launch_record(
    server: ManagedServer,
    engine_settings: Mapping[str, Scalar] | None = None,
    log_file: str | None = None,
) -> Launch:
    """The run record's `Launch` for a managed server: redacted argv and env, startup time, footprint.

    log_file: the name to record for the log (default: the log's file name; it lives beside the run).
    """
    memory = None
    if server.host_rss_mib is not None or server.gpu_used_mib is not None:
        memory = MemoryFootprint(gpu_used_mib=server.gpu_used_mib, host_rss_mib=server.host_rss_mib)
    return Launch(
        mode="managed",
        argv=[redact_text(arg, server.secrets) for arg in redact_argv(server.argv)],
        env={name: redact_text(value, server.secrets) for name, value in redact_env(server.env).items()},
        startup_s=server.startup_s,
        memory=memory,
        launch_flags=launch_flags(server.argv),
        engine_install=launched_install(server.argv),
        log_file=log_file if log_file is not None else server.log_path.name,
        engine_settings=dict(engine_settings or {}),
    )
