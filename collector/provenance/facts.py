"""Model quantization and serving configuration: from collector flags, from a server launch line, from GGUF.

Where a value comes from is recorded (`Quantization.source`): 'flag' (given to the collector or read from
the launch line), 'suite' (a suite file), 'detected' (the model file or the server said so).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, TypeVar

import gguf

from collector.schema import Quantization, Serving
from collector.schema.models import Scalar

Source = Literal["flag", "suite", "detected", "unknown"]
M = TypeVar("M", Quantization, Serving)

_DTYPE_ALIASES = {
    "bfloat16": "bf16",
    "float16": "fp16",
    "half": "fp16",
    "f16": "fp16",
    "float32": "fp32",
    "float": "fp32",
    "f32": "fp32",
    "float8": "fp8",
    "fp8_e4m3fn": "fp8_e4m3",
}
_FLOAT_DTYPES = frozenset({"bf16", "fp16", "fp32"})
_FORMAT_NAMES = {
    "fp8": "FP8",
    "awq": "AWQ",
    "awq_marlin": "AWQ",
    "gptq": "GPTQ",
    "gptq_marlin": "GPTQ",
    "marlin": "GPTQ",
    "bitsandbytes": "bitsandbytes",
    "bnb": "bitsandbytes",
    "eetq": "EETQ",
    "exl2": "EXL2",
    "fp4": "FP4",
    "nvfp4": "NVFP4",
    "mxfp4": "MXFP4",
    "int8": "INT8",
    "w8a8": "W8A8",
    "int4": "INT4",
    "compressed-tensors": "compressed-tensors",
    "modelopt": "ModelOpt",
    "gguf": "GGUF",
}
# llama.cpp quantization type names, e.g. Q4_K_M, IQ3_XXS, Q8_0, F16, BF16.
_GGUF_TYPE = re.compile(r"^(gguf[\s_-]+)?(i?q\d(_[a-z0-9]+)*|f16|f32|bf16|tq\d_\d)$", re.IGNORECASE)


def normalize_dtype(value: str | None) -> str | None:
    """A dtype in a stable spelling: 'bfloat16' -> 'bf16', 'half' -> 'fp16'; others lower-cased."""
    if value is None or not value.strip():
        return None
    lowered = value.strip().lower()
    return _DTYPE_ALIASES.get(lowered, lowered)


def normalize_format(value: str | None) -> str | None:
    """A quantization format in display form: 'fp8' -> 'FP8', 'q4_k_m' -> 'GGUF Q4_K_M'; unknown kept."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    gguf_type = _GGUF_TYPE.match(text)
    if gguf_type:
        return f"GGUF {gguf_type.group(2).upper()}"
    return _FORMAT_NAMES.get(text.lower(), text)


def parse_quantization_flags(
    quantization: str | None = None,
    weights_dtype: str | None = None,
    activation_dtype: str | None = None,
    kv_cache_dtype: str | None = None,
    checkpoint: str | None = None,
    source: Source = "flag",
) -> Quantization:
    """Quantization from explicit values (collector flags or a suite); source 'unknown' when all are empty."""
    fields = {
        "format": normalize_format(quantization),
        "weights_dtype": normalize_dtype(weights_dtype),
        "activation_dtype": normalize_dtype(activation_dtype),
        "kv_cache_dtype": normalize_dtype(kv_cache_dtype),
        "checkpoint": checkpoint.strip() if checkpoint and checkpoint.strip() else None,
    }
    given = any(v is not None for v in fields.values())
    return Quantization(**fields, source=source if given else "unknown")


def parse_scalar(text: str) -> Scalar:
    """'8' -> 8, '0.9' -> 0.9, 'true' -> True, 'none' -> None, anything else stays a string."""
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    if lowered in ("none", "null"):
        return None
    for convert in (int, float):
        try:
            return convert(text.strip())
        except ValueError:
            continue
    return text


