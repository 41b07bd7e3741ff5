"""Build a tiny byte-level BPE tokenizer directory that HF ``AutoTokenizer.from_pretrained(path)`` can load.

The benchmark clients (guidellm, aiperf) insist on a tokenizer to synthesise prompts and count tokens; with no
network we build one locally with the ``tokenizers`` package instead of downloading a real model's.

Usage: python benchmarks/make_tokenizer.py OUT_DIR   (runs in the peers virtualenv, which has tokenizers)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

# Training text for the BPE merges; any other text still encodes (byte fallback through the byte alphabet).
_TRAINING_TEXT = (
    "the of and to in is was for on that with as by at from his an were are which this be has or had "
    "not first one their its new after but who they have her she two been other when there all during "
    "into school time may years more most only over city some world would where later up such used "
    "many can state about national out known university united then made hello token stream bench "
    "load user server model"
)
_WORDS = _TRAINING_TEXT.split(" ")


def build(out_dir: Path) -> None:
    # Byte-level BPE: every byte is in the alphabet, so any prompt text round-trips through encode/decode
    # (a word-level vocabulary maps unknown words to [UNK], which decodes to nothing and breaks the
    # peers' synthetic prompt builders).
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=2000,
        special_tokens=["<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    corpus = [" ".join(_WORDS[i:] + _WORDS[:i]) for i in range(len(_WORDS))]
    tok.train_from_iterator(corpus, trainer=trainer)
    out_dir.mkdir(parents=True, exist_ok=True)
    tok.save(str(out_dir / "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "pad_token": "<pad>",
        "model_max_length": 131072,
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out_dir / "special_tokens_map.json").write_text(
        json.dumps({k: config[k] for k in ("bos_token", "eos_token", "pad_token")}) + "\n"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_tokenizer.py OUT_DIR")
    build(Path(sys.argv[1]))
    print(f"tokenizer written to {sys.argv[1]}")
