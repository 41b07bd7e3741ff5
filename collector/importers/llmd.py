"""llm-d Benchmark Report v0.2.x (YAML or JSON) -> one level per report.

A report describes one load point (`scenario.load.standardized`: `concurrency` or `rate_qps`, and a `stage`).
Statistics convert by name (stddev -> std; p50/p90/p95/p99, min, max, mean as they are) and by unit (s -> ms,
s/token -> ms/token); the standard states no sample count, so summaries carry none. TTFT and request latency
mean the same in every harness and are mapped. TPOT and ITL are mapped only from reports inferboard wrote (its
definitions, stated in the report); the standard itself warns that both "may differ depending on tool", so
from other harnesses they stay under llm-d's names with a note. Every other statistic and the whole
observability section are kept under llm-d's own dotted names (origin.foreign_metrics).
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
)
from collector.schema import LevelResult, Summary
from collector.schema.llmd import LOAD_TOOL, STATISTICS
from collector.schema.models import Scalar

TOOL = "llm-d benchmark report"
_TIME_SCALE = {"ms": 1.0, "s": 1000.0, "ms/token": 1.0, "s/token": 1000.0}
_COUNT_SCALE = {"count": 1.0}
# llm-d latency field -> (inferboard field, accepted units with their factor to inferboard's unit).
_ALWAYS = {"time_to_first_token": "ttft_ms", "request_latency": "e2e_ms"}
_SAME_TOOL_ONLY = {"time_per_output_token": "tpot_ms", "inter_token_latency": "itl_ms"}
_LENGTHS = {"input_length": "input_tokens_observed", "output_length": "output_tokens_observed"}
NOTES = [
    "llm-d statistics map by name (stddev -> std) and unit (s -> ms); the standard has no sample count, "
    "so imported summaries state none. Other percentiles (p0p1, p1, p5, p10, p25, p75, p99p9) keep "
    "llm-d's dotted names.",
    "TTFT (time_to_first_token) and E2E (request_latency) are mapped as the harness measured them.",
]
FOREIGN_TPOT_NOTE = (
    "{tool}: TPOT and ITL are kept under llm-d's names (time_per_output_token, inter_token_latency): "
    "the standard says they 'may differ depending on tool', and {tool} is not inferboard."
)
WINDOW_NOTE = (
    "{name}: the report states no measurement window; duration_s is completed requests / request_rate "
    "and token totals are mean length x completed requests."
)


def _mapping(value: Any, path: Path, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ImportFormatError(str(path), "expected a mapping", field)
    return value


def _summary(stats: Any, scale: dict[str, float]) -> Summary | None:
    """A Summary from an llm-d Statistics object in a unit we convert, else None."""
    if not isinstance(stats, dict) or stats.get("units") not in scale:
        return None
    factor = scale[stats["units"]]
    values: dict[str, float] = {}
    for ours, theirs in STATISTICS.items():
        figure = number(stats.get(theirs))
        if figure is not None and figure >= 0:
            values[ours] = figure * factor
    return Summary(**values) if "mean" in values else None


def _load_point(path: Path, load: dict[str, Any]) -> tuple[int | None, float | None]:
    rate = number(load.get("rate_qps"))
    conc = load.get("concurrency")
    conc_value = number(conc)
    if rate is not None:
        return None, rate
    if conc_value is not None and conc_value == int(conc_value) and conc_value >= 1:
        return int(conc_value), None
    if conc == float("inf") or conc in (".inf", "inf"):
        raise ImportFormatError(
            str(path), "infinite concurrency without rate_qps is no load level", "concurrency"
        )
    raise ImportFormatError(str(path), "neither rate_qps nor a concurrency; no load level", "scenario.load")


def _window(
    path: Path, aggregate: dict[str, Any], completed: int, native: dict[str, Any], run: ToolRun
) -> tuple[float, int, int]:
    """Measurement window and token totals: inferboard's own when it wrote the report, else derived."""
    level = native.get("level") if isinstance(native.get("level"), dict) else {}
    assert isinstance(level, dict)
    keys = ("duration_s", "input_tokens_total", "output_tokens_total")
    duration, tokens_in, tokens_out = (number(level.get(key)) for key in keys)
    if duration is not None and tokens_in is not None and tokens_out is not None:
        return duration, int(tokens_in), int(tokens_out)
    throughput = _mapping(aggregate.get("throughput"), path, "throughput")
    rate = number(_mapping(throughput.get("request_rate"), path, "request_rate").get("mean"))
    requests = _mapping(aggregate.get("requests"), path, "requests")
    run.notes.append(WINDOW_NOTE.format(name=path.name))

    def total(key: str) -> int:
        mean = number(_mapping(requests.get(key), path, key).get("mean"))
        return round(mean * completed) if mean is not None else 0

    window = completed / rate if rate else 0.0
    return window, total("input_length"), total("output_length")


def _rate(throughput: dict[str, Any], key: str, default: float) -> float:
    entry = throughput.get(key)
    value = number(entry.get("mean")) if isinstance(entry, dict) else None
    return value if value is not None and value >= 0 else default