def parse_serving_flags(
    tensor_parallel: int | None = None,
    pipeline_parallel: int | None = None,
    max_batch: int | None = None,
    prefix_caching: bool | None = None,
    chunked_prefill: bool | None = None,
    speculative: str | None = None,
    extra: Sequence[str] | Mapping[str, Scalar] = (),
) -> Serving:
    """Serving configuration from explicit values; `extra` is a mapping or 'KEY=VALUE' strings."""
    for name, size in (("tensor parallel", tensor_parallel), ("pipeline parallel", pipeline_parallel)):
        if size is not None and size < 1:
            raise ValueError(f"{name} size must be at least 1, got {size}")
    if max_batch is not None and max_batch < 1:
        raise ValueError(f"max batch must be at least 1, got {max_batch}")
    extras: dict[str, Scalar] = {}
    if isinstance(extra, Mapping):
        extras.update(extra)
    else:
        for item in extra:
            key, eq, value = item.partition("=")
            if not eq or not key.strip():
                raise ValueError(f"serving setting {item!r}: expected KEY=VALUE")
            extras[key.strip()] = parse_scalar(value)
    return Serving(
        tensor_parallel=tensor_parallel,
        pipeline_parallel=pipeline_parallel,
        max_batch=max_batch,
        prefix_caching=prefix_caching,
        chunked_prefill=chunked_prefill,
        speculative=speculative or None,
        extra=extras,
    )


_QUANT_KEYS = {
    "format": "quantization",
    "quantization": "quantization",
    "weights_dtype": "weights_dtype",
    "weights": "weights_dtype",
    "activation_dtype": "activation_dtype",
    "activations": "activation_dtype",
    "kv_cache_dtype": "kv_cache_dtype",
    "kv_cache": "kv_cache_dtype",
    "checkpoint": "checkpoint",
}
_SERVING_KEYS = {
    "tensor_parallel": "tensor_parallel",
    "tp": "tensor_parallel",
    "pipeline_parallel": "pipeline_parallel",
    "pp": "pipeline_parallel",
    "max_batch": "max_batch",
    "prefix_caching": "prefix_caching",
    "chunked_prefill": "chunked_prefill",
    "speculative": "speculative",
}


def _pairs(items: Sequence[str] | Mapping[str, str], flag: str) -> list[tuple[str, str]]:
    if isinstance(items, Mapping):
        return [(str(k).strip(), str(v)) for k, v in items.items()]
    pairs = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ValueError(f"{flag} {item!r}: expected KEY=VALUE")
        pairs.append((key.strip(), value.strip()))
    return pairs


def parse_quantization_pairs(
    items: Sequence[str] | Mapping[str, str], source: Source = "flag", flag: str = "--quantization"
) -> Quantization:
    """Quantization from 'KEY=VALUE' items (format, weights_dtype, activation_dtype, kv_cache_dtype,
    checkpoint; short aliases weights, activations, kv_cache). An unknown key is an error naming it."""
    values: dict[str, str] = {}
    for key, value in _pairs(items, flag):
        target = _QUANT_KEYS.get(key.lower())
        if target is None:
            known = ", ".join(sorted(set(_QUANT_KEYS)))
            raise ValueError(f"{flag} {key}={value}: unknown key {key!r} (known: {known})")
        values[target] = value
    return parse_quantization_flags(**values, source=source)


def parse_serving_pairs(
    items: Sequence[str] | Mapping[str, str], tensor_parallel: int | None = None, flag: str = "--serving"
) -> Serving:
    """Serving facts from 'KEY=VALUE' items: the known fields (tensor_parallel/tp, pipeline_parallel/pp,
    max_batch, prefix_caching, chunked_prefill, speculative) are typed; any other key goes to `extra`.
    `tensor_parallel` (e.g. --tp) wins over an item."""
    known: dict[str, Scalar] = {}
    extra: dict[str, Scalar] = {}
    for key, raw in _pairs(items, flag):
        target = _SERVING_KEYS.get(key.lower())
        value = raw if target == "speculative" else parse_scalar(raw)
        if target is None:
            extra[key] = value
            continue
        expected = (
            bool
            if target in ("prefix_caching", "chunked_prefill")
            else str
            if target == "speculative"
            else int
        )
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ValueError(
                f"{flag} {key}={raw}: expected {'true/false' if expected is bool else 'an integer'}"
            )
        known[target] = value
    if tensor_parallel is not None:
        known["tensor_parallel"] = tensor_parallel
    return parse_serving_flags(
        tensor_parallel=_int_or_none(known.get("tensor_parallel")),
        pipeline_parallel=_int_or_none(known.get("pipeline_parallel")),
        max_batch=_int_or_none(known.get("max_batch")),
        prefix_caching=_bool_or_none(known.get("prefix_caching")),
        chunked_prefill=_bool_or_none(known.get("chunked_prefill")),
        speculative=str(known["speculative"]) if "speculative" in known else None,
        extra=extra,
    )


