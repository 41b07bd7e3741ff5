"""What the run record says about a resolved model, and the model the embedded engine serves."""

from __future__ import annotations

from pathlib import Path

import gguf

from collector.models.cache import ModelSourceError, ResolvedModel
from collector.models.manage import TARGETS, convert_model, default_model
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


def resolve_served(source: str, cache: Path | None = None) -> ResolvedModel:
    """`SOURCE` or `SOURCE#TARGET`: the model, or its conversion to TARGET (e.g. gguf-f16, hf-bf16) made
    once in the cache, so a suite names the same weights for every user whatever their cache path."""
    base, sep, target = source.partition("#")
    if not sep:
        return resolve(source, cache)
    if target not in TARGETS:
        raise ModelSourceError(f"{source}: unknown conversion {target!r}; choose one of {', '.join(TARGETS)}")
    return convert_model(base, target, cache)


def served_model_info(source: str, name: str | None = None) -> ModelInfo:
    """The model section for a server inferboard did not start, from the source it was told the server
    loads (a cached conversion keeps its provenance: source, hash before conversion, conversions)."""
    return model_info(resolve_served(source), name)


def embedded_real_model(source: str | None, cache: Path | None = None) -> ResolvedModel:
    """The GGUF the embedded engine serves: `source` when given, else the default real-weight model."""
    model = default_model(cache) if source is None else resolve_served(source, cache)
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
