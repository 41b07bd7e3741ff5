"""What makes two runs the same configuration, so the site pools their trials and ranks configurations.

Runs of one configuration differ only in when they ran (and in incidental details such as the port or the
folder the weights sat in); pooling their trials gives the configuration's figure instead of crowning its
luckiest run. The fields are listed once here: `configuration_fields` builds them, the methodology page
renders CONFIGURATION_FIELDS, and `configuration_key` hashes them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from collector.schema.models import RunRecord


@dataclass(frozen=True)
class ConfigurationField:
    name: str
    text: str  # shown on the methodology page


CONFIGURATION_FIELDS: tuple[ConfigurationField, ...] = (
    ConfigurationField("weights", "model source (with revision), file SHA-256 and upstream "
                       "model; the model name only when none of them is recorded (marked 'by name')"),
    ConfigurationField("hardware", "accelerator, hardware label, GPU names (or CPU model)"),
    ConfigurationField("workload", "API, kind, preset, lengths and jitter, dataset or generator "
                       "settings, load mode, burstiness, sampling and the request parameters sent"),
    ConfigurationField("backend", "backend name and version"),
    ConfigurationField("quantization", "format, weight/activation/KV dtypes, checkpoint"),
    ConfigurationField("serving", "the recorded serving settings and the normalised launch "
                       "line (launch mode; argv without the values of --port/--host, absolute paths reduced "
                       "to file names; embedded engine settings without port keys; serving-relevant "
                       "environment variables such as VLLM_*, OMP_*)"),
    ConfigurationField("measurement_version", "the collector's measurement version (runs measured "
                       "differently never pool)"),
)  # fmt: skip

KEY_LENGTH = 12  # hex digits of the SHA-256 shown as the configuration's id
_DROPPED_FLAGS = ("--port", "--host")  # where the server listened: not how it served
_SERVING_ENV = re.compile(r"^(VLLM_|SGLANG_|LMDEPLOY_|TRTLLM_|TGI_|OMP_|MKL_|KMP_|GGML_|LLAMA_|CUDA_VISIBLE)")
_PORT_KEY = re.compile(r"(^|_)(port|host|endpoint|url)($|_)", re.IGNORECASE)


def _basename(value: str) -> str:
    """Absolute paths (also as the value of --flag=/path) reduce to their last component; `${...}` stays."""
    if "${" in value:
        return value
    head, sep, tail = value.partition("=")
    if sep and tail.startswith("/"):
        return f"{head}={_basename(tail)}"
    if value.startswith("/"):
        return value.rstrip("/").rsplit("/", 1)[-1]
    return value


def normalised_argv(argv: list[str] | None) -> list[str]:
    """A launch line with what does not change serving taken out (listen address, local folders)."""
    out: list[str] = []
    skip = False
    for arg in argv or []:
        if skip:
            skip = False
            continue
        if arg in _DROPPED_FLAGS:
            skip = True
            continue
        if arg.startswith(tuple(f"{flag}=" for flag in _DROPPED_FLAGS)):
            continue
        out.append(_basename(arg))
    return out


def _weights(record: RunRecord) -> dict[str, Any]:
    model = record.model
    revision = f"@{model.revision}" if model.revision else ""
    found = {
        "source": model.source + revision if model.source else None,
        "file_sha256": model.file_sha256,
        "upstream": model.upstream + revision if model.upstream else None,
    }
    known = {k: v for k, v in found.items() if v}
    return known or {"by_name": model.name + revision}


def _hardware(record: RunRecord) -> dict[str, Any]:
    hw = record.hardware
    return {
        "accelerator": hw.accelerator,
        "label": hw.label,
        "gpus": sorted(g.name for g in hw.gpus),
        "cpu": hw.host.cpu_model if hw.accelerator == "cpu" else None,
    }


def _workload(record: RunRecord) -> dict[str, Any]:
    w = record.workload
    fields = ("api", "kind", "preset", "input_tokens", "output_tokens", "length_jitter", "length_range_ratio",
              "ignore_eos", "mode", "burstiness", "max_concurrency", "salted")  # fmt: skip
    out: dict[str, Any] = {name: getattr(w, name) for name in fields}
    out["sampling"] = w.sampling  # greedy vs the server's defaults: different work, never pooled
    out["dataset"] = w.dataset.sha256 if w.dataset else None
    for name in ("shared_prefix", "multi_turn"):
        settings = getattr(w, name)
        out[name] = settings.model_dump(mode="json") if settings is not None else None
    out["trace"] = w.trace.model_dump(mode="json", exclude={"path"}) if w.trace else None
    params = {k: v for k, v in w.request_params.items() if k != "model"}  # the weights say what served
    out["request_params"] = json.loads(json.dumps(params, sort_keys=True, default=str))
    return out


def _serving(record: RunRecord) -> dict[str, Any]:
    launch = record.launch
    return {
        "recorded": record.serving.model_dump(mode="json"),
        "mode": launch.mode,
        "argv": normalised_argv(launch.argv),
        "engine": {k: v for k, v in sorted(launch.engine_settings.items()) if not _PORT_KEY.search(k)},
        "env": {k: _basename(v) for k, v in sorted(launch.env.items()) if _SERVING_ENV.match(k)},
    }


def configuration_fields(record: RunRecord) -> dict[str, Any]:
    """The fields that define a run's configuration (CONFIGURATION_FIELDS, in that order), as plain JSON."""
    q = record.quantization
    return {
        "weights": _weights(record),
        "hardware": _hardware(record),
        "workload": _workload(record),
        "backend": {"name": record.backend.name, "version": record.backend.version},
        "quantization": {
            "format": q.format,
            "weights_dtype": q.weights_dtype,
            "activation_dtype": q.activation_dtype,
            "kv_cache_dtype": q.kv_cache_dtype,
            "checkpoint": q.checkpoint,
        },
        "serving": _serving(record),
        "measurement_version": record.collector.measurement_version,
    }


def configuration_key(record: RunRecord) -> str:
    """A short stable id of the run's configuration: the first KEY_LENGTH hex digits of the SHA-256 of the
    canonical JSON (sorted keys, no spaces) of `configuration_fields`."""
    text = json.dumps(configuration_fields(record), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]


def keyed_by_name(record: RunRecord) -> bool:
    """Whether the weights are known only by the model name (the configuration page says so)."""
    return "by_name" in _weights(record)