def _int_or_none(value: Scalar) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bool_or_none(value: Scalar) -> bool | None:
    return value if isinstance(value, bool) else None


# Server flags (vLLM, SGLang, LMDeploy, TGI, TensorRT-LLM, llama.cpp) that carry serving facts.
_VALUE_FLAGS: dict[str, str] = {
    "--tensor-parallel-size": "tensor_parallel",
    "-tp": "tensor_parallel",
    "--tp": "tensor_parallel",
    "--tp-size": "tensor_parallel",
    "--tp_size": "tensor_parallel",
    "--num-shard": "tensor_parallel",
    "--pipeline-parallel-size": "pipeline_parallel",
    "-pp": "pipeline_parallel",
    "--pp": "pipeline_parallel",
    "--pp-size": "pipeline_parallel",
    "--pp_size": "pipeline_parallel",
    "--max-num-seqs": "max_batch",
    "--max-running-requests": "max_batch",
    "--max-batch-size": "max_batch",
    "--max_batch_size": "max_batch",
    "--parallel": "max_batch",
    "-np": "max_batch",
    "--n-parallel": "max_batch",
    "--speculative-config": "speculative",
    "--speculative-model": "speculative",
    "--speculative-algorithm": "speculative",
    "--data-parallel-size": "extra:data_parallel",
    "-dp": "extra:data_parallel",
    "--dp-size": "extra:data_parallel",
    "--max-model-len": "extra:max_model_len",
    "--context-length": "extra:max_model_len",
    "--ctx-size": "extra:max_model_len",
    "-c": "extra:max_model_len",
    "--max-total-tokens": "extra:max_model_len",
    "--session-len": "extra:max_model_len",
    "--max-num-batched-tokens": "extra:max_num_batched_tokens",
    "--gpu-memory-utilization": "extra:gpu_memory_utilization",
    "--mem-fraction-static": "extra:gpu_memory_utilization",
    "--cache-max-entry-count": "extra:gpu_memory_utilization",
    "--chunked-prefill-size": "extra:chunked_prefill_size",
}
_SWITCH_FLAGS: dict[str, tuple[str, Scalar]] = {
    "--enable-prefix-caching": ("prefix_caching", True),
    "--no-enable-prefix-caching": ("prefix_caching", False),
    "--disable-radix-cache": ("prefix_caching", False),
    "--enable-chunked-prefill": ("chunked_prefill", True),
    "--no-enable-chunked-prefill": ("chunked_prefill", False),
    "--enforce-eager": ("extra:enforce_eager", True),
    "--disable-cuda-graph": ("extra:enforce_eager", True),
}
_QUANT_FLAGS: dict[str, str] = {
    "--quantization": "format",
    "-q": "format",
    "--quantize": "format",
    "--model-format": "format",
    "--dtype": "dtype",
    "--kv-cache-dtype": "kv_cache_dtype",
    "--cache-type-k": "kv_cache_dtype",
    "-ctk": "kv_cache_dtype",
    "--quant-policy": "quant_policy",
}


