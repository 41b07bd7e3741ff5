"""Managed launch through `inferboard collect --launch`: a real engine subprocess, readiness, startup time,
footprint, facts read from the launch line, the log beside the run, secrets kept out of every artifact, and
the server gone afterwards."""

from __future__ import annotations

import json
import shlex
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from collector.cli.main import main
from collector.config.collect import CollectConfig
from collector.run.record import recorded_command
from collector.server.ggufgen import cached_model
from collector.server.server import launch_ready_url
from tests.helpers.netutil import free_port

pytestmark = pytest.mark.engine

QUICK = ["--concurrency", "1,2", "--requests", "3", "--warmup", "1", "--input-tokens", "16"]
QUICK += ["--output-tokens", "8", "--ready-timeout", "120", "--no-progress"]


def engine_argv(port: int, alias: str) -> list[str]:
    gguf = cached_model("tiny", "q8_0").path
    argv = [sys.executable, "-m", "collector.server.engine", "--gguf", str(gguf), "--port", str(port)]
    return [*argv, "--alias", alias, "--n-parallel", "2", "--ctx", "2048"]


def launch_args(launch: str, port: int) -> list[str]:
    return ["collect", "--launch", launch, "--endpoint", f"http://127.0.0.1:{port}", "--backend", "llama.cpp"]


def processes_with(marker: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker.encode() in (proc / "cmdline").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def only_run(out: Path) -> dict[str, Any]:
    runs = list(out.glob("*.json"))
    assert len(runs) == 1, runs
    record: dict[str, Any] = json.loads(runs[0].read_text())
    return record


def test_managed_launch_end_to_end(tmp_path: Path) -> None:
    port, alias = free_port(), f"wire-{uuid.uuid4().hex[:8]}"
    launch = shlex.join(engine_argv(port, alias))
    result = CliRunner().invoke(
        main,
        [*launch_args(launch, port), "--out", str(tmp_path), "--serving", "max_batch=8", *QUICK],
    )
    assert result.exit_code == 0, result.output
    record = only_run(tmp_path)
    launched = record["launch"]
    assert launched["mode"] == "managed"
    assert launched["argv"] == shlex.split(launch)
    assert 0 < launched["startup_s"] < 120
    assert launched["startup_s"] <= launched["first_token_s"]  # same clock: spawn -> first content chunk
    assert launched["launch_flags"] == 5  # --gguf --port --alias --n-parallel --ctx (not python's -m)
    assert launched["engine_install"]["distribution"] == "xllamacpp"  # python -m collector.server.engine
    assert launched["memory"]["host_rss_mib"] > 10
    assert (tmp_path / launched["log_file"]).is_file()  # the server log lies beside the run
    assert record["model"]["name"] == alias and record["backend"]["name"] == "llama.cpp"
    # Facts from the launch line: the GGUF it serves is read; the flag (max_batch=8) wins over --n-parallel.
    assert record["quantization"]["format"] == "GGUF Q8_0"
    assert record["serving"]["max_batch"] == 8
    assert [r["completed"] for r in record["results"]] == [3, 3]
    assert processes_with(alias) == []  # stopped, whole process group


SECRET_KEY = "sk-wire-" + uuid.uuid4().hex  # looks like an OpenAI key
SECRET_TOKEN = "tok" + uuid.uuid4().hex  # shapeless: only its name (HF_TOKEN) marks it secret
SECRET_FLAG = "flag" + uuid.uuid4().hex


def test_secrets_reach_no_artifact(tmp_path: Path) -> None:
    port, alias = free_port(), f"wire-{uuid.uuid4().hex[:8]}"
    # The server echoes its environment and arguments into its log, as many real servers do.
    script = 'echo "starting: key=$OPENAI_API_KEY hf=$HF_TOKEN args=$*" >&2; exec '
    script += shlex.join(engine_argv(port, alias))
    launch = shlex.join(["sh", "-c", script, "wrapper", "--api-key", SECRET_FLAG])
    result = CliRunner(env={"OPENAI_API_KEY": SECRET_KEY, "HF_TOKEN": SECRET_TOKEN}).invoke(
        main,
        [*launch_args(launch, port), "--out", str(tmp_path), *QUICK],
    )
    assert result.exit_code == 0, result.output
    artifacts = list(tmp_path.iterdir())
    assert len(artifacts) == 2  # the run file and the server log
    for secret in (SECRET_KEY, SECRET_TOKEN, SECRET_FLAG):
        assert secret not in result.output
        for path in artifacts:
            assert secret not in path.read_text(), path.name
    log = next(tmp_path.glob("server-*.log")).read_text()
    assert "starting: key=<redacted> hf=<redacted> args=--api-key <redacted>" in log
    record = only_run(tmp_path)
    assert record["launch"]["env"]["HF_TOKEN"] == "<redacted>"
    assert processes_with(alias) == []


def test_a_server_that_exits_early_is_reported_with_its_log_tail(tmp_path: Path) -> None:
    port = free_port()
    launch = shlex.join([sys.executable, "-c", "print('boom: no such model'); raise SystemExit(3)"])
    result = CliRunner().invoke(
        main,
        ["collect", "--launch", launch, "--endpoint", f"http://127.0.0.1:{port}", "--out", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "exited with status 3" in result.output and "boom: no such model" in result.output
    assert not list(tmp_path.glob("*.json"))


def test_the_recorded_command_line_carries_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", SECRET_TOKEN)
    launch = shlex.join(["vllm", "serve", "m", "--api-key", SECRET_FLAG, "--hf-token", SECRET_TOKEN])
    command = [
        "inferboard",
        "collect",
        "--launch",
        launch,
        "--api-key",
        SECRET_KEY,
        "--endpoint",
        "http://h:1",
    ]
    config = CollectConfig(endpoint="http://h:1", launch=launch, api_key=SECRET_KEY, command=command)
    recorded = " ".join(recorded_command(config))
    for secret in (SECRET_KEY, SECRET_TOKEN, SECRET_FLAG):
        assert secret not in recorded
    assert "--api-key <redacted>" in recorded and "vllm serve m" in recorded


def test_ready_url_follows_the_backend() -> None:
    def url(**kwargs: Any) -> str:
        return launch_ready_url(CollectConfig(endpoint="http://127.0.0.1:9/", launch="x", **kwargs))

    assert url(backend="llama.cpp") == "http://127.0.0.1:9/health"
    assert url(backend="auto") == "http://127.0.0.1:9/v1/models"
    assert url(backend="vllm", ready_url="http://127.0.0.1:9/ping") == "http://127.0.0.1:9/ping"
