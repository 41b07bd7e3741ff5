"""A launched server's weights named by model source: `SOURCE#TARGET`, `model_source` in a suite and the
`${INFERBOARD_MODEL_PATH}` it gives launch lines, and the provenance the run records."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config.suite import SuiteError, expand, load_suite
from collector.models import ModelSourceError, resolve_served, served_model_info
from collector.run.suites import cell_config
from collector.server.ggufgen import cached_model


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("INFERBOARD_CACHE", str(cache))
    return cached_model("tiny", "f32", seed=0, cache_dir=cache).path


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
