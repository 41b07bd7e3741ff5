"""`inferboard collect SUITE.yaml`: the plan, cells mapped onto CollectConfig, every cell's run carrying the
suite, a failed cell reported in one line while the others still run."""

from __future__ import annotations

import hashlib
import json
import socket
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from collector.cli.main import main
from collector.config.suite import SuiteError, expand, parse_suite
from collector.run.suites import cell_config

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "suite-cpu.yaml"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens once the socket is closed


def runs(out: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]


def test_dry_run_prints_the_plan_and_starts_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["collect", str(EXAMPLE), "--dry-run", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "2 runs, 8 load levels" in result.output
    assert "embedded-tiny" in result.output and "managed-tiny" in result.output
    assert not list(tmp_path.iterdir())


SUITE = """\
name: wire
defaults:
  input_tokens: 16
  output_tokens: 8
  warmup: 1
  connect_timeout_s: 3
  read_timeout_s: 20
  request_timeout_s: 40
  slo: {ttft_ms: 5000}
load:
  concurrency: [1, 2]
  requests: 3
servers:
  - name: launched
    backend: llama.cpp
    launch: python -m collector.server.engine --port ${WIRE_PORT} --dtype q8_0
    endpoint: http://127.0.0.1:${WIRE_PORT}
    env: {HF_HOME: /tmp/hf, HF_TOKEN: "${WIRE_TOKEN}"}
    weights: random
    quantization: {kv_cache_dtype: fp16}
    serving: {tensor_parallel: 1}
    options: {duration_s: 30, api_key_env: WIRE_KEY}
  - name: engine
    engine: {shape: tiny, dtype: f32, n_ctx: 1024, parallel: 3, threads: 1}
    labels: [smoke]
"""


def test_cells_map_onto_collect_configs() -> None:
    cells = expand(parse_suite(SUITE, "wire.yaml"))
    environ = {"WIRE_PORT": "18999", "WIRE_TOKEN": "hf_secretsecretsecretsecret", "WIRE_KEY": "k-123456"}
    launched = cell_config(cells[0], {}, environ)
    assert launched.launch == "python -m collector.server.engine --port 18999 --dtype q8_0"
    assert launched.endpoint == "http://127.0.0.1:18999" and launched.backend == "llama.cpp"
    assert launched.launch_env == {"HF_HOME": "/tmp/hf", "HF_TOKEN": "hf_secretsecretsecretsecret"}
    assert launched.api_key is not None and launched.api_key.get_secret_value() == "k-123456"
    assert (launched.connect_timeout_s, launched.read_timeout_s, launched.request_timeout_s) == (3, 20, 40)
    assert launched.slo is not None and launched.slo.ttft_ms == 5000
    assert launched.duration_s == 30 and launched.requests == 3 and launched.concurrency == [1, 2]
    assert launched.quantization.kv_cache_dtype == "fp16" and launched.quantization.weights_dtype == "q8_0"
    assert launched.serving.tensor_parallel == 1
    assert "random-weights" in launched.labels
    assert launched.suite is not None and launched.suite.cell == "launched"
    engine = cell_config(cells[1], {"requests": 5, "labels": ("extra",)}, environ)
    assert engine.embedded and engine.shape == "tiny" and engine.engine_dtype == "f32"
    assert (engine.engine_ctx, engine.engine_parallel, engine.engine_threads) == (1024, 3, 1)
    assert engine.requests == 5 and engine.labels == ["smoke", "extra"]
    with pytest.raises(SuiteError, match="WIRE_KEY, which is not set"):
        cell_config(cells[0], {}, {"WIRE_PORT": "1", "WIRE_TOKEN": "x"})


@pytest.mark.slow
def test_the_example_suite_runs_every_cell_with_the_suite_embedded(tmp_path: Path) -> None:
    args = ["collect", str(EXAMPLE), "--out", str(tmp_path), "--requests", "2", "--repeats", "1"]
    result = CliRunner().invoke(main, [*args, "--concurrency", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "2 of 2 cells complete" in result.output
    records = runs(tmp_path)
    digest = hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert sorted(r["suite"]["cell"] for r in records) == ["embedded-tiny", "managed-tiny"]
    for record in records:
        assert record["suite"]["sha256"] == digest and record["suite"]["text"] == EXAMPLE.read_text()
        assert [(r["concurrency"], r["completed"]) for r in record["results"]] == [(1, 2)]
        assert "random-weights" in record["labels"]
    modes = {r["suite"]["cell"]: r["launch"]["mode"] for r in records}
    assert modes == {"embedded-tiny": "embedded", "managed-tiny": "managed"}


@pytest.mark.slow
def test_collect_of_a_suite_reports_a_failed_cell_and_runs_the_others(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        textwrap.dedent(f"""\
        name: partly-broken
        load: {{concurrency: [1], requests: 2, input_tokens: 16, output_tokens: 4, warmup: 0}}
        servers:
          - name: nobody-home
            backend: openai
            endpoint: http://127.0.0.1:{closed_port()}
          - name: dies-at-start
            launch: python -c "raise SystemExit(4)"
            endpoint: http://127.0.0.1:{closed_port()}
          - name: fine
            engine: {{shape: tiny}}
        """)
    )
    out = tmp_path / "runs"
    result = CliRunner().invoke(main, ["collect", str(suite), "--out", str(out), "--no-progress"])
    assert result.exit_code == 1
    assert "1 of 3 cells complete" in result.output
    assert "cell nobody-home could not run: server unreachable" in result.output
    assert "cell dies-at-start could not run: server exited with status 4" in result.output
    records = runs(out)
    assert [r["suite"]["cell"] for r in records] == ["fine"]
    assert records[0]["status"] == "complete"


def test_server_flags_are_refused_with_a_suite(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["collect", str(EXAMPLE), "--endpoint", "http://x:1", "--out", "x"])
    assert result.exit_code == 2
    assert "--endpoint cannot be used with a suite file" in result.output
