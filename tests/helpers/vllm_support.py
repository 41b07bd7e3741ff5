"""What the real-vLLM tests share besides fixtures (a module of its own: every test folder has a conftest)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import vllm_env

needs_vllm = pytest.mark.skipif(
    not vllm_env.VLLM_PYTHON.exists(),
    reason=f"{vllm_env.VLLM_PYTHON} missing: run bash benchmarks/engines/setup_vllm.sh (vLLM's CPU build)",
)


@dataclass(frozen=True)
class VllmServer:
    base_url: str
    model: str
    argv: list[str]
    model_dir: Path
    log_path: Path
