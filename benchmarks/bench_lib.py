"""Shared plumbing for the client benchmarks: build/start/stop the timing server, run pinned clients.

The timing server is compiled from ``benchmarks/timing_server/timing_server.c`` with the system gcc into
``benchmarks/out/`` (git-ignored). Clients run as child processes so their CPU time can be read exactly
from ``wait4`` (children reaped by the client, e.g. aiperf's workers, are included).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
SERVER_SRC = HERE / "timing_server" / "timing_server.c"
SERVER_BIN = OUT / "timing_server"
# Wall-clock limit for one client run; the benchmark scripts lower it so one stuck client cannot eat the hour.
CHILD_TIMEOUT_S = 900.0


def build_server() -> Path:
    """Compile the timing server when the binary is missing or older than its source."""
    OUT.mkdir(parents=True, exist_ok=True)
    if SERVER_BIN.exists() and SERVER_BIN.stat().st_mtime >= SERVER_SRC.stat().st_mtime:
        return SERVER_BIN
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise RuntimeError("benchmarks: no C compiler (gcc/cc) on PATH to build the timing server")
    tmp = SERVER_BIN.with_suffix(".tmp")
    subprocess.run([gcc, "-O2", "-Wall", "-o", str(tmp), str(SERVER_SRC)], check=True)
    tmp.replace(SERVER_BIN)
    return SERVER_BIN


def collector_digest() -> str:
    """sha256 (12 hex) of every collector/**/*.py: identifies the measured code, committed or not."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((HERE.parent / "collector").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def source_state() -> str:
    """The commit the measured inferboard ran from, and its collector sources' digest."""
    repo = HERE.parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "collector"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        sha, dirty = "unknown commit", ""
    return f"{sha}{' + uncommitted changes' if dirty else ''} (collector sources sha256 {collector_digest()})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin_prefix(cpu: int | str | None, realtime: bool = False) -> list[str]:
    """taskset (and chrt/nice when allowed) prefix; empty when the tools or the CPU are not available.
    `cpu`: one core, or a comma-separated list of cores (the processes of a worker level)."""
    prefix: list[str] = []
    cores = [int(c) for c in str(cpu).split(",") if c.strip()] if cpu is not None else []
    if cores and shutil.which("taskset") and max(cores) < (os.cpu_count() or 1):
        prefix += ["taskset", "-c", ",".join(map(str, cores))]
    # The server gets a real-time priority so other work on the machine cannot delay its deadlines;
    # clients keep normal scheduling (what a user has).
    if realtime and os.geteuid() == 0 and shutil.which("chrt"):
        prefix += ["chrt", "-f", "10"]
    return prefix


@dataclass
class Truth:
    """The timing a server was configured with (what the clients should measure)."""

    ttft_ms: float
    itl_ms: float
    tokens: int


@dataclass
class TimingServer:
    """A running timing-server process."""

    proc: subprocess.Popen[str]
    port: int
    ttft_ms: float
    itl_ms: float
    tokens: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stats(self, reset: bool = False) -> dict[str, Any]:
        """The server's lateness summary since the last reset (and start a new window when reset)."""
        url = f"{self.base_url}/stats" + ("?reset=1" if reset else "")
        with urllib.request.urlopen(url, timeout=10) as resp:
            return dict(json.loads(resp.read()))

    def stop(self) -> dict[str, Any] | None:
        """SIGTERM the server; return the final stats it prints."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _out, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _out, err = self.proc.communicate()
        for line in (err or "").splitlines():
            if line.startswith("timing_server stats: "):
                return dict(json.loads(line.split(": ", 1)[1]))
        return None


def start_server(
    ttft_ms: float = 150.0,
    itl_ms: float = 12.0,
    tokens: int = 40,
    cpu: int | None = None,
    realtime: bool = True,
    port: int | None = None,
) -> TimingServer:
    """Build (if needed) and start the timing server; waits until /health answers."""
    binary = build_server()
    port = port or free_port()
    cmd = [
        *pin_prefix(cpu, realtime),
        str(binary),
        "--port",
        str(port),
        "--ttft-ms",
        str(ttft_ms),
        "--itl-ms",
        str(itl_ms),
        "--tokens",
        str(tokens),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    server = TimingServer(proc, port, ttft_ms, itl_ms, tokens)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"timing server exited: {proc.communicate()[1].strip()}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/health", timeout=1):
                return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"timing server did not answer on port {port} within 10 s")


@dataclass
class ChildRun:
    """A finished client process: its output and exact CPU use."""

    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float  # user + system of the process and every child it reaped


def run_child(
    cmd: list[str],
    cpu: int | str | None = None,
    env: dict[str, str] | None = None,
    timeout_s: float | None = None,
    cwd: Path | None = None,
) -> ChildRun:
    """Run one client process pinned to `cpu`; CPU seconds come from wait4's rusage."""
    import threading

    full = [*pin_prefix(cpu), *cmd]
    timeout_s = CHILD_TIMEOUT_S if timeout_s is None else timeout_s
    t0 = time.monotonic()
    # Own session, so a timeout can end the client's worker processes too (guidellm and aiperf spawn some).
    proc = subprocess.Popen(
        full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    # Popen.wait() would reap the child and lose its rusage: drain the pipes in threads, reap with wait4.
    chunks: dict[str, list[str]] = {"out": [], "err": []}

    def drain(name: str, stream: Any) -> None:
        for line in stream:
            chunks[name].append(line)

    threads = [
        threading.Thread(target=drain, args=("out", proc.stdout), daemon=True),
        threading.Thread(target=drain, args=("err", proc.stderr), daemon=True),
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout_s
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        if not timed_out and time.monotonic() > deadline:
            timed_out = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in threads:
        t.join(timeout=10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    err = "".join(chunks["err"]) + (f"\ntimed out after {timeout_s} s" if timed_out else "")
    return ChildRun(
        proc.returncode, "".join(chunks["out"]), err, time.monotonic() - t0, usage.ru_utime + usage.ru_stime
    )


def ideal_throughput(concurrency: int, ttft_ms: float, itl_ms: float, tokens: int) -> float:
    """Closed-loop output tok/s when every request takes exactly TTFT + (N-1) * ITL."""
    return concurrency * tokens / ((ttft_ms + (tokens - 1) * itl_ms) / 1000.0)