def _level(path: Path, report: dict[str, Any], run: ToolRun) -> FileLevel:
    scenario = _mapping(report.get("scenario"), path, "scenario")
    load = _mapping(scenario.get("load"), path, "scenario.load")
    standardized = _mapping(load.get("standardized"), path, "scenario.load.standardized")
    native_config = _mapping(_mapping(load.get("native"), path, "native").get("config"), path, "config")
    inferboard = native_config.get("inferboard") if standardized.get("tool") == LOAD_TOOL else None
    native = inferboard if isinstance(inferboard, dict) else {}
    results = _mapping(report.get("results"), path, "results")
    perf = _mapping(results.get("request_performance"), path, "results.request_performance")
    aggregate = _mapping(perf.get("aggregate"), path, "request_performance.aggregate")
    requests = _mapping(aggregate.get("requests"), path, "aggregate.requests")
    latency = _mapping(aggregate.get("latency"), path, "aggregate.latency")
    throughput = _mapping(aggregate.get("throughput"), path, "aggregate.throughput")
    total = number(requests.get("total"))
    if total is None:
        raise ImportFormatError(
            str(path), "missing or not a number", "results.request_performance.aggregate.requests.total"
        )
    failed = int(number(requests.get("failures")) or 0) + int(number(requests.get("incomplete")) or 0)
    completed = max(int(total) - failed, 0)
    concurrency, rate = _load_point(path, standardized)
    duration, tokens_in, tokens_out = _window(path, aggregate, completed, native, run)
    per_window = (lambda amount: amount / duration) if duration else (lambda amount: 0.0)
    fields: dict[str, Any] = {
        "concurrency": concurrency, "request_rate": rate, "completed": completed, "failed": failed,
        "duration_s": duration, "ttft_ms": None, "tpot_ms": None, "itl_ms": None, "e2e_ms": None,
        "per_user_tok_s": None, "input_tokens_total": tokens_in, "output_tokens_total": tokens_out,
        "output_throughput_tok_s": _rate(throughput, "output_token_rate", per_window(tokens_out)),
        "total_token_throughput_tok_s": _rate(throughput, "total_token_rate", 0.0),
        "request_throughput_rps": _rate(throughput, "request_rate", per_window(completed)),
    }  # fmt: skip
    mapped = dict(_ALWAYS)
    if native:
        mapped.update(_SAME_TOOL_ONLY)
    else:
        run.notes.append(FOREIGN_TPOT_NOTE.format(tool=standardized.get("tool", "the harness")))
    for theirs, ours in mapped.items():
        fields[ours] = _summary(latency.get(theirs), _TIME_SCALE)
    for theirs, ours in _LENGTHS.items():
        fields[ours] = _summary(requests.get(theirs), _COUNT_SCALE)
    level = native.get("level") if isinstance(native.get("level"), dict) else None
    if level and isinstance(level.get("per_user_tok_s"), dict):
        fields["per_user_tok_s"] = Summary(**level["per_user_tok_s"])
    foreign: dict[str, Scalar] = {}
    flatten_scalars("results", {k: v for k, v in results.items() if k != "request_performance"}, foreign)
    flatten_scalars("aggregate", aggregate, foreign)
    if isinstance(standardized.get("stage"), int):
        foreign["stage"] = standardized["stage"]
    return FileLevel(result=LevelResult(**fields), foreign=foreign)


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _run_facts(report: dict[str, Any], run: ToolRun) -> None:
    scenario = report.get("scenario") if isinstance(report.get("scenario"), dict) else {}
    assert isinstance(scenario, dict)
    for component in scenario.get("stack") or []:
        standardized = component.get("standardized") if isinstance(component, dict) else None
        if isinstance(standardized, dict) and standardized.get("kind") == "inference_engine":
            model = standardized.get("model")
            if isinstance(model, dict) and isinstance(model.get("name"), str):
                run.model = run.model or model["name"]
    load = scenario.get("load") if isinstance(scenario.get("load"), dict) else {}
    assert isinstance(load, dict)
    standardized = load.get("standardized") if isinstance(load.get("standardized"), dict) else {}
    assert isinstance(standardized, dict)
    harness = _text(standardized.get("tool"), standardized.get("tool_version"))
    if harness:
        run.foreign.setdefault("harness", harness)
    if standardized.get("rate_qps") is not None:
        run.mode = "rate"
    for key, attr in (("input_seq_len", "input_tokens"), ("output_seq_len", "output_tokens")):
        length = standardized.get(key)
        if isinstance(length, dict) and length.get("distribution") == "fixed":
            value = number(length.get("value"))
            if value is not None and value == int(value):
                setattr(run, attr, int(value))
    times = (report.get("run") or {}).get("time") if isinstance(report.get("run"), dict) else None
    if isinstance(times, dict):
        start, end = _time(times.get("start")), _time(times.get("end"))
        run.started_at = min(t for t in (start, run.started_at) if t) if start or run.started_at else None
        run.finished_at = max(t for t in (end, run.finished_at) if t) if end or run.finished_at else None


def _text(tool: Any, version: Any) -> str | None:
    """The harness and its version, e.g. 'inference-perf 0.3.0'."""
    if not isinstance(tool, str):
        return None
    return f"{tool} {version}" if isinstance(version, str) else tool


def parse(files: list[tuple[Path, Any]]) -> ToolRun:
    run = ToolRun(tool=TOOL, notes=list(NOTES))
    for path, report in files:
        if not isinstance(report, dict) or not str(report.get("version", "")).startswith("0.2"):
            raise ImportFormatError(str(path), "not an llm-d Benchmark Report v0.2.x (version)", "version")
        run.tool_version = str(report["version"])
        _run_facts(report, run)
        run.levels.append(_level(path, report, run))
    run.notes = list(dict.fromkeys(run.notes))
    return run
