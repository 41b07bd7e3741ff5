"""The collect command end to end on the embedded llama.cpp engine: server /metrics deltas per level,
telemetry absent with a reason on a GPU-less host, repeats with confidence intervals, quantization and
serving flags, and a served GGUF recorded honestly (random marker, file type, KV-cache dtype)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from collector.cli.main import main
from collector.measure.stats import HEADLINE_METRICS
from collector.server.ggufgen import cached_model

pytestmark = pytest.mark.engine

QUICK = ["--requests", "4", "--warmup", "2", "--input-tokens", "16", "--output-tokens", "8", "--no-progress"]


def collect(out: Path, *args: str) -> dict[str, Any]:
    # The generated random-weight model unless a file is given: these tests check the wiring, not the
    # default real model (tests/collector/models/ covers that).
    model = [] if "--gguf" in args else ["--random-weights"]
    result = CliRunner().invoke(main, ["collect", "--out", str(out), *QUICK, *model, *args])
    assert result.exit_code == 0, result.output
    runs = list(out.glob("*.json"))
    assert len(runs) == 1, runs
    record: dict[str, Any] = json.loads(runs[0].read_text())
    return record


def test_server_metrics_deltas_match_each_level_and_telemetry_says_why_absent(tmp_path: Path) -> None:
    record = collect(tmp_path, "--concurrency", "1,3")
    assert [r["concurrency"] for r in record["results"]] == [1, 3]
    for level in record["results"]:
        metrics = level["server_metrics"]
        assert metrics["error"] is None and metrics["scrapes"] >= 2
        # Scraped after the warm-up: the counter grows by exactly the level's own output tokens.
        assert metrics["deltas"]["generation_tokens"] == level["output_tokens_total"] == 4 * 8
        assert "running_requests" in metrics["peaks"]
        assert level["energy"] is None
    telemetry = record["telemetry"]
    assert telemetry["available"] is False and "CPU" in telemetry["reason"]


def test_repeats_keep_every_trial_and_carry_confidence_intervals(tmp_path: Path) -> None:
    record = collect(tmp_path, "--concurrency", "1,2", "--repeats", "3")
    assert [(r["concurrency"], r["trial"]) for r in record["results"]] == [
        (1, 0),
        (1, 1),
        (1, 2),
        (2, 0),
        (2, 1),
        (2, 2),
    ]
    assert record["workload"]["repeats"] == 3
    summaries = record["repeat_summaries"]
    assert [s["concurrency"] for s in summaries] == [1, 2]
    for summary in summaries:
        assert summary["trials"] == 3
        assert set(HEADLINE_METRICS) <= set(summary["intervals"])
        for interval in summary["intervals"].values():
            assert interval["low"] <= interval["estimate"] <= interval["high"]
            assert interval["trials"] == 3


def test_quantization_and_serving_flags_win_over_detected_facts(tmp_path: Path) -> None:
    record = collect(
        tmp_path,
        "--concurrency",
        "1",
        "--quantization",
        "kv_cache=q8_0",
        "--quantization",
        "checkpoint=org/tiny-q8",
        "--serving",
        "max_batch=16",
        "--serving",
        "cuda_graphs=false",
        "--tp",
        "2",
    )
    quant = record["quantization"]
    # Detected from the GGUF (format, weights) with the flags on top (KV cache, checkpoint).
    assert quant["format"] == "GGUF F32" and quant["weights_dtype"] == "fp32"
    assert quant["kv_cache_dtype"] == "q8_0" and quant["checkpoint"] == "org/tiny-q8"
    assert quant["source"] == "flag"
    serving = record["serving"]
    assert serving["max_batch"] == 16 and serving["tensor_parallel"] == 2
    assert serving["prefix_caching"] is True  # detected, not overridden
    assert serving["extra"]["cuda_graphs"] is False


def test_a_bad_quantization_flag_is_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["collect", "--out", str(tmp_path), "--quantization", "bits=4"])
    assert result.exit_code == 2
    assert "unknown key 'bits'" in result.output
    assert not list(tmp_path.glob("*.json"))


def test_a_served_gguf_is_recorded_honestly(tmp_path: Path) -> None:
    info = cached_model("tiny", "q8_0")
    record = collect(tmp_path / "runs", "--concurrency", "1", "--gguf", str(info.path), "--model", "tiny-q8")
    model = record["model"]
    # The generator's marker says the weights are random, even though the file came in through --gguf.
    assert model["weights"] == "random" and model["shape"] == "tiny" and model["name"] == "tiny-q8"
    assert "random-weights" in record["labels"]
    assert record["backend"]["reported"]["model_alias"] == "tiny-q8"  # /v1/models lists the name
    quant = record["quantization"]
    assert quant["format"] == "GGUF Q8_0" and quant["weights_dtype"] == "q8_0"
    assert quant["kv_cache_dtype"] == record["launch"]["engine_settings"]["cache_type_k"].replace("f", "fp")
    assert quant["source"] == "detected"
