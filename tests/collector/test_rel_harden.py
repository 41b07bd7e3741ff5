"""Hardening of `inferboard collect` (issue 15): secrets a server sends back, widened secret names, usage the
stream contradicts, 200 answers that are not an SSE stream. Real server processes, the real CLI."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from netutil import free_port
from rel_support import FAST, cli, spawn
from scripted_server import Script, ScriptedServer

HERE = Path(__file__).resolve().parent

KEY = "k3y-Zq9x-unusual-value-77"  # not key-shaped: only the registry of known secrets can catch it
ENV_SECRET = "hunter2-pass-value-31"  # the value of MYAPP_PASS (a widened name: *_PASS)
LAUNCH_SECRETS = {
    "--admin-pass": "adm1n-Pw-value-04",
    "--db-passphrase": "db-phrase-value-05",
    "--access-code": "acc355-code-value-06",
    "--hf-tok": "hf-tok-value-0007",
    "--jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
}


def _everything_written(tmp_path: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}


def test_secrets_a_server_sends_back_never_reach_disk_or_console(tmp_path: Path) -> None:
    # Request 0: an HTTP 500 whose body quotes the credentials; request 1: an SSE error event quoting them.
    leak = f"key={KEY} env={ENV_SECRET}"
    script = Script(ttft_ms=2.0, itl_ms=1.0, faults={0: "echo_500", 1: "echo_event"}, echo_text=leak)
    with ScriptedServer(script) as srv:
        args = [*FAST, "--endpoint", srv.url, "--api-key", KEY, "--concurrency", "1", "--requests", "4"]
        proc = spawn(args, tmp_path / "runs", tmp_path / "err.txt", {"MYAPP_PASS": ENV_SECRET})
        stdout = proc.communicate(timeout=120)[0]
    assert proc.returncode == 0, (tmp_path / "err.txt").read_text()
    record = json.loads(next((tmp_path / "runs").glob("*.json")).read_text())
    level = record["results"][0]
    assert level["errors"] == {"http_500": 1, "server_error": 1}
    errors = [r["error"] for r in level["requests"] if r["error"]]
    assert len(errors) == 2 and all("<redacted>" in e for e in errors), errors
    for secret in (KEY, ENV_SECRET):
        assert secret not in stdout
        for path, data in _everything_written(tmp_path).items():
            assert secret.encode() not in data, f"{secret} found in {path.name}"


def test_widened_secret_flags_of_the_launch_line_are_scrubbed_from_log_and_run(tmp_path: Path) -> None:
    port = free_port()
    flags = " ".join(f"{flag} {value}" for flag, value in LAUNCH_SECRETS.items())
    launch = f"{sys.executable} {HERE / 'rel_launchable.py'} --port {port} --echo --trust-remote-code {flags}"
    args = [*FAST, "--launch", launch, "--endpoint", f"http://127.0.0.1:{port}", "--ready-timeout", "30"]
    proc = spawn([*args, "--concurrency", "1", "--requests", "2"], tmp_path / "runs", tmp_path / "err.txt")
    stdout = proc.communicate(timeout=120)[0]
    assert proc.returncode == 0, (tmp_path / "err.txt").read_text()
    written = _everything_written(tmp_path)
    log = next(data for p, data in written.items() if p.name.startswith("server-"))
    assert b"argv:" in log and b"--admin-pass <redacted>" in log
    run = next(data for p, data in written.items() if p.suffix == ".json")
    assert b"--trust-remote-code" in run  # a flag, not a secret: the name rules do not over-reach
    for flag, secret in LAUNCH_SECRETS.items():
        assert secret not in stdout
        for path, data in written.items():
            assert secret.encode() not in data, f"{flag} value found in {path.name}"


def test_usage_the_stream_contradicts_is_flagged_and_the_stream_counted(tmp_path: Path) -> None:
    for reported in (100_000, -5):
        with ScriptedServer(Script(ttft_ms=2.0, itl_ms=1.0, usage_completion_tokens=reported)) as srv:
            args = [*FAST, "--endpoint", srv.url, "--output-tokens", "6", "--concurrency", "1"]
            result = cli([*args, "--requests", "3"], tmp_path / str(reported))
        assert result.exit_code == 0, result.stderr
        level = result.record().results[0]
        assert level.completed == 3 and level.usage_mismatches == 3
        assert level.output_tokens_total == 18  # 6 streamed chunks each, not 100,000 (or -5)
        assert all(r.usage_mismatch and r.output_tokens == 6 for r in level.requests)
    with ScriptedServer(Script(ttft_ms=2.0, itl_ms=1.0, tokens_per_chunk=4)) as srv:  # within tolerance
        args = [*FAST, "--endpoint", srv.url, "--output-tokens", "8", "--concurrency", "1"]
        level = cli([*args, "--requests", "2"], tmp_path / "packed").record().results[0]
    assert level.usage_mismatches == 0 and level.output_tokens_total == 16


def test_a_200_that_is_not_an_sse_stream_is_malformed_naming_the_content_type(tmp_path: Path) -> None:
    script = Script(ttft_ms=2.0, itl_ms=1.0, faults={0: "json_200", 1: "gzip_sse"})
    with ScriptedServer(script) as srv:
        args = [*FAST, "--endpoint", srv.url, "--concurrency", "1", "--requests", "3"]
        result = cli(args, tmp_path)
    level = result.record().results[0]
    assert level.errors == {"malformed": 2} and level.completed == 1
    errors = " | ".join(r.error or "" for r in level.requests if r.status != "ok")
    assert "response is application/json, not an SSE stream" in errors
    assert "response is compressed (content-encoding: gzip)" in errors
