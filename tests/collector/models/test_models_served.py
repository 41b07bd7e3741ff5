"""A launched server's weights named by model source: `SOURCE#TARGET`, `model_source` in a suite and the
`${INFERBOARD_MODEL_PATH}` it gives launch lines, and the provenance the run records."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.config.suite import SuiteError, expand, load_suite
from collector.models import ModelSourceError, resolve_served, served_model_info
from collector.run.suites import cell_config
from collector.schema import load_run
from collector.server.engine import EmbeddedEngine
from collector.server.ggufgen import cached_model


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("INFERBOARD_CACHE", str(cache))
    return cached_model("tiny", "f32", seed=0, cache_dir=cache).path


@pytest.mark.slow
def test_a_conversion_target_is_made_once_and_keeps_the_hash_before_conversion(tiny: Path) -> None:
    served = resolve_served(f"{tiny}#gguf-q8_0")
    assert served.path != tiny and served.path.name.endswith(".Q8_0.gguf")
    assert served.conversions and "Q8_0" in served.conversions[0]
    assert resolve_served(f"{tiny}#gguf-q8_0").path == served.path  # reused, not converted again
    info = served_model_info(f"{tiny}#gguf-q8_0")
    assert info.file_sha256 == served.sha256 and info.conversions == list(served.conversions)


def test_an_unknown_conversion_target_is_one_line(tiny: Path) -> None:
    with pytest.raises(ModelSourceError, match="unknown conversion 'gguf-q3'"):
        resolve_served(f"{tiny}#gguf-q3")


def test_a_suite_passes_the_model_path_to_launch_and_model(tiny: Path, tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "name: served\n"
        "servers:\n"
        "  - name: launched\n"
        f"    model_source: {tiny}\n"
        "    launch: python -m some.server --model ${INFERBOARD_MODEL_PATH} --port 18999\n"
        "    endpoint: http://127.0.0.1:18999\n"
        "    model: ${INFERBOARD_MODEL_PATH}\n"
    )
    (cell,) = expand(load_suite(suite))
    config = cell_config(cell)
    assert config.model == str(tiny) and config.model_source == str(tiny)
    assert config.launch is not None and f"--model {tiny} " in config.launch


def test_a_suite_model_source_that_does_not_resolve_names_the_server(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "name: served\n"
        "servers:\n"
        "  - name: launched\n"
        "    model_source: missing.gguf\n"
        "    launch: python -m some.server --model ${INFERBOARD_MODEL_PATH}\n"
        "    endpoint: http://127.0.0.1:18999\n"
    )
    (cell,) = expand(load_suite(suite))
    with pytest.raises(SuiteError, match=r"servers\[launched\]\.model_source: model not found"):
        cell_config(cell)


@pytest.mark.engine
@pytest.mark.slow
def test_collect_against_an_endpoint_records_the_model_source_it_was_given(
    tiny: Path, tmp_path: Path
) -> None:
    # A real server inferboard did not start (the embedded engine as a stand-alone server): the record's
    # model section comes from --model-source, converted on the way.
    with EmbeddedEngine(tiny, alias="served", n_parallel=1) as engine:
        args = ["--endpoint", engine.base_url, "--backend", "llama.cpp", "--model", "served"]
        args += ["--model-source", f"{tiny}#gguf-q8_0", "--requests", "1", "--warmup", "0"]
        args += ["--concurrency", "1", "--input-tokens", "8", "--output-tokens", "2", "--no-quality"]
        result = CliRunner().invoke(main, ["collect", "--out", str(tmp_path / "runs"), *args])
    assert result.exit_code == 0, result.output
    (path,) = (tmp_path / "runs").glob("*.json")
    model = load_run(path).model
    assert model.source == str(tiny) and model.conversions and "Q8_0" in model.conversions[0]
    assert model.file_sha256 == resolve_served(f"{tiny}#gguf-q8_0").sha256


def test_a_model_source_that_does_not_resolve_stops_before_the_server_is_asked(tmp_path: Path) -> None:
    args = ["--endpoint", "http://127.0.0.1:9", "--model-source", str(tmp_path / "missing.gguf")]
    result = CliRunner().invoke(main, ["collect", "--out", str(tmp_path / "runs"), *args])
    assert result.exit_code != 0
    assert "--model-source" in result.output and "model not found" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "runs").exists()
