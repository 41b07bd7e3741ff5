"""Reliability, fault 8: Ctrl-C (SIGINT) and SIGTERM during a sweep, sent to a real `inferboard collect`
process. The run keeps its completed levels and the completed requests of the interrupted one, is marked
`interrupted`, the server the collector started is stopped, and a second Ctrl-C leaves at once."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collector.schema import RunRecord, load_run
from tests.helpers.netutil import free_port
from tests.helpers.rel_support import port_refuses, spawn, wait_for_text
from tests.helpers.scripted_server import Script, ScriptedServer

HELPERS = Path(__file__).resolve().parents[2] / "helpers"
FAST = ["--input-tokens", "8", "--output-tokens", "8", "--warmup", "0"]


def wait_for_completed(progress: Path, count: int, proc: subprocess.Popen[str]) -> None:
    """Until the progress line of the running level shows at least `count` finished requests."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = [int(n) for n in re.findall(r"(\d+)/\d+ requests", progress.read_text(errors="replace"))]
        if done and max(done) >= count:
            return
        if proc.poll() is not None:
            raise AssertionError(f"process exited ({proc.returncode}): {progress.read_text()[-2000:]}")
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} requests finished: {progress.read_text()[-2000:]}")


def _only_run(out: Path) -> RunRecord:
    [path] = out.glob("*.json")
    return load_run(path)


def _assert_interrupted(record: RunRecord, sig: str) -> None:
    assert record.status == "interrupted" and sig in (record.status_reason or "")
    first, second = record.results
    assert first.status == "complete" and first.failed == 0 and first.completed > 0
    # In-flight requests were cancelled, not counted as failures; those that completed are kept.
    assert second.status == "interrupted" and second.failed == 0 and second.completed >= 1
    assert second.ttft_ms is not None and second.ttft_ms.count == second.completed


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_mid_sweep_writes_an_interrupted_run(tmp_path: Path, sig: signal.Signals) -> None:
    progress = tmp_path / "progress.txt"
    with ScriptedServer(Script(ttft_ms=5.0, itl_ms=25.0)) as srv:
        args = ["--endpoint", srv.url, "--backend", "openai", "--concurrency", "1,4", "--duration", "1.5"]
        proc = spawn([*FAST, *args, "--requests", "400"], tmp_path / "runs", progress)
        try:
            wait_for_text(progress, "c=1: done", 60, proc)
            wait_for_text(progress, "c=4: ", 30, proc)
            proc.send_signal(sig)
            stdout, _ = proc.communicate(timeout=120)  # only catches a hang
        finally:
            proc.kill()
    assert proc.returncode == 130
    _assert_interrupted(_only_run(tmp_path / "runs"), sig.name)
    # No waiting for the level's remaining requests: a condition on the record, not a race with a clock.
    assert _only_run(tmp_path / "runs").results[1].completed < 400
    errors = [line for line in progress.read_text().splitlines() if line.startswith("error:")]
    assert errors == [f"error: interrupted by {sig.name}: completed levels were kept"]
    assert "run file:" in stdout and "(interrupted)" in stdout


def _launch_line(port: int, *extra: str) -> str:
    return f"{sys.executable} {HELPERS / 'rel_launchable.py'} --port {port} " + " ".join(extra)


@pytest.mark.slow
def test_second_ctrl_c_leaves_at_once_and_kills_the_launched_server(tmp_path: Path) -> None:
    # The launched server ignores SIGTERM, so the collector's graceful stop would wait 10 s before SIGKILL;
    # the second Ctrl-C must cut that short and still leave no server behind.
    port = free_port()
    progress, out = tmp_path / "progress.txt", tmp_path / "runs"
    args = ["--launch", _launch_line(port, "--ignore-sigterm"), "--endpoint", f"http://127.0.0.1:{port}"]
    args += ["--backend", "openai", "--concurrency", "1,2", "--requests", "400", "--ready-timeout", "30"]
    proc = spawn([*FAST, *args], out, progress)
    try:
        wait_for_text(progress, "c=1: ", 60, proc)
        proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 20
        while not list(out.glob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.02)  # the first Ctrl-C writes the run, then waits for the stubborn server
        assert list(out.glob("*.json")), progress.read_text()
        assert proc.poll() is None  # still in the graceful stop
        proc.send_signal(signal.SIGINT)
        # Without the second Ctrl-C the graceful stop waits out the server's 10 s grace
        # (ManagedServer.grace_s) before its SIGKILL: leaving at once means exiting inside that grace,
        # with room for a loaded machine.
        proc.wait(timeout=9)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == 130
    deadline = time.monotonic() + 5
    while not port_refuses(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert port_refuses(port), "the launched server outlived the collector"
    record = _only_run(out)
    assert record.status == "interrupted" and record.results[0].status == "interrupted"
    assert not list(out.glob(".*.tmp"))


@pytest.mark.engine
@pytest.mark.slow
def test_sigint_with_the_embedded_engine_stops_it_promptly(tmp_path: Path) -> None:
    # A stream left open would make llama.cpp's stop wait for its 30 s SSE keep-alive ping. The level does not
    # end before the signal (200 requests of 64 tokens take minutes; the signal follows the second), however
    # loaded the machine; the stop must come well before the ping (25 s: generous, normally under 2 s).
    progress, out = tmp_path / "progress.txt", tmp_path / "runs"
    args = ["--concurrency", "2", "--duration", "3600", "--requests", "200"]
    args += ["--input-tokens", "8", "--output-tokens", "64", "--warmup", "0", "--engine-threads", "1"]
    proc = spawn(args, out, progress)
    try:
        wait_for_text(progress, "c=2: ", 120, proc)
        wait_for_completed(progress, 2, proc)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=25)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == 130
    record = _only_run(out)
    assert record.status == "interrupted" and "SIGINT" in (record.status_reason or "")
    (level,) = record.results
    assert level.status == "interrupted" and level.failed == 0 and level.completed >= 2


@pytest.mark.engine
@pytest.mark.slow
def test_sigterm_stops_a_launched_real_engine(tmp_path: Path) -> None:
    from collector.server.engine import engine_command
    from collector.server.ggufgen import cached_model

    port = free_port()
    argv = engine_command(cached_model("tiny", "f32").path, port=port, n_parallel=2, n_ctx=2048, n_threads=1)
    progress, out = tmp_path / "progress.txt", tmp_path / "runs"
    args = ["--launch", " ".join(argv), "--endpoint", f"http://127.0.0.1:{port}", "--backend", "llama.cpp"]
    args += [
        "--concurrency",
        "1,2",
        "--duration",
        "2",
        "--requests",
        "60",
        "--output-tokens",
        "64",
        "--ready-timeout",
        "60",
    ]
    proc = spawn([*args, "--input-tokens", "8", "--warmup", "0"], out, progress)
    try:
        wait_for_text(progress, "c=1: done", 120, proc)
        wait_for_text(progress, "c=2: ", 60, proc)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == 130
    assert port_refuses(port), "the launched engine is still serving"
    _assert_interrupted(_only_run(out), "SIGTERM")
    [log] = out.glob("server-*.log")  # the launched server's log is kept beside the run
    assert log.stat().st_size > 0
