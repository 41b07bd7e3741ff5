"""Reliability: what `inferboard collect` does when the server misbehaves (docs/reliability.md, faults 1-6).

Every fault comes from a real server process on loopback (the scripted server, or the real llama.cpp engine
for the kill test); the collector under test is the real CLI with its real HTTP client.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collector.schema import LevelResult
from collector.server.engine import engine_command
from collector.server.ggufgen import cached_model
from tests.helpers.netutil import free_port
from tests.helpers.rel_support import FAST, cli, spawn, wait_for_text
from tests.helpers.scripted_server import Script, ScriptedServer


def _latency_excludes_failures(level: LevelResult) -> None:
    assert level.ttft_ms is not None and level.ttft_ms.count == level.completed
    assert level.e2e_ms is not None and level.e2e_ms.count == level.completed
    assert sum(level.errors.values()) == level.failed


# --- 1. the server process dies in the middle of a level -----------------------------------------------


@pytest.mark.slow
def test_server_sigkilled_mid_level_keeps_completed_levels(tmp_path: Path) -> None:
    # Levels c=1 (requests 0-5), c=2 (6-11), c=4; the server SIGKILLs itself two chunks into request 8.
    with ScriptedServer(Script(ttft_ms=5.0, itl_ms=10.0, sigkill_at=8)) as srv:
        result = cli([*FAST, "--endpoint", srv.url, "--concurrency", "1,2,4", "--requests", "6"], tmp_path)
        assert srv.process is not None and srv.process.wait(10) == -9
    record = result.record()
    assert result.exit_code == 1
    assert record.status == "incomplete" and "c=2" in (record.status_reason or "")
    first, second = record.results  # the c=4 level was never started against a dead server
    assert first.status == "complete" and first.completed == 6 and first.failed == 0
    assert second.status == "incomplete" and second.completed >= 2 and second.failed >= 1
    assert set(second.errors) <= {"disconnected", "connect"} and "disconnected" in second.errors
    _latency_excludes_failures(second)
    [line] = result.error_lines()
    assert "stopped early" in line and "disconnected=" in line


@pytest.mark.engine
@pytest.mark.slow
def test_real_engine_process_killed_mid_level(tmp_path: Path) -> None:
    model = cached_model("tiny", "f32")
    engine = subprocess.Popen(
        engine_command(model.path, port=free_port(), n_parallel=2, n_ctx=2048, n_threads=1),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert engine.stdout is not None
        url = engine.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        progress = tmp_path / "progress.txt"
        args = ["--endpoint", url, "--concurrency", "1,2", "--requests", "30", "--warmup", "0"]
        args += ["--input-tokens", "8", "--output-tokens", "64"]
        proc = spawn(args, tmp_path / "runs", progress)
        wait_for_text(progress, "c=2: ", 60, proc)  # the first c=2 request has completed
        engine.kill()  # SIGKILL while c=2 is streaming
        stdout, _ = proc.communicate(timeout=60)
    finally:
        engine.kill()
        engine.wait(10)
        if engine.stdout is not None:
            engine.stdout.close()
    assert proc.returncode == 1
    [run_file] = (tmp_path / "runs").glob("*.json")
    from collector.schema import load_run

    record = load_run(run_file)
    assert record.status == "incomplete"
    first, second = record.results
    assert first.status == "complete" and first.failed == 0 and first.completed > 0
    assert second.status == "incomplete" and second.failed > 0
    assert set(second.errors) <= {"disconnected", "connect"}
    lines = [ln for ln in progress.read_text().splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "stopped early" in lines[0], progress.read_text()[-500:]
    assert "run file:" in stdout


# --- 2. HTTP 500 / 503 / 429 ---------------------------------------------------------------------------


def test_http_errors_counted_per_status_and_kept_out_of_latency(tmp_path: Path) -> None:
    script = Script(ttft_ms=5.0, itl_ms=2.0, faults={1: "http_500", 3: "http_503", 5: "http_429"})
    with ScriptedServer(script) as srv:
        result = cli([*FAST, "--endpoint", srv.url, "--concurrency", "1", "--requests", "8"], tmp_path)
    assert result.exit_code == 0  # the server is alive and answering: a complete level with failures
    level = result.record().results[0]
    assert level.status == "complete" and level.completed == 5 and level.failed == 3
    assert level.errors == {"http_429": 1, "http_500": 1, "http_503": 1}
    assert level.retries == 0  # off by default
    _latency_excludes_failures(level)
    failed = [r for r in level.requests if r.status != "ok"]
    assert [r.status for r in failed] == ["http_500", "http_503", "http_429"]
    assert all(r.ttft_ms is None and r.error and r.error.startswith("HTTP ") for r in failed)
    header, _, row, *_ = (re.split(r"\s{2,}", line.strip()) for line in result.stdout.splitlines())
    assert header[1:3] == ["ok", "fail"] and row[1:3] == ["5", "3"]  # the summary says how many failed


@pytest.mark.slow
def test_retries_are_opt_in_and_counted(tmp_path: Path) -> None:
    # Request B meets 429, 429, then succeeds; C meets 503 then succeeds; D meets a 500 (never retried).
    faults = {1: "http_429", 2: "http_429", 4: "http_503", 6: "http_500"}
    with ScriptedServer(Script(ttft_ms=5.0, itl_ms=2.0, faults=faults, retry_after_s=0)) as srv:
        args = [*FAST, "--endpoint", srv.url, "--concurrency", "1", "--requests", "6", "--retries", "2"]
        result = cli(args, tmp_path)
    level = result.record().results[0]
    assert level.retries == 3
    assert level.completed == 5 and level.errors == {"http_500": 1}
    _latency_excludes_failures(level)


@pytest.mark.slow
def test_retries_exhausted_fail_with_the_status_and_say_so(tmp_path: Path) -> None:
    with ScriptedServer(Script(ttft_ms=5.0, itl_ms=2.0, faults={0: "http_429", 1: "http_429"})) as srv:
        args = [*FAST, "--endpoint", srv.url, "--concurrency", "1", "--requests", "2", "--retries", "1"]
        result = cli(args, tmp_path)
    level = result.record().results[0]
    assert level.errors == {"http_429": 1} and level.retries == 1 and level.completed == 1
    [failed] = [r for r in level.requests if r.status != "ok"]
    assert failed.error is not None and "after 1 retries" in failed.error


# --- 3. a stream that stops without [DONE] or usage ---------------------------------------------------


@pytest.mark.slow
def test_stream_cut_or_ended_early_is_disconnected_never_a_short_success(tmp_path: Path) -> None:
    # Request 1: the connection is closed mid-stream. Request 2: the HTTP body ends cleanly after two
    # chunks with neither [DONE] nor usage (a server that forgot to finish the stream).
    script = Script(ttft_ms=5.0, itl_ms=2.0, faults={1: "cut_mid_stream", 2: "end_without_done"})
    with ScriptedServer(script) as srv:
        result = cli([*FAST, "--endpoint", srv.url, "--concurrency", "1", "--requests", "4"], tmp_path)
    level = result.record().results[0]
    assert level.errors == {"disconnected": 2} and level.completed == 2
    assert level.output_tokens_total == 2 * 8  # no partial stream counted as output
    assert level.output_tokens_observed is not None and level.output_tokens_observed.min == 8
    cut, ended = (r for r in level.requests if r.status != "ok")
    assert cut.error is not None and "mid-stream" in cut.error
    assert ended.error is not None and "before [DONE]" in ended.error
    assert cut.chunks == 2 and ended.chunks == 2  # what did arrive is on record


# --- 4. malformed SSE ----------------------------------------------------------------------------------


def test_malformed_streams_fail_with_bytes_summarised_and_the_level_goes_on(tmp_path: Path) -> None:
    faults = {0: "bad_json", 1: "bad_utf8", 2: "no_data_prefix", 3: "huge_bad_line", 4: "huge_line"}
    with ScriptedServer(Script(ttft_ms=5.0, itl_ms=2.0, faults=faults)) as srv:
        result = cli([*FAST, "--endpoint", srv.url, "--concurrency", "1", "--requests", "7"], tmp_path)
    assert result.exit_code == 0
    level = result.record().results[0]
    assert level.status == "complete"
    assert level.errors == {"malformed": 4} and level.completed == 3  # a valid 1 MB line is not malformed
    errors = [r.error or "" for r in level.requests if r.status == "malformed"]
    assert "not JSON" in errors[0] and '{"choices": [{"text": "x"' in errors[0]
    assert "\\xff\\xfe" in errors[1]  # the offending bytes, escaped
    assert "not an SSE field" in errors[2] and "garbage line" in errors[2]
    assert "bytes)" in errors[3] and len(errors[3]) < 300  # a 1 MB line is summarised, not copied
    run_file = result.run_files()[0]
    assert run_file.stat().st_size < 200_000


# --- 5. a server that stalls --------------------------------------------------------------------------

# Generous on purpose: a stalled server never ends a request, so only a missing timeout gets this far.
HANG_DEADLINE_S = 120


@pytest.mark.slow
def test_stalls_time_out_per_request_without_hanging(tmp_path: Path) -> None:
    # 0: accepts and reads the request, never answers. 1: stops sending mid-stream. 2: keeps sending SSE
    # comments forever (a read timeout never fires; only the whole-request timeout can end it).
    faults = {0: "stall_before_headers", 1: "stall_mid_stream", 2: "trickle"}
    with ScriptedServer(Script(ttft_ms=5.0, itl_ms=2.0, faults=faults)) as srv:
        args = [*FAST, "--endpoint", srv.url, "--concurrency", "3", "--requests", "6"]
        began = time.monotonic()
        result = cli([*args, "--read-timeout", "0.5", "--request-timeout", "2"], tmp_path)
        elapsed = time.monotonic() - began
    level = result.record().results[0]
    assert level.errors == {"timeout": 3} and level.completed == 3
    assert level.status == "complete"
    messages = sorted(r.error or "" for r in level.requests if r.status == "timeout")
    assert sum("read timeout" in m for m in messages) == 2
    assert sum("no complete response within 2 s" in m for m in messages) == 1
    # The messages above show the timeouts fired; this deadline only catches a hang (the server never ends).
    assert elapsed < HANG_DEADLINE_S, elapsed


@pytest.mark.slow
def test_level_deadline_holds_when_every_request_stalls(tmp_path: Path) -> None:
    with ScriptedServer(Script(default_fault="stall_before_headers")) as srv:
        args = [*FAST, "--endpoint", srv.url, "--concurrency", "2", "--duration", "1"]
        began = time.monotonic()
        result = cli([*args, "--read-timeout", "1", "--request-timeout", "5"], tmp_path)
        elapsed = time.monotonic() - began
    # duration + one read timeout, plus start-up; without the level deadline the stalled requests never end,
    # so this only catches a hang.
    assert elapsed < HANG_DEADLINE_S, elapsed
    level = result.record().results[0]
    assert level.completed == 0 and level.errors == {"timeout": level.failed} and level.failed >= 2
    assert result.exit_code == 1 and "every request failed: timeout=" in result.error_lines()[0]


# --- 6. nothing to talk to at start -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "why"),
    [
        (f"http://127.0.0.1:{free_port()}", "connection refused"),
        ("http://inferboard-no-such-host.invalid:8000", "host unknown"),
    ],
    ids=["refused", "dns"],
)
def test_unreachable_server_fails_before_any_load_and_writes_nothing(
    tmp_path: Path, endpoint: str, why: str
) -> None:
    out = tmp_path / "runs"
    began = time.monotonic()
    result = cli([*FAST, "--endpoint", endpoint, "--concurrency", "1", "--requests", "2"], out)
    assert time.monotonic() - began < 30
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: server unreachable at " + endpoint) and why in line
    assert not out.exists()  # no file, not even the folder


def test_server_rejecting_the_key_fails_before_any_load(tmp_path: Path) -> None:
    # A real HTTP server that answers 401 everywhere (here: a tiny stdlib one in its own process).
    code = (
        "import http.server,sys\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def _no(self):\n"
        "        self.send_response(401); self.send_header('content-length','0'); self.end_headers()\n"
        "        sys.stderr.write('REQ ' + self.command + ' ' + self.path + '\\n'); sys.stderr.flush()\n"
        "    do_GET = do_POST = _no\n"
        "    def log_message(self, *a): pass\n"
        "s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
        "print(s.server_port, flush=True); s.serve_forever()\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        result = cli([*FAST, "--endpoint", f"http://127.0.0.1:{port}", "--api-key", "wrong"], tmp_path / "r")
    finally:
        server.terminate()
        _, log = server.communicate(timeout=10)
    assert result.exit_code == 2 and "rejected the API key" in result.stderr
    assert "POST" not in log and "GET /v1/models" in log  # no load was sent
    assert not (tmp_path / "r").exists()
