"""Random-weight GGUF models of real architecture shapes, generated on the spot for the embedded engine.

Dense transformer compute does not depend on the weight values, so a model with the true shape of, say,
Llama-3.2-1B but random weights runs at the same speed as the real one on the same engine. Such a model is
useless for quality and is always labelled as random (GGUF metadata and the run record).

The vocabulary is ASCII only: llama.cpp holds back incomplete UTF-8 sequences and would pack several
byte-level tokens into one SSE chunk, which breaks the one-token-per-chunk streaming the collector relies on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal, get_args

import gguf
import numpy as np
from gguf.quants import quantize

from collector.models.cache import default_cache_dir
from collector.store import atomic_write_bytes

Dtype = Literal["f32", "f16", "q8_0", "q4_0"]
DTYPES: tuple[str, ...] = get_args(Dtype)

# Bump whenever the bytes written for a given (shape, dtype, seed) change, so caches never serve stale files.
GENERATOR_VERSION = 1

# Rows generated per step: bounds memory to a few hundred MB even for a 128k x 2048 embedding.
_ROWS_PER_CHUNK = 16384
_WEIGHT_STD = 0.02
_EOS_TEXT = "<|endoftext|>"


@dataclass(frozen=True)
class Shape:
    """Hyper-parameters of a Llama-architecture model (names follow Hugging Face config.json)."""

    name: str
    source: str
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    intermediate_size: int
    max_position_embeddings: int
    rope_theta: float
    rms_norm_eps: float = 1e-5
    tie_word_embeddings: bool = True
    # Llama-3 style rope scaling: (factor, low_freq_factor, high_freq_factor, original_max_position)
    llama3_rope_scaling: tuple[float, float, float, int] | None = None

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def parameter_count(self) -> int:
        """Parameters of the model (the rope frequency table is derived, not a parameter)."""
        return sum(math.prod(shape) for name, shape in _tensor_shapes(self) if name != "rope_freqs.weight")


SHAPES: dict[str, Shape] = {
    shape.name: shape
    for shape in (
        Shape(
            name="tiny",
            source="inferboard test shape (not a real model): 2 layers, 64 wide; answers in milliseconds",
            vocab_size=512,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=4,
            intermediate_size=128,
            max_position_embeddings=4096,
            rope_theta=10000.0,
        ),
        Shape(
            name="llama-100m",
            source="inferboard benchmark shape (not a released model): a ~100M-parameter Llama layout "
            "for quick CPU benchmarks",
            vocab_size=32000,
            hidden_size=768,
            num_hidden_layers=12,
            num_attention_heads=12,
            num_key_value_heads=4,
            intermediate_size=2048,
            max_position_embeddings=8192,
            rope_theta=10000.0,
        ),
        Shape(
            name="Llama-3.2-1B",
            source="meta-llama/Llama-3.2-1B config.json",
            vocab_size=128256,
            hidden_size=2048,
            num_hidden_layers=16,
            num_attention_heads=32,
            num_key_value_heads=8,
            intermediate_size=8192,
            max_position_embeddings=131072,
            rope_theta=500000.0,
            llama3_rope_scaling=(32.0, 1.0, 4.0, 8192),
        ),
    )
}


@dataclass(frozen=True)
class GGUFInfo:
    """What was generated: enough to fill the run record's model and quantization sections."""

    path: Path
    shape: str
    dtype: str
    seed: int
    parameter_count: int
    file_type: str
    sha256: str
    size_bytes: int
    n_ctx_train: int
    architecture: str
    name: str

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["path"] = str(self.path)
        return data


