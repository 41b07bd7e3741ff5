"""guidellm benchmark report JSON (`--output kind=json`, GenerativeBenchmarksReport) -> levels.

Each entry of `benchmarks` is one load level. guidellm's TPOT includes the first token and its
`inter_token_latency_ms` is inferboard's TPOT formula weighted by tokens, so both stay under guidellm's
names. When the report holds every successful request with its timings, inferboard computes TTFT, E2E
(last token), TPOT and per-user tokens/s from them with its own definitions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from collector.importers.common import (
    FileLevel,
    ImportFormatError,
    ToolRun,
    first_line,
    flatten_scalars,
    number,
    summary_from_stats,
)
from collector.measure.metrics import bound_records, summarize
from collector.schema import REQUEST_RECORDS_PER_LEVEL, LevelResult, RequestRecord, Timeouts
from collector.schema.models import Scalar

TOOL = "guidellm"
_STATS = {
    "count": "count", "mean": "mean", "std": "std_dev", "min": "min", "max": "max",
    "p50": "p50", "p90": "p90", "p95": "p95", "p99": "p99",
}  # fmt: skip
NOTES = [
    "guidellm's time_per_output_token_ms includes the first token ((last token - start) / n) and its "
    "inter_token_latency_ms ((last - first) / (n - 1)) is weighted by tokens, not by request: both are "
    "kept under guidellm's names only.",
    "Throughputs are inferboard's: completed requests and output tokens divided by guidellm's benchmark "
    "duration; guidellm's own rate distributions (requests_per_second, output_tokens_per_second) are kept.",
    "Only the 'successful' statistics of guidellm's distributions are kept (plus 'errored' and "
    "'incomplete' when non-empty), without the per-modality breakdowns (text/image/video/audio/tool_call, "
    "which repeat the token figures for text runs); the source file's hash identifies the full report.",
]
RAW_NOTE = (
    "Every successful request was in the report: TTFT (first token - request start), E2E (last token - "
    "request start), TPOT = (E2E - TTFT) / (n - 1) and per-user tokens/s were computed by inferboard."
)
SUMMARY_NOTE = (
    "The report does not hold every successful request: TTFT and E2E are guidellm's own summaries (its "
    "percentile method; its request latency ends at the end of the response, not the last token)."
)


def _strategy(bench: dict[str, Any]) -> dict[str, Any]:
    for holder in (bench.get("config"), bench.get("args")):
        if isinstance(holder, dict) and isinstance(holder.get("strategy"), dict):
            strategy: dict[str, Any] = holder["strategy"]
            return strategy
    return {}


def _stats(metrics: dict[str, Any], name: str, status: str = "successful") -> dict[str, Any]:
    entry = metrics.get(name)
    if isinstance(entry, dict) and isinstance(entry.get(status), dict):
        found = dict(entry[status])
        pct = found.get("percentiles")
        if isinstance(pct, dict):
            found.update(pct)
        return found
    return {}


_MODALITIES = {"text", "image", "video", "audio", "tool_call"}


def _foreign(metrics: dict[str, Any]) -> dict[str, Scalar]:
    out: dict[str, Scalar] = {}
    _walk("", metrics, out)
    return {k: v for k, v in out.items() if v is not None}


def _walk(prefix: str, value: Any, out: dict[str, Scalar]) -> None:
    """Distributions keep 'successful' (other statuses when non-empty); modality breakdowns are skipped."""
    if not isinstance(value, dict):
        flatten_scalars(prefix, value, out)
        return
    if "successful" not in value:
        for key, item in value.items():
            if not (prefix == "" and key in _MODALITIES):
                _walk(f"{prefix}.{key}" if prefix else str(key), item, out)
        return
    for status, stats in value.items():
        if isinstance(stats, dict) and (status == "successful" or stats.get("count")):
            flatten_scalars(f"{prefix}.{status}", {k: v for k, v in stats.items() if k != "pdf"}, out)
        elif not isinstance(stats, dict):
            flatten_scalars(f"{prefix}.{status}", stats, out)


def _raw(bench: dict[str, Any], completed: int, fields: dict[str, Any]) -> bool:
    """inferboard's per-request metrics from guidellm's request timings, when all are present."""
    requests = bench.get("requests")
    ok = requests.get("successful") if isinstance(requests, dict) else None
    if not isinstance(ok, list) or len(ok) != completed or not ok:
        return False
    rows = []
    for req in ok:
        info = req.get("info") if isinstance(req, dict) else None
        timings = info.get("timings") if isinstance(info, dict) else None
        out_metrics = req.get("output_metrics") if isinstance(req, dict) else None
        in_metrics = req.get("input_metrics") if isinstance(req, dict) else None
        if not isinstance(timings, dict) or not isinstance(out_metrics, dict):
            return False
        start = number(timings.get("request_start"))
        first = number(timings.get("first_token_iteration"))
        last = number(timings.get("last_token_iteration"))
        n = out_metrics.get("text_tokens")
        if start is None or first is None or last is None or not isinstance(n, int):
            return False
        prompt = in_metrics.get("text_tokens") if isinstance(in_metrics, dict) else None
        queued = number(timings.get("targeted_start")) or start
        chunks = timings.get("token_iterations")
        rows.append((start, first, last, n, prompt, queued, chunks if isinstance(chunks, int) else 0))
    ttft = [(f - s) * 1000 for s, f, _l, _n, _p, _q, _c in rows]
    e2e = [(la - s) * 1000 for s, _f, la, _n, _p, _q, _c in rows]
    tpot = [(e - t) / (r[3] - 1) for e, t, r in zip(e2e, ttft, rows, strict=True) if r[3] > 1]
    fields["ttft_ms"] = summarize(ttft)
    fields["e2e_ms"] = summarize(e2e)
    fields["tpot_ms"] = summarize(tpot)
    fields["per_user_tok_s"] = summarize([1000 / t for t in tpot if t > 0])
    fields["output_tokens_observed"] = summarize([float(r[3]) for r in rows])
    prompts = [float(r[4]) for r in rows if isinstance(r[4], int)]
    fields["input_tokens_observed"] = summarize(prompts) if len(prompts) == len(rows) else None
    origin = min(min(r[0] for r in rows), min(r[5] for r in rows))
    records = [
        RequestRecord(
            scheduled_ms=(q - origin) * 1000, sent_ms=(s - origin) * 1000, status="ok", ttft_ms=t, e2e_ms=e,
            tpot_ms=(e - t) / (n - 1) if n > 1 else None, input_tokens=p if isinstance(p, int) else None,
            output_tokens=n, chunks=c,
        )
        for (s, _f, _l, n, p, q, c), t, e in zip(rows, ttft, e2e, strict=True)
    ]  # fmt: skip
    errored = requests.get("errored") if isinstance(requests, dict) else None
    for req in errored if isinstance(errored, list) else []:
        info = req.get("info") if isinstance(req, dict) else {}
        timings = info.get("timings", {}) if isinstance(info, dict) else {}
        start = number(timings.get("request_start")) if isinstance(timings, dict) else None
        error = info.get("error") if isinstance(info, dict) else None
        sent = ((start or origin) - origin) * 1000
        records.append(
            RequestRecord(scheduled_ms=sent, sent_ms=sent, status="error", error=first_line(str(error)))
        )
    fields["requests"], fields["requests_dropped"] = bound_records(
        records, REQUEST_RECORDS_PER_LEVEL, ok=lambda r: r.status == "ok", sent=lambda r: r.sent_ms
    )
    return True


def _level(path: Path, index: int, bench: Any, run: ToolRun) -> FileLevel:
    where = f"benchmarks[{index}]"
    if not isinstance(bench, dict) or not isinstance(bench.get("metrics"), dict):
        raise ImportFormatError(str(path), "not a guidellm benchmark (no 'metrics' object)", where)
    metrics: dict[str, Any] = bench["metrics"]
    totals = metrics.get("request_totals")
    if not isinstance(totals, dict) or not isinstance(totals.get("successful"), int):
        raise ImportFormatError(str(path), "missing request_totals.successful", f"{where}.metrics")
    completed, failed = int(totals["successful"]), int(totals.get("errored") or 0)
    duration = number(bench.get("duration"))
    if duration is None or duration <= 0:
        raise ImportFormatError(str(path), "missing or non-positive duration", f"{where}.duration")
    out_total = number(_stats(metrics, "output_token_count").get("total_sum")) or 0.0
    in_total = number(_stats(metrics, "prompt_token_count").get("total_sum")) or 0.0
    strategy = _strategy(bench)
    kind = str(strategy.get("type_") or "")
    concurrency: int | None = None
    rate: float | None = None
    if kind == "synchronous":
        concurrency = 1
    elif kind == "concurrent":
        concurrency = strategy.get("streams") if isinstance(strategy.get("streams"), int) else None
    elif kind in {"constant", "poisson", "async"}:
        rate = number(strategy.get("rate"))
        run.mode = "rate"
    else:
        run.notes.append(f"{where}: strategy '{kind}' has no fixed concurrency or rate; both are null.")
    fields: dict[str, Any] = {
        "concurrency": concurrency, "request_rate": rate, "completed": completed, "failed": failed,
        "duration_s": duration, "ttft_ms": None, "tpot_ms": None, "itl_ms": None, "e2e_ms": None,
        "per_user_tok_s": None, "output_throughput_tok_s": out_total / duration,
        "total_token_throughput_tok_s": (out_total + in_total) / duration,
        "request_throughput_rps": completed / duration,
        "input_tokens_total": int(in_total), "output_tokens_total": int(out_total),
    }  # fmt: skip
    if _raw(bench, completed, fields):
        run.notes.append(RAW_NOTE)
    else:
        fields["ttft_ms"] = summary_from_stats(_stats(metrics, "time_to_first_token_ms"), _STATS)
        fields["e2e_ms"] = summary_from_stats(_stats(metrics, "request_latency"), _STATS, scale=1000.0)
        fields["output_tokens_observed"] = summary_from_stats(_stats(metrics, "output_token_count"), _STATS)
        fields["input_tokens_observed"] = summary_from_stats(_stats(metrics, "prompt_token_count"), _STATS)
        run.notes.append(SUMMARY_NOTE)
    foreign = _foreign(metrics)
    flatten_scalars("strategy", strategy, foreign)
    if isinstance(totals.get("incomplete"), int) and totals["incomplete"]:
        run.notes.append(f"{where}: {totals['incomplete']} request(s) were cut off at the end (incomplete).")
    return FileLevel(result=LevelResult(**fields), foreign=foreign)


def _run_facts(data: dict[str, Any], run: ToolRun) -> None:
    meta = data.get("metadata")
    if isinstance(meta, dict):
        version = meta.get("guidellm_version")
        run.tool_version = version if isinstance(version, str) else run.tool_version
        for key in ("python_version", "platform"):
            if isinstance(meta.get(key), str):
                run.foreign[f"client.{key}"] = meta[key]
    config = data.get("config")
    spec = config.get("spec") if isinstance(config, dict) else None
    if not isinstance(spec, dict):
        return
    backend = spec.get("backend") if isinstance(spec.get("backend"), dict) else {}
    assert isinstance(backend, dict)
    run.endpoint = backend.get("target") if isinstance(backend.get("target"), str) else run.endpoint
    run.api = "chat" if "chat" in str(backend.get("request_format") or "") else "completions"
    if isinstance(backend.get("model"), str) and backend["model"]:
        run.model = backend["model"]
    timeout, connect = number(backend.get("timeout")), number(backend.get("timeout_connect"))
    if timeout is not None and connect is not None:
        run.timeouts = Timeouts(connect_s=connect, read_s=timeout, total_s=timeout)
    seed = spec.get("seed")
    if isinstance(seed, dict) and isinstance(seed.get("value"), int):
        run.seed = seed["value"]
    data_specs = spec.get("data")
    if isinstance(data_specs, list) and len(data_specs) == 1 and isinstance(data_specs[0], dict):
        prompt, output = data_specs[0].get("prompt_tokens"), data_specs[0].get("output_tokens")
        run.input_tokens = prompt if isinstance(prompt, int) else None
        run.output_tokens = output if isinstance(output, int) else None


def _model_from_benchmarks(benchmarks: list[Any]) -> str | None:
    for bench in benchmarks:
        config = bench.get("config") if isinstance(bench, dict) else None
        backend = config.get("backend") if isinstance(config, dict) else None
        if isinstance(backend, dict) and isinstance(backend.get("model"), str) and backend["model"]:
            return str(backend["model"])
    return None


def parse(files: list[tuple[Path, Any]]) -> ToolRun:
    run = ToolRun(tool=TOOL, notes=list(NOTES))
    for path, data in files:
        if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
            raise ImportFormatError(str(path), "not a guidellm report (no 'benchmarks' list)", "benchmarks")
        _run_facts(data, run)
        run.model = run.model or _model_from_benchmarks(data["benchmarks"])
        for index, bench in enumerate(data["benchmarks"]):
            run.levels.append(_level(path, index, bench, run))
            body_args = _request_body(bench)
            if body_args:
                run.request_params.update(body_args)
                if isinstance(body_args.get("ignore_eos"), bool):
                    run.ignore_eos = bool(body_args["ignore_eos"])
    run.notes = list(dict.fromkeys(run.notes))
    return run


def _request_body(bench: Any) -> dict[str, Scalar]:
    """Request parameters guidellm sent (from the first recorded request), prompt excluded."""
    requests = bench.get("requests") if isinstance(bench, dict) else None
    ok = requests.get("successful") if isinstance(requests, dict) else None
    if not isinstance(ok, list) or not ok or not isinstance(ok[0], dict):
        return {}
    args = ok[0].get("request_args")
    try:
        decoded = json.loads(args) if isinstance(args, str) else args
    except json.JSONDecodeError:
        return {}
    body = decoded.get("body") if isinstance(decoded, dict) else None
    if not isinstance(body, dict):
        return {}
    return {
        k: v for k, v in body.items()
        if k not in {"prompt", "messages"} and (v is None or isinstance(v, str | int | float | bool))
    }  # fmt: skip
