"""End to end against the real embedded llama.cpp engine (xllamacpp), through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli.main import main
from collector.schema import load_run

pytestmark = pytest.mark.engine


def test_default_collect_sweeps_the_embedded_engine(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "collect",
            "--out",
            str(tmp_path),
            "--requests",
            "6",
            "--input-tokens",
            "32",
            "--output-tokens",
            "16",
            "--concurrency",
            "1,2",
            "--random-weights",
        ],
    )
    assert result.exit_code == 0, result.output
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1
    assert "llama.cpp" in files[0].name and "cpu" in files[0].name
    record = load_run(files[0])
    assert record.status == "complete"
    assert record.backend.name == "llama.cpp"
    assert record.launch.mode == "embedded" and record.launch.startup_s is not None
    # Startup and the first served token on one clock from the engine's start (collector/server/startup.py).
    assert record.launch.first_token_s is not None
    assert 0 < record.launch.startup_s <= record.launch.first_token_s
    assert record.launch.engine_install is not None
    assert (
        record.launch.engine_install.distribution == "xllamacpp" and record.launch.engine_install.size_mib > 0
    )
    assert record.launch.launch_flags is None  # no launch line: the collector configures the engine
    assert record.model.weights == "random" and "random-weights" in record.labels and "cpu" in record.labels
    assert record.hardware.accelerator == "cpu"
    assert record.workload.input_length_method == "tokenize_endpoint"
    assert [r.concurrency for r in record.results] == [1, 2]
    for level in record.results:
        assert level.failed == 0 and level.completed == 6
        assert level.length_mismatches == 0
        assert level.output_tokens_observed is not None
        assert level.output_tokens_observed.min == level.output_tokens_observed.max == 16
        # exact input lengths from the server's own tokenizer
        assert level.input_tokens_observed is not None
        assert level.input_tokens_observed.min == level.input_tokens_observed.max == 32
        assert level.ttft_ms is not None and level.tpot_ms is not None
    assert "TTFT p50" in result.output and "run file:" in result.output


def test_validate_and_schema_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["schema"])
    assert out.exit_code == 0 and json.loads(out.output)["title"] == "RunRecord"
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1, "run_id": "abcdef"}')
    res = runner.invoke(main, ["validate", str(bad)])
    assert res.exit_code == 1
    assert "bad.json" in res.output and "field" in res.output


def test_unreachable_endpoint_is_a_clear_error_and_no_file(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["collect", "--endpoint", "http://127.0.0.1:9", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "unreachable at http://127.0.0.1:9" in res.output
    assert not list(tmp_path.glob("*.json"))


def test_model_not_served_lists_what_is(tmp_path: Path) -> None:
    args = ["collect", "--model", "nope", "--out", str(tmp_path), "--requests", "1", "--concurrency", "1"]
    res = CliRunner().invoke(main, [*args, "--random-weights"])
    assert res.exit_code == 2
    assert "'nope' is not served" in res.output and "inferboard-random-tiny" in res.output
