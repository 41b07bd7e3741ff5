"""Fetching and converting models into the cache: what `inferboard models` and `collect` call."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal, get_args

from collector.models import convert, convert_hf
from collector.models.cache import (
    ModelSourceError,
    ResolvedModel,
    cache_dir,
    cache_errors,
    read_sidecar,
    weights_sha256,
    write_sidecar,
)
from collector.models.catalogue import DEFAULT_SOURCE
from collector.models.sources import resolve

Target = Literal["hf-bf16", "gguf-f16", "gguf-q8_0"]
TARGETS: tuple[str, ...] = get_args(Target)

RANDOM_HINT = (
    "pass --gguf PATH to serve a local GGUF, or --random-weights for a generated random-weight model"
)


def fetch(source: str, cache: Path | None = None) -> ResolvedModel:
    """The model a source names, on local disk (fetched into the cache once when remote)."""
    return resolve(source, cache)


def converted_path(model: ResolvedModel, target: str, cache: Path | None = None) -> Path:
    """Where a conversion is written: beside its source when that is in the cache, else under converted/."""
    root = cache_dir(cache).resolve()
    name = convert_hf.output_name(model) if target == "hf-bf16" else convert.output_name(model, target[5:])
    parent = model.path.resolve().parent
    if parent.is_relative_to(root):
        return parent / name
    tag = (model.sha256 or "unhashed")[:12]
    return root / "converted" / f"{model.name}-{tag}" / name


def convert_model(source: str, target: str, cache: Path | None = None) -> ResolvedModel:
    """`source` converted to `target` in the cache; an earlier conversion of the same file is reused."""
    if target not in TARGETS:
        raise ModelSourceError(f"unknown conversion target {target!r}; choose one of {', '.join(TARGETS)}")
    model = resolve(source, cache)
    with cache_errors(source, cache):
        return _convert(model, target, cache)


def _convert(model: ResolvedModel, target: str, cache: Path | None) -> ResolvedModel:
    out = converted_path(model, target, cache)
    done = read_sidecar(out)
    if done is not None and done.conversions[: len(model.conversions)] == model.conversions:
        return done
    if target == "hf-bf16":
        result = convert_hf.convert_to_hf(model, out)
    else:
        result = convert.convert_gguf(model, target[5:], out)
    result = dataclasses.replace(result, sha256=weights_sha256(out))
    write_sidecar(result)
    return result


def default_model(cache: Path | None = None) -> ResolvedModel:
    """The real-weight model `inferboard collect` serves when given no endpoint and no model."""
    try:
        return resolve(DEFAULT_SOURCE, cache)
    except ModelSourceError as exc:
        raise ModelSourceError(f"cannot fetch the default model ({exc}); {RANDOM_HINT}") from None
