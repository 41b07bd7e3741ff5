"""What the run record says about a resolved model, and the model the embedded engine serves."""

from __future__ import annotations

from pathlib import Path

import gguf

from collector.models.cache import ModelSourceError, ResolvedModel
from collector.models.manage import default_model
from collector.models.sources import resolve
from collector.schema import ModelInfo


def model_info(model: ResolvedModel, name: str | None = None) -> ModelInfo:
    """The record's model section for real weights, with their source, hash, licence and conversions."""
    architecture, parameters = _gguf_facts(model.path) if model.format == "gguf" else (None, None)
    return ModelInfo(
        name=name or model.name,
        weights="real",
        path=str(model.path),
        file_sha256=model.sha256,
        architecture=architecture,
        parameter_count=parameters,
        source=model.source,
        upstream=model.upstream,
        license=model.license,
        conversions=list(model.conversions),
    )


def embedded_real_model(source: str | None, cache: Path | None = None) -> ResolvedModel:
    """The GGUF the embedded engine serves: `source` when given, else the default real-weight model."""
    model = default_model(cache) if source is None else resolve(source, cache)
    if model.format != "gguf":
        raise ModelSourceError(
            f"{model.source} is a Hugging Face checkpoint folder; the embedded llama.cpp engine serves GGUF "
            "files (serve the folder with an engine that loads it and pass --endpoint)"
        )
    return model


def _gguf_facts(path: Path) -> tuple[str | None, int | None]:
    try:
        reader = gguf.GGUFReader(str(path))
    except (OSError, ValueError):
        return None, None
    field = reader.get_field("general.architecture")
    arch = field.contents() if field is not None else None
    parameters = sum(int(t.n_elements) for t in reader.tensors)
    return (arch if isinstance(arch, str) else None), parameters or None
