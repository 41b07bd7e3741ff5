"""Golden run files: made by the real collector and committed under tests/fixtures/v1."""

from __future__ import annotations

from pathlib import Path

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "v1"


def golden_files() -> list[Path]:
    """The committed golden run files; none is an error, never a parametrisation that silently empties."""
    found = sorted(GOLDEN.glob("*.json"))
    if not found:
        raise FileNotFoundError(f"{GOLDEN}: no golden run files (*.json); they are committed with the tests")
    return found
