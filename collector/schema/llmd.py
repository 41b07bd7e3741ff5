"""A run record -> llm-d Benchmark Reports v0.2.1 (one report per load level and trial), as plain dicts.

The llm-d Benchmark Report (llm-d/llm-d-benchmark, `llmdbenchmark/analysis/benchmark_report/`) describes one
load point: `scenario.load.standardized` holds ONE `rate_qps` or `concurrency` and a `stage` number, and its
converters write one report per inference-perf stage or guidellm benchmark. So a run becomes one report per
entry of `results` (level x trial), numbered by `stage` in the run's order.

This module is pure (no files, no I/O) so that both the exporter (`inferboard export`) and the site generator
(which may import only `collector.schema`) use the same mapping. Figures keep inferboard's units where the
standard allows them (ms, ms/token, tokens/s, queries/s), so nothing is rounded on the way out; facts the
standard has no place for go into the native sections (`scenario.stack[0].native.config` for the server,
`scenario.load.native.config` for inferboard as the load generator), under inferboard's own field names.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from collector.schema.base import Summary
from collector.schema.models import LevelResult, RunRecord

FORMAT = "llmd-br-0.2.1"
VERSION = "0.2.1"
LOAD_TOOL = "inferboard"

# inferboard Summary field -> llm-d Statistics field (the standard has no count; its stddev is inferboard's
# population std).
STATISTICS = {
    "mean": "mean", "std": "stddev", "min": "min", "max": "max",
    "p50": "p50", "p90": "p90", "p95": "p95", "p99": "p99",
}  # fmt: skip

# LevelResult summary -> (section, llm-d field, units). Same definitions: inferboard's TPOT is
# (E2E - TTFT) / (output tokens - 1) per request and its ITL pools the gaps between content chunks; both are
# stated in each report's load.native.config.definitions.
LATENCY = {
    "ttft_ms": ("latency", "time_to_first_token", "ms"),
    "tpot_ms": ("latency", "time_per_output_token", "ms/token"),
    "itl_ms": ("latency", "inter_token_latency", "ms/token"),
    "e2e_ms": ("latency", "request_latency", "ms"),
    "input_tokens_observed": ("requests", "input_length", "count"),
    "output_tokens_observed": ("requests", "output_length", "count"),
}
# LevelResult throughput figure -> llm-d throughput field and units (a single window figure: mean only).
THROUGHPUT = {
    "output_throughput_tok_s": ("output_token_rate", "tokens/s"),
    "total_token_throughput_tok_s": ("total_token_rate", "tokens/s"),
    "request_throughput_rps": ("request_rate", "queries/s"),
}
DEFINITIONS = {
    "time_to_first_token": "send -> first content-bearing chunk (ms), completed requests only",
    "time_per_output_token": "(E2E - TTFT) / (output tokens - 1) per request (ms/token)",
    "inter_token_latency": "gaps between content chunks, pooled over all requests (ms/token)",
    "request_latency": "send -> last chunk (ms)",
    "throughput": "tokens or completed requests / measurement window (first send -> last completion)",
    "stddev": "population standard deviation; percentiles by linear interpolation",
}
# LevelResult fields that have no standard place, kept per level under the load's native config.
LEVEL_EXTRAS = (
    "trial", "status", "completed", "failed", "errors", "duration_s", "achieved_request_rate",
    "input_tokens_total", "output_tokens_total", "output_throughput_per_gpu_tok_s", "per_user_tok_s",
    "tokens_per_chunk", "length_mismatches", "usage_fallbacks", "usage_mismatches", "reconnects", "retries",
    "goodput", "energy", "server_metrics", "client", "host", "prefix_cache", "trace_timing", "reasoning",
    "turns", "itl_quantiles_ms",
)  # fmt: skip
# Run-record sections copied into the engine component's native config.
STACK_NATIVE = ("backend", "launch", "model", "quantization", "serving", "hardware", "software", "isolation")


def statistics(summary: Summary | None, units: str) -> dict[str, Any] | None:
    """An llm-d Statistics object from a Summary, or None when there is no mean (the standard needs one)."""
    if summary is None or summary.mean is None:
        return None
    out: dict[str, Any] = {"units": units}
    for ours, theirs in STATISTICS.items():
        value = getattr(summary, ours)
        if value is not None:
            out[theirs] = value
    return out


def config_id(value: Any) -> str:
    """A stable id of a configuration (its canonical JSON's SHA-256, 32 hex digits)."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _argv_args(argv: list[str] | None) -> dict[str, Any]:
    """Launch flags as llm-d's native args ('--flag': value, or None for a bare switch)."""
    args: dict[str, Any] = {}
    items = list(argv or [])
    for index, item in enumerate(items):
        if not item.startswith("-"):
            continue
        name, sep, inline = item.partition("=")
        nxt = items[index + 1] if index + 1 < len(items) else None
        if sep:
            args[name] = inline
        elif nxt is not None and not nxt.startswith("-"):
            args[name] = nxt
        else:
            args[name] = None
    return args


def _accelerator(record: RunRecord) -> dict[str, Any]:
    hw = record.hardware
    if hw.accelerator == "gpu":
        model = hw.gpus[0].name if hw.gpus else (hw.label or "unknown GPU")
        count = hw.gpu_count
    elif hw.accelerator == "cpu":
        model = f"CPU: {hw.host.cpu_model or 'unknown'}"
        count = 0
    else:
        model, count = hw.label or "unknown", hw.gpu_count
    serving = record.serving
    return {
        "model": model,
        "count": count,
        "parallelism": {"tp": serving.tensor_parallel or 1, "pp": serving.pipeline_parallel or 1},
    }


def _stack(record: RunRecord) -> list[dict[str, Any]]:
    dumped = record.model_dump(mode="json", include=set(STACK_NATIVE))
    native_config = {name: dumped.get(name) for name in STACK_NATIVE}
    native: dict[str, Any] = {"args": _argv_args(record.launch.argv), "envars": dict(record.launch.env)}
    native["config"] = native_config
    return [
        {
            "metadata": {
                "schema_version": "0.0.1",
                "label": f"{record.backend.name}-0",
                "cfg_id": config_id(native),
                "description": f"{record.backend.name} serving {record.model.name} ({record.launch.mode})",
            },
            "standardized": {
                "kind": "inference_engine",
                "tool": record.backend.name,
                "tool_version": record.backend.version or "unknown",
                "role": "replica",
                "replicas": 1,
                "model": {"name": record.model.name},
                "accelerator": _accelerator(record),
            },
            "native": native,
        }
    ]


def _sequence_length(tokens: int | None, jitter: float, observed: Summary | None) -> dict[str, Any] | None:
    if tokens is not None:
        if jitter > 0:
            low = int(tokens * (1 - jitter))
            return {"distribution": "uniform", "value": tokens, "min": max(low, 0), "max": max(1, tokens)}
        return {"distribution": "fixed", "value": tokens}
    if observed is not None and observed.mean is not None:
        return {"distribution": "other", "value": observed.mean}
    return None


def _load(record: RunRecord, level: LevelResult, stage: int) -> dict[str, Any]:
    workload = record.workload
    standardized: dict[str, Any] = {
        "tool": LOAD_TOOL if record.origin.kind == "measured" else (record.origin.tool or "unknown"),
        "tool_version": record.collector.version if record.origin.kind == "measured" else (
            record.origin.tool_version or "unknown"
        ),
        "parallelism": workload.workers,
        "source": "sampled" if workload.dataset is not None else (
            "random" if record.origin.kind == "measured" else "unknown"
        ),
        "stage": stage,
        "input_seq_len": _sequence_length(workload.input_tokens, workload.length_jitter,
                                          level.input_tokens_observed)
        or {"distribution": "other", "value": 0},
    }  # fmt: skip
    output = _sequence_length(workload.output_tokens, workload.length_jitter, None)
    if output is not None and workload.ignore_eos:
        standardized["output_seq_len"] = output
    if level.request_rate is not None:
        standardized["rate_qps"] = level.request_rate
        if workload.max_concurrency is not None:
            standardized["concurrency"] = workload.max_concurrency
    elif level.concurrency is not None:
        standardized["concurrency"] = level.concurrency
    if workload.multi_turn is not None:
        standardized["multi_turn"] = {"enabled": True}
    extras = level.model_dump(mode="json", include=set(LEVEL_EXTRAS))
    config = {
        "workload": workload.model_dump(mode="json"),
        "command": list(record.command),
        "definitions": DEFINITIONS,
        "inferboard": {
            "run_id": record.run_id,
            "schema_version": record.schema_version,
            "origin": record.origin.model_dump(mode="json"),
            "collector": record.collector.model_dump(mode="json"),
            "status": record.status,
            "labels": list(record.labels),
            "notes": list(record.notes),
            "level": extras,
        },
    }
    native = {"config": config}
    return {
        "metadata": {"schema_version": "0.0.1", "cfg_id": config_id(config["workload"]),
                     "description": _level_text(level)},
        "standardized": standardized,
        "native": native,
    }  # fmt: skip


def _level_text(level: LevelResult) -> str:
    load = (
        f"concurrency {level.concurrency}" if level.concurrency is not None else f"rate {level.request_rate}"
    )
    return f"inferboard load level: {load}, trial {level.trial}"


def _aggregate(level: LevelResult) -> dict[str, Any]:
    requests: dict[str, Any] = {"total": level.completed + level.failed, "failures": level.failed}
    latency: dict[str, Any] = {}
    for field, (section, name, units) in LATENCY.items():
        stats = statistics(getattr(level, field), units)
        if stats is not None:
            (latency if section == "latency" else requests)[name] = stats
    throughput = {
        name: {"units": units, "mean": getattr(level, field)} for field, (name, units) in THROUGHPUT.items()
    }
    out: dict[str, Any] = {"requests": requests, "throughput": throughput}
    if latency:
        out["latency"] = latency
    return out


def _observability(record: RunRecord, level: LevelResult) -> dict[str, Any] | None:
    """GPU power and utilisation over the level's window, when its energy figures are valid."""
    energy = level.energy
    if energy is None or not energy.valid:
        return None
    aggregate: dict[str, Any] = {}
    if energy.avg_power_w is not None:
        aggregate["power_consumption"] = {"units": "Watts", "mean": energy.avg_power_w}
    if energy.avg_utilization_pct is not None:
        aggregate["gpu_utilization"] = {"units": "percent", "mean": energy.avg_utilization_pct}
    if not aggregate:
        return None
    return {"components": [{"component_label": f"{record.backend.name}-0", "aggregate": aggregate}]}


def level_report(record: RunRecord, index: int) -> dict[str, Any]:
    """The llm-d Benchmark Report v0.2.1 of one entry of `record.results`."""
    level = record.results[index]
    time: dict[str, Any] = {}
    if record.started_at is not None:
        time["start"] = record.started_at.isoformat()
    if record.finished_at is not None:
        time["end"] = record.finished_at.isoformat()
    run: dict[str, Any] = {
        "uid": f"{record.run_id}-{index}",
        "eid": record.run_id,
        "description": f"inferboard run {record.run_id}: {_level_text(level)}",
        "keywords": list(record.labels),
    }
    if time:
        run["time"] = time
    results: dict[str, Any] = {"request_performance": {"aggregate": _aggregate(level)}}
    observability = _observability(record, level)
    if observability is not None:
        results["observability"] = observability
    return {
        "version": VERSION,
        "run": run,
        "scenario": {"stack": _stack(record), "load": _load(record, level, index)},
        "results": results,
    }


def report_name(record: RunRecord, index: int) -> str:
    """File name of one level's report: the run id, the load, the trial."""
    level = record.results[index]
    load = f"c{level.concurrency}" if level.concurrency is not None else f"r{level.request_rate:g}"
    return f"{record.run_id[:12]}_{index:03d}_{load}_t{level.trial}.{FORMAT}.json"


def run_reports(record: RunRecord) -> list[tuple[str, dict[str, Any]]]:
    """Every level's (file name, report) of a run, in the run's order."""
    return [(report_name(record, index), level_report(record, index)) for index in range(len(record.results))]
