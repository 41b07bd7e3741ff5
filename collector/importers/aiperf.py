"""NVIDIA aiperf `profile_export_aiperf.json` -> one level per file.

aiperf reports count/avg/std/min/max/p1..p99 for each per-request metric, so inferboard summaries come
straight from it -- only where the definition matches: aiperf's `inter_token_latency` is inferboard's
TPOT (only with server token counts and without per-chunk usage), its `inter_chunk_latency` is
inferboard's ITL, and its latency percentiles include failed requests, so nothing is mapped when any
request failed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from collector.importers.common import (
    FileLevel,
    ImportFormatError,
    ToolRun,
    flatten_scalars,
    number,
    summary_from_stats,
)
from collector.schema import LevelResult
from collector.schema.models import Scalar

TOOL = "aiperf"
_STATS = {
    "count": "count", "mean": "avg", "std": "std", "min": "min", "max": "max",
    "p50": "p50", "p90": "p90", "p95": "p95", "p99": "p99",
}  # fmt: skip
_RUN_KEYS = {"schema_version", "aiperf_version", "benchmark_id", "input_config", "run_info", "telemetry_data"}
NOTES = [
    "aiperf's inter_token_latency is (request_latency - TTFT) / (OSL - 1): inferboard's TPOT formula.",
    "aiperf's inter_chunk_latency pools the gaps between content chunks: inferboard's ITL.",
    "aiperf's TTFT and request latency run from request start to the first / last content chunk "
    "(usage-only and [DONE] chunks excluded), like inferboard's TTFT and E2E.",
    "Summaries are aiperf's own statistics (its percentile method); every aiperf metric is also kept "
    "under its own name.",
]
CLIENT_TOKENS_NOTE = (
    "aiperf counted output tokens with its client-side tokenizer (no --use-server-token-count): "
    "TPOT and per-user tokens/s stay under aiperf's names (inferboard counts the server's usage)."
)
PER_CHUNK_NOTE = (
    "--per-chunk-usage was set: aiperf divides by OSL minus the first chunk's tokens, so its "
    "inter_token_latency is not inferboard's TPOT and stays under its own name."
)
FAILED_NOTE = (
    "Some requests failed: aiperf's latency percentiles include failed requests (inferboard's never do), "
    "so no latency distribution was mapped for this level."
)


def _avg(data: dict[str, Any], key: str) -> float | None:
    entry = data.get(key)
    return number(entry.get("avg")) if isinstance(entry, dict) else None


def _summary(data: dict[str, Any], key: str) -> Any:
    entry = data.get(key)
    return summary_from_stats(entry, _STATS) if isinstance(entry, dict) else None


def _config_facts(config: dict[str, Any], run: ToolRun) -> tuple[bool, bool]:
    """Record what input_config states; returns (server token counts, per-chunk usage)."""
    endpoint = config.get("endpoint") if isinstance(config.get("endpoint"), dict) else {}
    assert isinstance(endpoint, dict)
    urls = endpoint.get("urls")
    if isinstance(urls, list) and urls and isinstance(urls[0], str):
        run.endpoint = urls[0]
    run.api = "chat" if str(endpoint.get("type") or "") == "chat" else "completions"
    extra = endpoint.get("extra")
    if isinstance(extra, dict):
        for key, value in extra.items():
            if value is None or isinstance(value, str | int | float | bool):
                run.request_params[str(key)] = value
        if isinstance(extra.get("ignore_eos"), bool):
            run.ignore_eos = extra["ignore_eos"]
    models = config.get("models")
    items = models.get("items") if isinstance(models, dict) else None
    if (
        isinstance(items, list)
        and items
        and isinstance(items[0], dict)
        and isinstance(items[0].get("name"), str)
    ):
        run.model = items[0]["name"]
    datasets = config.get("datasets")
    if isinstance(datasets, list) and len(datasets) == 1 and isinstance(datasets[0], dict):
        seed = datasets[0].get("random_seed")
        run.seed = seed if isinstance(seed, int) else run.seed
        prompts = datasets[0].get("prompts")
        if isinstance(prompts, dict):
            isl, osl = prompts.get("isl"), prompts.get("osl")
            isl_mean = number(isl.get("mean")) if isinstance(isl, dict) else None
            osl_mean = number(osl.get("mean")) if isinstance(osl, dict) else None
            run.input_tokens = int(isl_mean) if isl_mean is not None else None
            run.output_tokens = int(osl_mean) if osl_mean is not None else None
    return bool(endpoint.get("use_server_token_count")), bool(endpoint.get("per_chunk_usage"))


def _load(config: dict[str, Any], run: ToolRun) -> tuple[int | None, float | None]:
    phases = config.get("phases")
    profiling = [p for p in phases if isinstance(p, dict)] if isinstance(phases, list) else []
    profiling = [p for p in profiling if p.get("kind") == "profiling"] or profiling
    if not profiling:
        return None, None
    phase = profiling[-1]
    if isinstance(phase.get("requests"), int):
        run.requests_per_level = phase["requests"]
    concurrency = phase.get("concurrency") if isinstance(phase.get("concurrency"), int) else None
    rate = number(phase.get("request_rate") or phase.get("rate"))
    if rate is not None:
        run.mode = "rate"
        run.max_concurrency = concurrency
        return None, rate
    return concurrency, None


def _parse_time(value: Any) -> datetime | None:
    """aiperf writes local ISO times; only zone-aware ones become started/finished times."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _level(path: Path, data: dict[str, Any], run: ToolRun) -> FileLevel:
    config = data.get("input_config") if isinstance(data.get("input_config"), dict) else {}
    assert isinstance(config, dict)
    server_tokens, per_chunk = _config_facts(config, run)
    concurrency, rate = _load(config, run)
    completed = _avg(data, "completed_request_count")
    completed = completed if completed is not None else _avg(data, "request_count")
    duration = _avg(data, "benchmark_duration")
    if completed is None or duration is None:
        raise ImportFormatError(
            str(path), "missing request_count or benchmark_duration; not an aiperf export"
        )
    failed = int(_avg(data, "error_request_count") or 0)
    out_total = _avg(data, "total_usage_completion_tokens") if server_tokens else None
    in_total = _avg(data, "total_usage_prompt_tokens") if server_tokens else None
    out_total = out_total if out_total is not None else _avg(data, "total_output_tokens") or 0.0
    in_total = in_total if in_total is not None else _avg(data, "total_isl") or 0.0
    fields: dict[str, Any] = {
        "concurrency": concurrency, "request_rate": rate, "completed": int(completed), "failed": failed,
        "duration_s": duration, "ttft_ms": None, "tpot_ms": None, "itl_ms": None, "e2e_ms": None,
        "per_user_tok_s": None,
        "output_throughput_tok_s": _avg(data, "output_token_throughput") or out_total / duration,
        "total_token_throughput_tok_s": _avg(data, "total_token_throughput") or 0.0,
        "request_throughput_rps": _avg(data, "request_throughput") or completed / duration,
        "input_tokens_total": int(in_total), "output_tokens_total": int(out_total),
    }  # fmt: skip
    if failed:
        run.notes.append(f"{path.name}: {FAILED_NOTE}")
    else:
        fields["ttft_ms"] = _summary(data, "time_to_first_token")
        fields["e2e_ms"] = _summary(data, "request_latency")
        fields["itl_ms"] = _summary(data, "inter_chunk_latency")
        if server_tokens and not per_chunk:
            fields["tpot_ms"] = _summary(data, "inter_token_latency")
            fields["per_user_tok_s"] = _summary(data, "output_token_throughput_per_user")
        if server_tokens:
            fields["output_tokens_observed"] = _summary(data, "usage_completion_tokens")
            fields["input_tokens_observed"] = _summary(data, "usage_prompt_tokens")
    if not server_tokens:
        run.notes.append(CLIENT_TOKENS_NOTE)
    elif per_chunk:
        run.notes.append(PER_CHUNK_NOTE)
    foreign: dict[str, Scalar] = {}
    for key, value in data.items():
        if key not in _RUN_KEYS:
            flatten_scalars(key, value, foreign)
    run_info = data.get("run_info")
    if isinstance(run_info, dict):
        flatten_scalars("run_info", {k: v for k, v in run_info.items() if k != "cli_command"}, foreign)
    return FileLevel(result=LevelResult(**fields), foreign=foreign)


def parse(files: list[tuple[Path, Any]]) -> ToolRun:
    run = ToolRun(tool=TOOL, notes=list(NOTES))
    models: set[str] = set()
    for path, data in files:
        if not isinstance(data, dict) or ("aiperf_version" not in data and "input_config" not in data):
            raise ImportFormatError(str(path), "not an aiperf profile_export_aiperf.json (no aiperf_version)")
        version = data.get("aiperf_version")
        run.tool_version = version if isinstance(version, str) else run.tool_version
        run.levels.append(_level(path, data, run))
        if run.model:
            models.add(run.model)
        starts = [t for t in (_parse_time(data.get("start_time")),) if t]
        ends = [t for t in (_parse_time(data.get("end_time")),) if t]
        run.started_at = min([*starts, run.started_at] if run.started_at else starts, default=None)
        run.finished_at = max([*ends, run.finished_at] if run.finished_at else ends, default=None)
    if len(models) > 1:
        raise ImportFormatError(files[0][0].name, f"files name different models: {sorted(models)}", "models")
    run.notes = list(dict.fromkeys(run.notes))
    return run
