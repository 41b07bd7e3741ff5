"""Quantization and serving facts: collector flags, server launch lines, GGUF headers."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from collector.provenance.facts import (
    gguf_file_type,
    gguf_quantization,
    merge,
    normalize_dtype,
    normalize_format,
    parse_quantization_flags,
    parse_quantization_pairs,
    parse_serving_flags,
    parse_serving_pairs,
    quantization_from_argv,
    serving_from_argv,
)
from collector.schema import Quantization, Serving
from collector.server.ggufgen import generate_gguf


def test_normalisation() -> None:
    assert normalize_dtype("bfloat16") == "bf16" and normalize_dtype("half") == "fp16"
    assert normalize_dtype(" FP8_E4M3 ") == "fp8_e4m3" and normalize_dtype("") is None
    assert normalize_format("fp8") == "FP8" and normalize_format("awq_marlin") == "AWQ"
    assert normalize_format("q4_k_m") == "GGUF Q4_K_M" and normalize_format("GGUF Q8_0") == "GGUF Q8_0"
    assert normalize_format("IQ3_XXS") == "GGUF IQ3_XXS"
    assert normalize_format("my-custom-format") == "my-custom-format"


def test_parse_quantization_flags_and_pairs() -> None:
    q = parse_quantization_flags("fp8", "float8", "bfloat16", "fp8", "neuralmagic/Llama-3.1-8B-FP8")
    assert q == Quantization(
        format="FP8",
        weights_dtype="fp8",
        activation_dtype="bf16",
        kv_cache_dtype="fp8",
        checkpoint="neuralmagic/Llama-3.1-8B-FP8",
        source="flag",
    )
    assert parse_quantization_flags().source == "unknown"
    assert parse_quantization_pairs(["format=awq", "weights=int4", "kv_cache=fp8"]) == Quantization(
        format="AWQ", weights_dtype="int4", kv_cache_dtype="fp8", source="flag"
    )
    with pytest.raises(ValueError, match="unknown key 'bits'"):
        parse_quantization_pairs(["bits=4"])
    with pytest.raises(ValueError, match="expected KEY=VALUE"):
        parse_quantization_pairs(["awq"])


def test_parse_serving_flags_and_pairs() -> None:
    s = parse_serving_flags(
        2, None, 256, True, None, None, ["max_model_len=8192", "gpu_memory_utilization=0.9"]
    )
    assert s.tensor_parallel == 2 and s.max_batch == 256 and s.prefix_caching is True
    assert s.extra == {"max_model_len": 8192, "gpu_memory_utilization": 0.9}
    s = parse_serving_pairs(["tp=4", "prefix_caching=false", "speculative=eagle", "cuda_graphs=true"])
    assert (s.tensor_parallel, s.prefix_caching, s.speculative) == (4, False, "eagle")
    assert s.extra == {"cuda_graphs": True}
    assert parse_serving_pairs(["tp=4"], tensor_parallel=8).tensor_parallel == 8
    with pytest.raises(ValueError, match="tp=two: expected an integer"):
        parse_serving_pairs(["tp=two"])
    with pytest.raises(ValueError, match="at least 1"):
        parse_serving_flags(tensor_parallel=0)


def test_facts_from_a_vllm_launch_line() -> None:
    argv = shlex.split(
        "vllm serve meta-llama/Llama-3.1-8B-Instruct --port 8000 --tensor-parallel-size 2 --quantization fp8 "
        "--kv-cache-dtype fp8 --max-num-seqs 256 --enable-prefix-caching --max-model-len=8192 "
        "--gpu-memory-utilization 0.92 --dtype bfloat16"
    )
    assert quantization_from_argv(argv) == Quantization(
        format="FP8", activation_dtype="bf16", kv_cache_dtype="fp8", source="flag"
    )
    s = serving_from_argv(argv)
    assert (s.tensor_parallel, s.max_batch, s.prefix_caching) == (2, 256, True)
    assert s.extra == {"max_model_len": 8192, "gpu_memory_utilization": 0.92}


def test_facts_from_sglang_lmdeploy_llamacpp_lines() -> None:
    sglang = shlex.split("python -m sglang.launch_server --model-path m --tp-size 4 --disable-radix-cache "
                         "--chunked-prefill-size -1 --speculative-algorithm EAGLE")  # fmt: skip
    s = serving_from_argv(sglang)
    assert (s.tensor_parallel, s.prefix_caching, s.chunked_prefill, s.speculative) == (
        4,
        False,
        False,
        "EAGLE",
    )
    lmdeploy = shlex.split("lmdeploy serve api_server m --model-format awq --quant-policy 8 --tp 2")
    q = quantization_from_argv(lmdeploy)
    assert (q.format, q.kv_cache_dtype) == ("AWQ", "int8")
    assert (
        quantization_from_argv(shlex.split("llama-server -m x.gguf -ctk q8_0 -np 4")).kv_cache_dtype == "q8_0"
    )
    assert serving_from_argv(shlex.split("llama-server -m x.gguf -c 8192 -np 4")).max_batch == 4
    assert quantization_from_argv(["vllm", "serve", "m"]).source == "unknown"


def test_merge_prefers_the_higher_layer_field_by_field() -> None:
    low = Quantization(format="FP8", kv_cache_dtype="auto", source="flag")
    high = Quantization(kv_cache_dtype="fp8", checkpoint="x/y", source="suite")
    merged = merge(low, high)
    assert merged == Quantization(format="FP8", kv_cache_dtype="fp8", checkpoint="x/y", source="suite")
    assert merge(low, Quantization()).source == "flag"
    s = merge(Serving(tensor_parallel=2, extra={"a": 1}), Serving(max_batch=8, extra={"b": 2}))
    assert (s.tensor_parallel, s.max_batch, s.extra) == (2, 8, {"a": 1, "b": 2})


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [("f32", "GGUF F32"), ("f16", "GGUF F16"), ("q8_0", "GGUF Q8_0"), ("q4_0", "GGUF Q4_0")],
)
@pytest.mark.slow
def test_gguf_file_type_of_generated_models(tmp_path: Path, dtype: str, expected: str) -> None:
    path = tmp_path / f"tiny-{dtype}.gguf"
    generate_gguf(path, shape="tiny", dtype=dtype)
    assert gguf_file_type(path) == expected
    q = gguf_quantization(path)
    assert q.format == expected and q.source == "detected"
    assert q.weights_dtype == normalize_dtype(expected.removeprefix("GGUF "))


def test_gguf_file_type_errors(tmp_path: Path) -> None:
    bad = tmp_path / "not.gguf"
    bad.write_bytes(b"definitely not a gguf file")
    with pytest.raises(ValueError, match=r"not\.gguf: not a readable GGUF file"):
        gguf_file_type(bad)
    with pytest.raises(ValueError, match=r"missing\.gguf"):
        gguf_file_type(tmp_path / "missing.gguf")
