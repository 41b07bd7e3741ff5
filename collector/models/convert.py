"""GGUF -> GGUF conversions with the `gguf` package: dequantize to F16, or requantize to Q8_0.

Every key-value field of the source (architecture, hyper-parameters, tokenizer, chat template, licence)
is copied; only `general.file_type` changes, and `inferboard.conversion` says what was done. Tensors are
converted one at a time, so memory stays at about one tensor in float32. 1-D tensors (norms) stay F32, as
llama.cpp's own converter leaves them. Requantizing Q4_1 to Q8_0 cannot restore what Q4_1 rounded away:
the result is the Q4_1 model in a Q8_0 container, useful to compare kernels, not quality.
"""

from __future__ import annotations

import math
from collections import Counter
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal, get_args

import gguf
import numpy as np
from gguf.quants import dequantize, quant_shape_from_byte_shape, quant_shape_to_byte_shape, quantize

from collector.models.cache import ModelSourceError, ResolvedModel, progress_bar, staging_file

GgufTarget = Literal["f16", "q8_0"]
GGUF_TARGETS: tuple[str, ...] = get_args(GgufTarget)

_FILE_TYPE = {"f16": gguf.LlamaFileType.MOSTLY_F16, "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0}
_TENSOR_TYPE = {"f16": gguf.GGMLQuantizationType.F16, "q8_0": gguf.GGMLQuantizationType.Q8_0}
# Fields GGUFWriter writes itself, or that would contradict the new file.
_SKIP = {"general.architecture", "general.file_type", "general.alignment", "inferboard.conversion"}
_KEEP = (gguf.GGMLQuantizationType.F32,)


def output_name(source: ResolvedModel, target: str) -> str:
    """'SmolLM2-135M-Instruct.Q4_1.gguf' -> 'SmolLM2-135M-Instruct.F16.gguf'."""
    stem = source.path.name.removesuffix(".gguf")
    head, _, tail = stem.rpartition(".")
    if head and tail.upper() in gguf.GGMLQuantizationType.__members__:
        stem = head
    return f"{stem}.{target.upper()}.gguf"


def convert_gguf(source: ResolvedModel, target: str, out: Path) -> ResolvedModel:
    """Write `source` (a GGUF) converted to `target` ('f16' or 'q8_0') at `out`, atomically."""
    if target not in GGUF_TARGETS:
        raise ModelSourceError(f"unknown GGUF target {target!r}; choose one of {', '.join(GGUF_TARGETS)}")
    if source.format != "gguf":
        raise ModelSourceError(f"{source.path}: GGUF conversions need a GGUF source, not a {source.format}")
    try:
        reader = gguf.GGUFReader(str(source.path))
    except (OSError, ValueError) as exc:
        raise ModelSourceError(f"{source.path}: not a readable GGUF file ({exc})") from None
    arch = reader.get_field("general.architecture")
    if arch is None:
        raise ModelSourceError(f"{source.path}: no general.architecture in the GGUF header")
    types = Counter(t.tensor_type.name for t in reader.tensors)
    what = _describe(source, target, types)
    with staging_file(out) as staged:
        writer = gguf.GGUFWriter(staged, str(arch.contents()))
        _copy_fields(reader, writer)
        writer.add_uint32("general.file_type", int(_FILE_TYPE[target]))
        writer.add_string("inferboard.conversion", what)
        plans = [_plan(tensor, target) for tensor in reader.tensors]
        for tensor, (shape, dtype, nbytes, raw) in zip(reader.tensors, plans, strict=True):
            writer.add_tensor_info(tensor.name, shape, dtype, nbytes, raw_dtype=raw)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        total = sum(int(t.n_bytes) for t in reader.tensors)
        with progress_bar(total, f"converting to {target.upper()}") as bar:
            for tensor, (_, _, _, raw) in zip(reader.tensors, plans, strict=True):
                writer.write_tensor_data(_converted(tensor, raw), tensor_endianess=reader.endianess)
                bar.update(int(tensor.n_bytes))
        writer.close()
    return ResolvedModel(
        path=out,
        format="gguf",
        name=source.name,
        source=source.source,
        license=source.license,
        upstream=source.upstream,
        quantization=f"GGUF {_FILE_TYPE[target].name.removeprefix('MOSTLY_')}",
        conversions=(*source.conversions, what),
    )


def _describe(source: ResolvedModel, target: str, types: Counter[str]) -> str:
    origin = source.quantization or "GGUF"
    verb = "dequantized" if target == "f16" else "requantized"
    inputs = ", ".join(f"{n} {name}" for name, n in sorted(types.items()))
    sha = f", sha256 {source.sha256[:12]}" if source.sha256 else ""
    return (
        f"{verb} from {origin} to {target.upper()} with gguf {version('gguf')} "
        f"(input tensors: {inputs}{sha}; 1-D tensors kept F32)"
    )


def _copy_fields(reader: gguf.GGUFReader, writer: gguf.GGUFWriter) -> None:
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name in _SKIP:
            continue
        vtype = field.types[0]
        sub_type = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), vtype, sub_type=sub_type)


def _target_type(tensor: Any, target: str) -> gguf.GGMLQuantizationType | None:
    """The type a tensor is written as; None = copied as it is."""
    kind = tensor.tensor_type
    if kind in _KEEP or len(tensor.shape) < 2:
        return None
    wanted = _TENSOR_TYPE[target]
    block = gguf.GGML_QUANT_SIZES[wanted][0]
    if int(tensor.shape[0]) % block:  # rows that Q8_0 blocks cannot tile stay F16
        wanted = gguf.GGMLQuantizationType.F16
    return None if kind == wanted else wanted


def _logical_shape(tensor: Any) -> tuple[int, ...]:
    data_shape = tuple(int(n) for n in tensor.data.shape)
    if tensor.tensor_type in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
        return data_shape
    return tuple(int(n) for n in quant_shape_from_byte_shape(data_shape, tensor.tensor_type))


def _plan(tensor: Any, target: str) -> tuple[tuple[int, ...], np.dtype[Any], int, Any]:
    """(shape, numpy dtype, bytes, raw ggml type) of a tensor as it will be written."""
    wanted = _target_type(tensor, target)
    if wanted is None:
        raw = None if tensor.tensor_type in _KEEP else tensor.tensor_type
        return tuple(tensor.data.shape), tensor.data.dtype, int(tensor.data.nbytes), raw
    shape = _logical_shape(tensor)
    if wanted == gguf.GGMLQuantizationType.F16:
        return shape, np.dtype(np.float16), math.prod(shape) * 2, wanted
    byte_shape = tuple(int(n) for n in quant_shape_to_byte_shape(shape, wanted))
    return byte_shape, np.dtype(np.uint8), math.prod(byte_shape), wanted


def _converted(tensor: Any, wanted: Any) -> np.ndarray[Any, Any]:
    if wanted is None or wanted == tensor.tensor_type:
        return np.asarray(tensor.data)
    values = dequantize(tensor.data, tensor.tensor_type).astype(np.float32, copy=False)
    if wanted == gguf.GGMLQuantizationType.F16:
        return values.astype(np.float16)
    return np.asarray(quantize(values, wanted))
