"""The embedded llama.cpp engine, for real: in-process and as its own process."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from collector.server.engine import EmbeddedEngine, EngineError, engine_command, main
from collector.server.ggufgen import GGUFInfo, generate_gguf

pytestmark = pytest.mark.engine

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GGUFInfo]:
    directory = tmp_path_factory.mktemp("models")
    return {
        dtype: generate_gguf(directory / f"tiny-{dtype}.gguf", "tiny", dtype)
        for dtype in ("f32", "f16", "q8_0", "q4_0")
    }


@pytest.fixture(scope="module")
def engine(tiny_models: dict[str, GGUFInfo]) -> Iterator[EmbeddedEngine]:
    with EmbeddedEngine(
        tiny_models["f32"].path, n_ctx=2048, n_parallel=4, alias="inferboard-random-tiny"
    ) as running:
        yield running


def _port_is_closed(base_url: str) -> bool:
    port = int(base_url.rsplit(":", 1)[1])
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return False
    except OSError:
        return True


def _stream_completion(
    base_url: str, max_tokens: int, prompt: str = "The quick brown fox"
) -> tuple[list[str], dict[str, int]]:
    body = {
        "model": "inferboard-random-tiny",
        "prompt": prompt,
        "max_tokens": max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
        "ignore_eos": True,
    }
    texts: list[str] = []
    usage: dict[str, int] = {}
    with (
        httpx.Client(base_url=base_url, timeout=30.0, trust_env=False) as client,
        client.stream("POST", "/v1/completions", json=body) as response,
    ):
        assert response.status_code == 200
        for line in response.iter_lines():
            if not line.startswith("data: {"):
                continue
            event = json.loads(line[len("data: ") :])
            usage = event.get("usage") or usage
            for choice in event.get("choices", []):
                if choice.get("text"):
                    texts.append(choice["text"])
    return texts, usage


def test_serves_health_models_tokenize_metrics(engine: EmbeddedEngine) -> None:
    with httpx.Client(base_url=engine.base_url, timeout=10.0, trust_env=False) as client:
        assert client.get("/health").json() == {"status": "ok"}
        models = client.get("/v1/models").json()["data"]
        assert [model["id"] for model in models] == ["inferboard-random-tiny"]
        assert client.post("/tokenize", json={"content": "hello world"}).json()["tokens"]
        metrics = client.get("/metrics")
        assert metrics.status_code == 200 and "llamacpp:" in metrics.text


def test_reports_settings_version_and_startup(engine: EmbeddedEngine) -> None:
    assert engine.base_url.startswith("http://127.0.0.1:")
    assert engine.startup_s is not None and engine.startup_s > 0
    assert engine.host_rss_mib is not None and engine.host_rss_mib > 0
    settings = engine.settings
    assert settings["n_ctx"] == 2048 and settings["n_parallel"] == 4
    assert settings["n_ctx_per_slot"] == 512  # llama.cpp splits the context across the slots
    assert isinstance(settings["n_threads"], int) and settings["n_threads"] > 0
    assert settings["sse_ping_interval_s"] == 30  # llama.cpp's default, kept unless asked otherwise
    assert engine.model_id == "inferboard-random-tiny"
    version = engine.version
    assert version.xllamacpp
    assert version.build_info == engine.model_props["build_info"]
    if version.build_info == "b0-unknown":
        assert version.llama_cpp_build is None and "build unknown" in version.label


@pytest.mark.parametrize("max_tokens", [1, 7, 32])
def test_stream_gives_exactly_max_tokens_one_per_chunk(engine: EmbeddedEngine, max_tokens: int) -> None:
    texts, usage = _stream_completion(engine.base_url, max_tokens)
    assert usage["completion_tokens"] == max_tokens
    assert len(texts) == max_tokens  # the ASCII vocabulary never makes the server pack tokens


def test_concurrent_streams_each_get_their_tokens(engine: EmbeddedEngine) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda n: _stream_completion(engine.base_url, n), [12, 16, 20, 24]))
    for (texts, usage), expected in zip(results, [12, 16, 20, 24], strict=True):
        assert usage["completion_tokens"] == expected == len(texts)


def test_non_ascii_input_is_dropped_not_fatal(engine: EmbeddedEngine) -> None:
    # The vocabulary has no bytes >= 128: llama.cpp silently drops such characters (see docs/engine.md).
    with httpx.Client(base_url=engine.base_url, timeout=10.0, trust_env=False) as client:
        assert (
            client.post("/tokenize", json={"content": "café"}).json()["tokens"]
            == (client.post("/tokenize", json={"content": "caf"}).json()["tokens"])
        )
    texts, usage = _stream_completion(engine.base_url, 4, prompt="naïve café")
    assert usage["completion_tokens"] == 4 == len(texts)


@pytest.mark.parametrize("dtype", ["f16", "q8_0", "q4_0"])
def test_quantized_tiny_models_serve(tiny_models: dict[str, GGUFInfo], dtype: str) -> None:
    with EmbeddedEngine(tiny_models[dtype].path, n_ctx=512, n_parallel=1) as running:
        assert running.model_props["model_ftype"].lower() == dtype
        texts, usage = _stream_completion(running.base_url, 5)
        assert usage["completion_tokens"] == 5 == len(texts)


def test_stop_releases_the_port_and_is_idempotent(tiny_models: dict[str, GGUFInfo]) -> None:
    running = EmbeddedEngine(tiny_models["q4_0"].path, n_ctx=512, n_parallel=1)
    base_url = running.start()
    assert not _port_is_closed(base_url)
    running.stop()
    assert _port_is_closed(base_url)
    running.stop()
    assert not running.running


def test_failed_start_is_clean(tmp_path: Path) -> None:
    missing = EmbeddedEngine(tmp_path / "absent.gguf")
    with pytest.raises(EngineError, match="model file not found"):
        missing.start()
    missing.stop()
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"GGUF not really")
    broken = EmbeddedEngine(garbage)
    with pytest.raises(EngineError, match="could not serve"):
        broken.start()
    broken.stop()
    assert not broken.running


def _first_line(process: subprocess.Popen[str], timeout_s: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    return lines.get(timeout=timeout_s).strip()


def test_subprocess_mode_serves_and_exits_on_sigterm(tiny_models: dict[str, GGUFInfo]) -> None:
    argv = engine_command(tiny_models["q8_0"].path, port=0, n_parallel=2, n_ctx=1024, alias="tiny")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT
    ) as process:
        try:
            base_url = _first_line(process, timeout_s=60)
            assert base_url.startswith("http://127.0.0.1:")
            texts, usage = _stream_completion(base_url, 6)
            assert usage["completion_tokens"] == 6 == len(texts)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
            assert _port_is_closed(base_url)
            assert process.stderr is not None and process.stderr.read() == ""  # llama.cpp's log stays quiet
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_subprocess_mode_names_a_missing_model(tmp_path: Path) -> None:
    argv = engine_command(tmp_path / "absent.gguf")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=60)
    assert result.returncode != 0
    assert "model file not found" in result.stderr and str(tmp_path / "absent.gguf") in result.stderr


def test_module_cli_has_help() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "--gguf" in result.output and "SIGTERM" in result.output


def test_log_path_collects_the_llama_cpp_log(tiny_models: dict[str, GGUFInfo], tmp_path: Path) -> None:
    log = tmp_path / "logs" / "llama.log"
    with EmbeddedEngine(tiny_models["q4_0"].path, n_ctx=512, n_parallel=1, log_path=log):
        pass
    assert "model loaded" in log.read_text()
