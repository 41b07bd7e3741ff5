"""Hardening of `inferboard collect` (issue 15): secrets a server sends back, widened secret names, usage the
stream contradicts, 200 answers that are not an SSE stream. Real server processes, the real CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.netutil import free_port
from tests.helpers.rel_support import FAST, cli, port_refuses, spawn, wait_for_text
from tests.helpers.scripted_server import Script, ScriptedServer

HELPERS = Path(__file__).resolve().parents[2] / "helpers"

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


@pytest.mark.slow
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


@pytest.mark.slow
def test_widened_secret_flags_of_the_launch_line_are_scrubbed_from_log_and_run(tmp_path: Path) -> None:
    port = free_port()
    flags = " ".join(f"{flag} {value}" for flag, value in LAUNCH_SECRETS.items())
    launch = (
        f"{sys.executable} {HELPERS / 'rel_launchable.py'} --port {port} --echo --trust-remote-code {flags}"
    )
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_a_trickling_setup_call_hits_its_total_deadline(tmp_path: Path) -> None:
    # /v1/models sends a byte every 0.2 s forever: no read timeout fires, only the total deadline.
    with ScriptedServer(Script(models_trickle=True)) as srv:
        args = [*FAST, "--endpoint", srv.url, "--concurrency", "1", "--requests", "1"]
        started = time.monotonic()
        result = cli(args, tmp_path / "runs", env={"INFERBOARD_CONTROL_DEADLINE_S": "2"})
    assert result.exit_code == 2
    assert result.error_lines() == [
        f"error: server at {srv.url} did not complete GET /v1/models: no complete answer within 2 s in all"
    ]
    assert time.monotonic() - started < 60
    assert not result.run_files()


@pytest.mark.slow
def test_ctrl_c_during_setup_is_one_line_and_exit_130(tmp_path: Path) -> None:
    # 1. While a launched server is (forever) getting ready: the wait is synchronous.
    port = free_port()
    launch = f"{sys.executable} -c 'import time; time.sleep(600)'"
    args = [*FAST, "--launch", launch, "--endpoint", f"http://127.0.0.1:{port}", "--ready-timeout", "600"]
    proc = spawn([*args, "--concurrency", "1"], tmp_path / "a", tmp_path / "err-a.txt")
    wait_for_text(tmp_path / "err-a.txt", "launching server", 60, proc)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    err = (tmp_path / "err-a.txt").read_text()
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert proc.returncode == 130, err
    assert errors == [
        "error: interrupted by SIGINT before the first level: nothing was measured, no run file written"
    ]
    assert "Traceback" not in err and not list((tmp_path / "a").glob("*.json"))
    # 2. While a setup call is waiting on the server (the models probe, trickling).
    with ScriptedServer(Script(models_trickle=True)) as srv:
        proc = spawn(
            [*FAST, "--endpoint", srv.url, "--concurrency", "1"], tmp_path / "b", tmp_path / "err-b.txt"
        )
        _wait_for_connection(srv.url, proc)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    err = (tmp_path / "err-b.txt").read_text()
    assert proc.returncode == 130, err
    assert "error: interrupted by SIGINT before the first level" in err and "Traceback" not in err


def _wait_for_connection(url: str, proc: subprocess.Popen[str]) -> None:
    """Poll until the collector holds a TCP connection to the server's port (its probe is in flight)."""
    port = url.rsplit(":", 1)[1]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        table = Path("/proc/net/tcp").read_text() + Path("/proc/net/tcp6").read_text()
        hex_port = f"{int(port):04X}"
        if any(
            f":{hex_port} " in line.split()[2] + " " and line.split()[3] == "01"
            for line in table.splitlines()[1:]
            if len(line.split()) > 3
        ):
            return
        assert proc.poll() is None
        time.sleep(0.05)
    raise AssertionError("the collector never connected")


def test_https_to_a_plain_http_server_names_the_tls_failure(tmp_path: Path) -> None:
    # A real plain-HTTP server (Python's http.server answers a TLS hello with an HTTP 400).
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 30
        while port_refuses(port):
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.05)
        result = cli([*FAST, "--endpoint", f"https://127.0.0.1:{port}", "--concurrency", "1"], tmp_path / "r")
    finally:
        server.terminate()
        server.wait(10)
    assert result.exit_code == 2
    (line,) = result.error_lines()
    assert line.startswith(f"error: TLS failed with https://127.0.0.1:{port}") and "try http://" in line


@pytest.mark.slow
def test_a_huge_concurrency_level_starts_at_once_with_bounded_memory(tmp_path: Path) -> None:
    # Users and their connection pools are made lazily: 100,000 users (the largest legal level) for 20
    # requests used to mean 100,000 coroutines and 12,500 pools before the first request.
    with ScriptedServer(Script(ttft_ms=2.0, itl_ms=1.0)) as srv:
        args = [*FAST, "--endpoint", srv.url, "--concurrency", "100000", "--requests", "20"]
        # The child reports its own peak: VmHWM belongs to the process image after exec, unlike ru_maxrss,
        # which also counts the pages of this (large) test process that the child started as a copy of.
        status_file = tmp_path / "status.txt"
        entry = (
            "import atexit, pathlib;"
            f"atexit.register(lambda: pathlib.Path({str(status_file)!r})"
            ".write_text(pathlib.Path('/proc/self/status').read_text()));"
            "from collector.cli import main; main()"
        )
        cmd = [sys.executable, "-c", entry, "collect", *args, "--out", str(tmp_path)]
        with (tmp_path / "out.txt").open("w") as out:
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=300)
    assert proc.returncode == 0, (tmp_path / "out.txt").read_text()
    peak_kib = next(
        int(line.split()[1]) for line in status_file.read_text().splitlines() if line.startswith("VmHWM:")
    )
    assert peak_kib < 400 * 1024  # the collector's own peak, whatever the level size
    level = json.loads(next(tmp_path.glob("*.json")).read_text())["results"][0]
    assert level["concurrency"] == 100_000 and level["completed"] == 20


BOMB = (
    "name: x\na: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9))
    + "servers:\n  - {name: s, endpoint: 'http://127.0.0.1:9'}\n"
)


@pytest.mark.slow
def test_suite_alias_bomb_and_unknown_key_are_one_relevant_line(tmp_path: Path) -> None:
    entry = "from collector.cli import main; main()"
    cases = {
        "bomb.yaml": (BOMB, "expands to over 100000 values through aliases"),
        "unknown.yaml": (
            "name: x\nservers:\n  - {name: s, endpoint: 'http://127.0.0.1:9', cache_key: warm}\n",
            "servers[0].cache_key: Extra inputs are not permitted",
        ),
    }
    for name, (text, expected) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                entry,
                "collect",
                str(tmp_path / name),
                "--dry-run",
                "--out",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=120,  # the bomb spun a CPU core for ever before
        )
        assert done.returncode != 0 and expected in done.stderr, done.stderr
        assert "secret" not in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_deeply_nested_dataset_is_one_line(tmp_path: Path) -> None:
    for name, text in (("deep.json", "[" * 100000 + "]" * 100000), ("deep.jsonl", "[" * 100000 + "\n")):
        (tmp_path / name).write_text(text, encoding="utf-8")
        with ScriptedServer(Script(ttft_ms=2.0, itl_ms=1.0)) as srv:
            args = ["--backend", "openai", "--endpoint", srv.url, "--dataset", str(tmp_path / name)]
            result = cli([*args, "--concurrency", "1", "--requests", "1"], tmp_path / "runs")
        assert result.exit_code == 2
        assert len(result.error_lines()) == 1 and "JSON nested too deeply" in result.stderr, result.stderr
