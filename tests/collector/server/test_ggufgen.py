"""The random-weight GGUF generator: shapes, determinism, metadata, vocabulary, cache (no engine needed)."""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
import pytest

from collector.server.ggufgen import (
    DTYPES,
    SHAPES,
    ascii_vocabulary,
    cached_model,
    generate_gguf,
    read_random_marker,
)


def _field(reader: gguf.GGUFReader, key: str) -> object:
    field = reader.get_field(key)
    assert field is not None, key
    return field.contents()


def test_llama_3_2_1b_shape_has_the_real_parameter_count() -> None:
    # 1,235,814,400 is the published parameter count of meta-llama/Llama-3.2-1B (tied embeddings).
    assert SHAPES["Llama-3.2-1B"].parameter_count() == 1_235_814_400
    assert 90e6 < SHAPES["llama-100m"].parameter_count() < 110e6


@pytest.mark.parametrize("dtype", DTYPES)
def test_same_seed_gives_identical_bytes(tmp_path: Path, dtype: str) -> None:
    first = generate_gguf(tmp_path / "a.gguf", "tiny", dtype, seed=3)
    second = generate_gguf(tmp_path / "b.gguf", "tiny", dtype, seed=3)
    other_seed = generate_gguf(tmp_path / "c.gguf", "tiny", dtype, seed=4)
    assert first.sha256 == second.sha256
    assert first.sha256 != other_seed.sha256
    assert first.file_type == f"GGUF {dtype.upper()}"
    assert first.size_bytes == (tmp_path / "a.gguf").stat().st_size


def test_metadata_marks_the_model_random_and_keeps_the_shape(tmp_path: Path) -> None:
    info = generate_gguf(tmp_path / "m.gguf", "tiny", "q8_0", seed=0)
    reader = gguf.GGUFReader(info.path)
    assert _field(reader, "general.name") == "inferboard-random-tiny"
    assert _field(reader, "inferboard.random_weights") is True
    assert _field(reader, "inferboard.shape") == "tiny"
    assert _field(reader, "llama.block_count") == 2
    assert _field(reader, "llama.embedding_length") == 64
    types = {tensor.name: tensor.tensor_type for tensor in reader.tensors}
    assert types["blk.0.attn_q.weight"] == gguf.GGMLQuantizationType.Q8_0
    assert types["blk.0.attn_norm.weight"] == gguf.GGMLQuantizationType.F32
    assert sum(int(tensor.n_elements) for tensor in reader.tensors) == info.parameter_count
    assert read_random_marker(info.path) == "tiny"


def test_vocabulary_is_ascii_only_with_a_merge() -> None:
    tokens, types, merges = ascii_vocabulary(512)
    assert len(tokens) == len(types) == len(set(tokens)) == 512
    assert merges and all(merge.count(" ") == 1 for merge in merges)
    # Decode GPT-2's byte-level spelling: 'Ġ' is space, 'Ċ' newline, 'ĉ' tab; everything else is itself.
    decoded = "".join(tokens[:-1]).replace("Ġ", " ").replace("Ċ", "\n").replace("ĉ", "\t")
    assert decoded.isascii()


def test_file_appears_atomically_and_no_temp_file_is_left(tmp_path: Path) -> None:
    generate_gguf(tmp_path / "x.gguf", "tiny", "f16")
    assert [p.name for p in tmp_path.iterdir()] == ["x.gguf"]


def test_bad_shape_and_dtype_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown model shape 'Llama-9000'"):
        generate_gguf(tmp_path / "x.gguf", "Llama-9000")
    with pytest.raises(ValueError, match="unknown dtype 'q2_k'"):
        cached_model("tiny", "q2_k", cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_cached_model_generates_once_then_reuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFERBOARD_CACHE", str(tmp_path / "env-cache"))
    first = cached_model("tiny", "q4_0", seed=1)
    assert first.path.parent == tmp_path / "env-cache"
    mtime = first.path.stat().st_mtime_ns
    again = cached_model("tiny", "q4_0", seed=1)
    assert again == first
    assert again.path.stat().st_mtime_ns == mtime
    explicit = cached_model("tiny", "q4_0", seed=1, cache_dir=tmp_path / "explicit")
    assert explicit.sha256 == first.sha256 and explicit.path.parent == tmp_path / "explicit"


def test_cache_regenerates_a_replaced_file(tmp_path: Path) -> None:
    info = cached_model("tiny", "f16", cache_dir=tmp_path)
    info.path.write_bytes(b"not a model")
    regenerated = cached_model("tiny", "f16", cache_dir=tmp_path)
    assert regenerated.sha256 == info.sha256
    assert regenerated.path.stat().st_size == info.size_bytes


def test_a_gguf_without_the_marker_is_not_random(tmp_path: Path) -> None:
    writer = gguf.GGUFWriter(tmp_path / "plain.gguf", "llama")
    writer.add_name("some real model")
    writer.add_tensor("token_embd.weight", np.ones((4, 32), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    assert read_random_marker(tmp_path / "plain.gguf") is None
