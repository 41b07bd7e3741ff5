"""GGUF -> Hugging Face safetensors (bf16) with transformers, for engines that load HF checkpoints.

transformers reads the GGUF (with the `gguf` package) and dequantizes it; loaded as float32 the weights are
plain tensors (loaded as bf16 they stay GGUF-quantized and `save_pretrained` refuses). They are copied into a
fresh model built from the config without its `quantization_config`, cast to bf16 and saved with the
tokenizer (chat template included). The result is the quantized model dequantized: it is recorded so.
transformers, torch and accelerate are optional (`pip install 'inferboard[convert]'`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from collector.models.cache import ModelSourceError, ResolvedModel, show_progress, staging_dir

# Optional and heavy (torch takes seconds to import): imported only when a conversion runs, so that every
# other inferboard command starts fast.
_NEEDED = ("torch", "transformers", "accelerate")

MISSING = (
    "converting to a Hugging Face checkpoint needs the optional packages torch, transformers and accelerate "
    "(pip install 'inferboard[convert]'; CPU torch: --index-url https://download.pytorch.org/whl/cpu)"
)


def available() -> str | None:
    """None when the conversion can run, else why not (one line)."""
    if any(importlib.util.find_spec(name) is None for name in _NEEDED):
        return MISSING
    return None


def output_name(source: ResolvedModel) -> str:
    return f"{source.name}-bf16-hf"


def convert_to_hf(source: ResolvedModel, out: Path) -> ResolvedModel:
    """Write `source` (a GGUF) as a bf16 safetensors checkpoint folder at `out`, atomically."""
    missing = available()
    if missing is not None:
        raise ModelSourceError(missing)
    import torch
    import transformers

    if source.format != "gguf":
        raise ModelSourceError(f"{source.path}: the hf-bf16 conversion needs a GGUF source")
    folder, name = str(source.path.parent), source.path.name
    if not show_progress():
        transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name)
        loaded = transformers.AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=name, dtype=torch.float32
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelSourceError(f"{source.path}: transformers cannot read this GGUF ({exc})") from None
    model = _plain_copy(loaded, torch.bfloat16)
    what = (
        f"dequantized from {source.quantization or 'GGUF'} to bf16 safetensors with transformers "
        f"{transformers.__version__} (via float32)"
    )
    with staging_dir(out) as staged:
        model.save_pretrained(staged)
        tokenizer.save_pretrained(staged)
    return ResolvedModel(
        path=out,
        format="hf",
        name=source.name,
        source=source.source,
        license=source.license,
        upstream=source.upstream,
        quantization="bf16",
        conversions=(*source.conversions, what),
    )


def _plain_copy(loaded: Any, dtype: Any) -> Any:
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = dtype
    fresh = type(loaded)(config)
    fresh.load_state_dict(loaded.state_dict())
    return fresh.to(dtype).eval()