def generate_gguf(
    path: str | os.PathLike[str], shape: str = "tiny", dtype: str = "f32", seed: int = 0
) -> GGUFInfo:
    """Write a random-weight GGUF of the named shape; deterministic for a given (shape, dtype, seed).

    The file appears atomically (temp file in the same directory, then rename). Tensors are generated and
    written one chunk of rows at a time, so memory stays bounded whatever the model size.
    """
    arch_shape = _lookup_shape(shape)
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r} for the random GGUF; choose one of {', '.join(DTYPES)}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _write(tmp, arch_shape, dtype, seed)
        digest = _sha256(tmp)
        # mkstemp creates the file private (0600); a model file is ordinary shared data.
        tmp.chmod(0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return GGUFInfo(
        path=target,
        shape=arch_shape.name,
        dtype=dtype,
        seed=seed,
        parameter_count=arch_shape.parameter_count(),
        file_type=f"GGUF {dtype.upper()}",
        sha256=digest,
        size_bytes=target.stat().st_size,
        n_ctx_train=arch_shape.max_position_embeddings,
        architecture="llama",
        name=model_name(arch_shape.name),
    )


def read_random_marker(path: str | os.PathLike[str]) -> str | None:
    """The shape name when the GGUF is an inferboard random-weight model, else None (real or unknown)."""
    reader = gguf.GGUFReader(path)
    marker = reader.get_field("inferboard.random_weights")
    if marker is None or marker.contents() is not True:
        return None
    shape = reader.get_field("inferboard.shape")
    value = shape.contents() if shape is not None else None
    return value if isinstance(value, str) else "unknown"


def model_name(shape: str) -> str:
    return f"inferboard-random-{shape}"


def cached_model(
    shape: str = "tiny", dtype: str = "f32", seed: int = 0, cache_dir: str | os.PathLike[str] | None = None
) -> GGUFInfo:
    """Generate the model once into the cache directory and reuse it afterwards.

    A JSON sidecar keeps the GGUFInfo (with the sha256) so reuse does not re-hash gigabytes; it is trusted
    only while the file's size and mtime match what it recorded.
    """
    _lookup_shape(shape)
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r} for the random GGUF; choose one of {', '.join(DTYPES)}")
    directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    path = directory / f"{model_name(shape)}-{dtype}-seed{seed}-v{GENERATOR_VERSION}.gguf"
    sidecar = path.with_name(path.name + ".json")
    cached = _read_sidecar(sidecar, path)
    if cached is not None:
        return cached
    info = generate_gguf(path, shape=shape, dtype=dtype, seed=seed)
    stat = path.stat()
    record = {"info": info.to_json(), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    atomic_write_bytes(sidecar, json.dumps(record, indent=2).encode())
    return info


def _read_sidecar(sidecar: Path, path: Path) -> GGUFInfo | None:
    try:
        record = json.loads(sidecar.read_text())
        stat = path.stat()
        if record["size"] != stat.st_size or record["mtime_ns"] != stat.st_mtime_ns:
            return None
        fields = dict(record["info"])
        fields["path"] = path
        return GGUFInfo(**fields)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _lookup_shape(shape: str) -> Shape:
    try:
        return SHAPES[shape]
    except KeyError:
        raise ValueError(f"unknown model shape {shape!r}; choose one of {', '.join(SHAPES)}") from None


def ascii_vocabulary(vocab_size: int) -> tuple[list[str], list[int], list[str]]:
    """Tokens, token types and merges of an ASCII-only GPT-2 byte-level BPE vocabulary.

    Byte tokens cover printable ASCII plus tab and newline (in GPT-2's byte-to-unicode spelling, so space
    is 'Ġ'); fillers are unique short words with a leading space; the last token is end-of-text.
    """
    byte_tokens = [_gpt2_char(b) for b in (9, 10, *range(32, 127))]
    n_fillers = vocab_size - len(byte_tokens) - 1
    if n_fillers < 26:
        raise ValueError(f"vocab_size {vocab_size} is too small for the ASCII vocabulary")
    fillers = ["Ġ" + word for word in _words(n_fillers)]
    tokens = [*byte_tokens, *fillers, _EOS_TEXT]
    types = [int(gguf.TokenType.NORMAL)] * (len(tokens) - 1) + [int(gguf.TokenType.CONTROL)]
    # llama.cpp refuses a gpt2 BPE vocabulary without merges; ' a'..' z' give real merges.
    merges = [f"Ġ {chr(c)}" for c in range(ord("a"), ord("z") + 1)]
    return tokens, types, merges


def _gpt2_char(byte: int) -> str:
    """GPT-2's byte-to-unicode mapping for one ASCII byte (printable bytes map to themselves)."""
    if 33 <= byte <= 126:
        return chr(byte)
    return chr(
        256
        + [b for b in range(256) if not (33 <= b <= 126 or 161 <= b <= 172 or 174 <= b <= 255)].index(byte)
    )


def _words(count: int) -> Iterator[str]:
    """Lowercase words in length-then-alphabetical order: a..z, aa..zz, aaa..."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    produced, length = 0, 1
    while True:
        for index in range(len(letters) ** length):
            if produced == count:
                return
            chars = []
            for _ in range(length):
                index, rem = divmod(index, len(letters))
                chars.append(letters[rem])
            yield "".join(reversed(chars))
            produced += 1
        length += 1


def _tensor_shapes(shape: Shape) -> list[tuple[str, tuple[int, ...]]]:
    """GGUF tensor names with numpy shapes (rows, cols), in llama.cpp's naming."""
    hidden, ffn, kv = shape.hidden_size, shape.intermediate_size, shape.num_key_value_heads * shape.head_dim
    tensors: list[tuple[str, tuple[int, ...]]] = [("token_embd.weight", (shape.vocab_size, hidden))]
    if shape.llama3_rope_scaling is not None:
        tensors.append(("rope_freqs.weight", (shape.head_dim // 2,)))
    for i in range(shape.num_hidden_layers):
        tensors += [
            (f"blk.{i}.attn_norm.weight", (hidden,)),
            (f"blk.{i}.attn_q.weight", (hidden, hidden)),
            (f"blk.{i}.attn_k.weight", (kv, hidden)),
            (f"blk.{i}.attn_v.weight", (kv, hidden)),
            (f"blk.{i}.attn_output.weight", (hidden, hidden)),
            (f"blk.{i}.ffn_norm.weight", (hidden,)),
            (f"blk.{i}.ffn_gate.weight", (ffn, hidden)),
            (f"blk.{i}.ffn_up.weight", (ffn, hidden)),
            (f"blk.{i}.ffn_down.weight", (hidden, ffn)),
        ]
    tensors.append(("output_norm.weight", (hidden,)))
    if not shape.tie_word_embeddings:
        tensors.append(("output.weight", (shape.vocab_size, hidden)))
    return tensors


_QTYPES: dict[str, gguf.GGMLQuantizationType] = {
    "f32": gguf.GGMLQuantizationType.F32,
    "f16": gguf.GGMLQuantizationType.F16,
    "q8_0": gguf.GGMLQuantizationType.Q8_0,
    "q4_0": gguf.GGMLQuantizationType.Q4_0,
}
_FILE_TYPES: dict[str, gguf.LlamaFileType] = {
    "f32": gguf.LlamaFileType.ALL_F32,
    "f16": gguf.LlamaFileType.MOSTLY_F16,
    "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
    "q4_0": gguf.LlamaFileType.MOSTLY_Q4_0,
}


def _row_bytes(cols: int, qtype: gguf.GGMLQuantizationType) -> int:
    block, type_size = gguf.GGML_QUANT_SIZES[qtype]
    if cols % block:
        raise ValueError(f"row length {cols} is not a multiple of the {qtype.name} block size {block}")
    return cols // block * type_size


def _llama3_rope_factors(shape: Shape) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The per-frequency scaling table convert_hf_to_gguf.py writes for rope_type 'llama3'."""
    assert shape.llama3_rope_scaling is not None
    factor, low_freq_factor, high_freq_factor, old_context = shape.llama3_rope_scaling
    dim = shape.head_dim
    freqs = 1.0 / (shape.rope_theta ** (np.arange(0, dim, 2, dtype=np.float32) / dim))
    low_wavelen, high_wavelen = old_context / low_freq_factor, old_context / high_freq_factor
    factors = []
    for freq in freqs:
        wavelen = 2 * math.pi / float(freq)
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (old_context / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
            factors.append(1.0 / ((1.0 - smooth) / factor + smooth))
    return np.asarray(factors, dtype=np.float32)


def _write(path: Path, shape: Shape, dtype: str, seed: int) -> None:
    qtype = _QTYPES[dtype]
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name(model_name(shape.name))
    writer.add_description(f"Random weights in the shape of {shape.name} ({shape.source}). Speed only.")
    writer.add_bool("inferboard.random_weights", True)
    writer.add_string("inferboard.shape", shape.name)
    writer.add_uint32("inferboard.seed", seed)
    writer.add_uint32("inferboard.generator_version", GENERATOR_VERSION)
    writer.add_context_length(shape.max_position_embeddings)
    writer.add_embedding_length(shape.hidden_size)
    writer.add_block_count(shape.num_hidden_layers)
    writer.add_feed_forward_length(shape.intermediate_size)
    writer.add_head_count(shape.num_attention_heads)
    writer.add_head_count_kv(shape.num_key_value_heads)
    writer.add_rope_dimension_count(shape.head_dim)
    writer.add_rope_freq_base(shape.rope_theta)
    writer.add_layer_norm_rms_eps(shape.rms_norm_eps)
    writer.add_vocab_size(shape.vocab_size)
    writer.add_file_type(_FILE_TYPES[dtype])
    tokens, types, merges = ascii_vocabulary(shape.vocab_size)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    # GPT-2 style: one end-of-text token doubles as BOS, and no BOS is prepended, so a prompt's token
    # count is its character count and no zero-text control token can be sampled under ignore_eos.
    writer.add_bos_token_id(len(tokens) - 1)
    writer.add_eos_token_id(len(tokens) - 1)
    writer.add_add_bos_token(False)
    writer.add_chat_template(
        "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}assistant: {% endif %}"
    )

    layout = _tensor_shapes(shape)
    for name, dims in layout:
        tensor_qtype = qtype if len(dims) == 2 else gguf.GGMLQuantizationType.F32
        rows = math.prod(dims[:-1])
        nbytes = rows * _row_bytes(dims[-1], tensor_qtype)
        writer.add_tensor_info(name, dims, np.dtype(np.float32), nbytes, raw_dtype=tensor_qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    assert writer.fout is not None
    out = writer.fout[0]
    for index, (name, dims) in enumerate(layout):
        _pad_to_alignment(out, writer.data_alignment)
        if name == "rope_freqs.weight":
            out.write(_llama3_rope_factors(shape).tobytes())
        elif len(dims) == 1:
            out.write(np.ones(dims, dtype=np.float32).tobytes())
        else:
            _write_random_matrix(out, dims, qtype, np.random.default_rng([seed, index]))
    writer.close()


def _pad_to_alignment(out: BinaryIO, alignment: int) -> None:
    # Tensor data offsets recorded by write_ti_data_to_file are each padded to the alignment.
    position = out.tell()
    out.write(b"\x00" * (-position % alignment))


def _write_random_matrix(
    out: BinaryIO, dims: tuple[int, ...], qtype: gguf.GGMLQuantizationType, rng: np.random.Generator
) -> None:
    rows, cols = dims
    for start in range(0, rows, _ROWS_PER_CHUNK):
        count = min(_ROWS_PER_CHUNK, rows - start)
        chunk = rng.standard_normal((count, cols), dtype=np.float32)
        chunk *= _WEIGHT_STD
        if qtype == gguf.GGMLQuantizationType.F32:
            out.write(chunk.tobytes())
        elif qtype == gguf.GGMLQuantizationType.F16:
            out.write(chunk.astype(np.float16).tobytes())
        else:
            out.write(quantize(chunk, qtype).tobytes())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()