def _flag_values(argv: Sequence[str], known: Mapping[str, object]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for i, arg in enumerate(argv):
        name, eq, value = arg.partition("=")
        if name in known:
            if eq:
                pairs.append((name, value))
            elif i + 1 < len(argv):
                pairs.append((name, argv[i + 1]))
    return pairs


def serving_from_argv(argv: Sequence[str]) -> Serving:
    """Serving facts read from a server launch command (flags of the common servers)."""
    fields: dict[str, Scalar] = {}
    extra: dict[str, Scalar] = {}
    for flag, raw in _flag_values(argv, _VALUE_FLAGS):
        target = _VALUE_FLAGS[flag]
        value: Scalar = raw if target == "speculative" else parse_scalar(raw)
        if target == "extra:chunked_prefill_size" and value == -1:
            fields["chunked_prefill"] = False  # SGLang disables chunked prefill with -1
        if target.startswith("extra:"):
            extra[target.removeprefix("extra:")] = value
        elif isinstance(value, int) or target == "speculative":
            fields[target] = value
    for arg in argv:
        if arg in _SWITCH_FLAGS:
            target, switch = _SWITCH_FLAGS[arg]
            if target.startswith("extra:"):
                extra[target.removeprefix("extra:")] = switch
            else:
                fields[target] = switch
    return Serving.model_validate({**fields, "extra": extra})


def quantization_from_argv(argv: Sequence[str]) -> Quantization:
    """Quantization facts read from a server launch command (source 'flag'; 'unknown' if none found)."""
    found = dict(_flag_values(argv, _QUANT_FLAGS))
    values = {_QUANT_FLAGS[flag]: value for flag, value in found.items()}
    fmt = values.get("format")
    if fmt is not None and fmt.lower() in ("hf", "none", "auto"):
        fmt = None  # LMDeploy's --model-format hf, TGI's default: not quantized
    kv = values.get("kv_cache_dtype")
    policy = values.get("quant_policy")
    if kv is None and policy in ("4", "8"):
        kv = f"int{policy}"  # LMDeploy --quant-policy: online KV-cache quantization
    dtype = normalize_dtype(values.get("dtype"))
    if dtype == "auto":
        dtype = None  # the server picks from the checkpoint: unknown from the launch line alone
    floating = dtype in _FLOAT_DTYPES
    return parse_quantization_flags(
        quantization=fmt,
        # A float --dtype is the compute dtype (and the weights' when not quantized); a quantized one
        # (e.g. the embedded engine's q8_0) describes the weights only.
        weights_dtype=dtype if fmt is None else None,
        activation_dtype=dtype if floating else None,
        kv_cache_dtype=kv,
    )


def merge(low: M, high: M) -> M:
    """`high` over `low`, field by field: a value set in `high` wins; `extra` dicts are merged."""
    data = low.model_dump()
    for name, value in high.model_dump().items():
        if name == "extra":
            data["extra"] = {**data.get("extra", {}), **value}
        elif name == "source":
            continue
        elif value is not None:
            data[name] = value
    if isinstance(high, Quantization) and isinstance(low, Quantization):
        data["source"] = high.source if high.source != "unknown" else low.source
    result: M = type(low).model_validate(data)
    return result


def gguf_file_type(path: str | Path) -> str | None:
    """The quantization of a GGUF model from its `general.file_type` header, e.g. 'GGUF Q4_K_M'.

    None when the header has no file type; ValueError naming the file when it is not a readable GGUF.
    """
    try:
        reader = gguf.GGUFReader(str(path))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable GGUF file ({exc})") from None
    field = reader.fields.get("general.file_type")
    if field is None or not field.data:
        return None
    raw = int(field.parts[field.data[0]][0])
    try:
        name = gguf.LlamaFileType(raw).name
    except ValueError:
        return f"GGUF file type {raw}"
    return "GGUF " + name.removeprefix("MOSTLY_").removeprefix("ALL_")


def gguf_quantization(path: str | Path) -> Quantization:
    """Quantization detected from a GGUF file (weights dtype = the llama.cpp type, lower-cased)."""
    file_type = gguf_file_type(path)
    if file_type is None:
        return Quantization()
    return Quantization(
        format=file_type,
        weights_dtype=normalize_dtype(file_type.removeprefix("GGUF ")),
        source="detected",
    )
