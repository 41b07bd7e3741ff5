"""vLLM `vllm bench serve --save-result [--save-detailed]` JSON -> levels.

One result object per load level; `--append-result` files hold one object per line. On the completions
API vLLM defines TTFT, TPOT, ITL and E2E as inferboard does (vllm/benchmarks/serve.py, lib/
endpoint_request_func.py: first/last chunk with `choices`, TPOT=(E2E-TTFT)/(n-1), pooled chunk gaps,
np.std and np.percentile as here), so its summary figures fill inferboard's summaries statistic by
statistic: mean -> mean, median -> p50, std -> std, pNN -> pNN for p50/p90/p95/p99. The file never states
count, min or max, nor the percentiles not asked for with --metric-percentiles (default: p99 only): those
stay absent (schema v2). Other percentiles (p25, p99.9, ...) are kept under vLLM's names. When
`--save-detailed` arrays are present, inferboard computes full summaries from them with its own method.
On the chat API vLLM's TTFT counts the role-only chunk, so its TTFT/TPOT/ITL figures stay foreign.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from collector.importers.common import (
    FileLevel,
    ImportFormatError,
    ToolRun,
    first_line,
    number,
    scalar_items,
)
from collector.measure.metrics import bound_records, quantiles, summarize
from collector.schema import REQUEST_RECORDS_PER_LEVEL, LevelResult, RequestRecord, Summary

TOOL = "vllm bench serve"
CHAT_BACKENDS = {"openai-chat", "openai-audio", "vllm-chat"}
DETAILED_ARRAYS = (
    "input_lens", "output_lens", "ttfts", "itls", "latencies", "start_times", "queue_times",
    "generated_texts", "errors",
)  # fmt: skip
_SUMMARY_KEY = re.compile(r"^(mean|median|std|p\d+(?:\.\d+)?)_[a-z0-9_]+_ms$")
_MAPPED = {
    "completed", "failed", "duration", "request_throughput", "output_throughput", "total_token_throughput",
    "total_input_tokens", "total_output_tokens", "request_rate", "max_concurrency", "burstiness",
    "num_prompts", "model_id",
}  # fmt: skip

# vLLM's metric name in the summary keys -> inferboard's summary field (completions API only).
SUMMARY_METRICS = {"ttft": "ttft_ms", "tpot": "tpot_ms", "itl": "itl_ms", "e2el": "e2e_ms"}
_STATISTICS = {"mean": "mean", "median": "p50", "std": "std", "p50": "p50", "p90": "p90", "p95": "p95",
               "p99": "p99"}  # fmt: skip
NOTES = [
    "vLLM's summary figures (mean_/median_/std_/pNN_ *_ms) fill inferboard's TTFT, TPOT, ITL and E2E "
    "summaries on the completions API (median as p50); the file states no count, min or max, nor "
    "percentiles other than those given to --metric-percentiles (p99 by default): they are absent, not "
    "rebuilt. Percentiles inferboard does not summarise (e.g. p25, p99.9) keep vLLM's names.",
    "vLLM counts output tokens from the server's usage, falling back to re-tokenizing the text.",
    "vLLM starts TTFT at the first SSE chunk that carries `choices` and ends E2E at the last such chunk, "
    "even when its text is empty; its ITL pools the gaps between those chunks (inferboard: content chunks).",
    "vLLM's `date` is the client's local time without a zone; it is kept as written, not converted.",
]
CHAT_NOTE = (
    "Chat API: vLLM's TTFT counts the role-only first chunk as the first token (inferboard does not), so "
    "TTFT, TPOT and ITL stay under vLLM's names."
)
DETAILED_NOTE = (
    "Per-request arrays (--save-detailed) were present: TTFT, E2E, TPOT=(E2E-TTFT)/(n-1), pooled ITL and "
    "token counts were summarised by inferboard from them (population std, linear percentiles)."
)


def _objects(path: Path, raw: bytes) -> list[dict[str, Any]]:
    """One object, or one per line when the file was written with --append-result."""
    text = raw.decode("utf-8", errors="replace")
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
        items: list[Any] = []
        for number_, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ImportFormatError(str(path), f"line {number_}: not valid JSON ({exc})") from exc
    else:
        items = whole if isinstance(whole, list) else [whole]
    objects = [item for item in items if isinstance(item, dict)]
    if not objects or len(objects) != len(items):
        raise ImportFormatError(str(path), "expected a vLLM result object (or one per line)")
    return objects


def _require(path: Path, obj: dict[str, Any], key: str) -> float:
    value = number(obj.get(key))
    if value is None:
        raise ImportFormatError(
            str(path), "missing or not a number; is this a `vllm bench serve` result?", key
        )
    return value


def _summaries(obj: dict[str, Any]) -> tuple[dict[str, Summary], dict[str, set[str]]]:
    """inferboard summaries from vLLM's summary keys (only the statistics present) and the keys each used."""
    found: dict[str, dict[str, float]] = {}
    used: dict[str, set[str]] = {}
    for key, value in obj.items():
        match = _SUMMARY_KEY.match(key)
        if match is None:
            continue
        statistic, metric = match.group(1), key[len(match.group(1)) + 1 : -len("_ms")]
        field, target = SUMMARY_METRICS.get(metric), _STATISTICS.get(statistic)
        figure = number(value)
        if field is None or target is None or figure is None or not math.isfinite(figure) or figure < 0:
            continue
        # "median" and "p50" are the same figure; the first one read is kept.
        found.setdefault(field, {}).setdefault(target, figure)
        used.setdefault(field, set()).add(key)
    return {field: Summary(**stats) for field, stats in found.items()}, used


def _detailed(obj: dict[str, Any], chat: bool, completed: int, out: dict[str, Any], notes: list[str]) -> None:
    """Fill inferboard summaries and request records from --save-detailed arrays, when they agree."""
    ttfts, itls, errors = obj.get("ttfts"), obj.get("itls"), obj.get("errors")
    output_lens, input_lens = obj.get("output_lens"), obj.get("input_lens")
    arrays = (ttfts, itls, errors, output_lens, input_lens)
    if not all(isinstance(a, list) for a in arrays) or len({len(a) for a in arrays}) != 1:  # type: ignore[arg-type]
        return
    assert isinstance(ttfts, list) and isinstance(itls, list) and isinstance(errors, list)
    assert isinstance(output_lens, list) and isinstance(input_lens, list)
    latencies = obj.get("latencies") if isinstance(obj.get("latencies"), list) else None
    starts = obj.get("start_times") if isinstance(obj.get("start_times"), list) else None
    queues = obj.get("queue_times") if isinstance(obj.get("queue_times"), list) else None
    ok = [i for i, err in enumerate(errors) if not err and number(ttfts[i]) is not None]
    if len(ok) != completed:
        notes.append(
            f"--save-detailed arrays list {len(ok)} successful requests but `completed` is {completed}; "
            "inferboard summaries were not computed from them."
        )
        return
    ttft_ms = [float(ttfts[i]) * 1000 for i in ok]
    e2e_ms = []
    for i in ok:
        latency = number(latencies[i]) if latencies is not None else None
        e2e_ms.append(latency * 1000 if latency is not None else (ttfts[i] + sum(itls[i])) * 1000)
    n_out = [int(output_lens[i]) for i in ok]
    tpot_ms = [(e - t) / (n - 1) for e, t, n in zip(e2e_ms, ttft_ms, n_out, strict=True) if n > 1]
    itl_ms = [float(gap) * 1000 for i in ok for gap in itls[i]]
    chunks = [len(itls[i]) + 1 for i in ok]
    out["e2e_ms"] = summarize(e2e_ms)
    out["output_tokens_observed"] = summarize([float(n) for n in n_out])
    out["input_tokens_observed"] = summarize([float(input_lens[i]) for i in ok])
    if not chat:
        out["ttft_ms"] = summarize(ttft_ms)
        out["tpot_ms"] = summarize(tpot_ms)
        out["per_user_tok_s"] = summarize([1000 / t for t in tpot_ms if t > 0])
        out["itl_ms"] = summarize(itl_ms)
        out["itl_quantiles_ms"] = quantiles(itl_ms)
        out["tokens_per_chunk"] = summarize([n / c for n, c in zip(n_out, chunks, strict=True)])
    notes.append(DETAILED_NOTE)
    if starts is None:
        return
    origin = min(float(s) for s in starts)
    records: list[RequestRecord] = []
    ok_set = set(ok)
    for i in range(len(errors)):
        sent_ms = (float(starts[i]) - origin) * 1000
        queue_s = number(queues[i]) if queues is not None else None
        success = i in ok_set
        n = int(output_lens[i]) if success else None
        ttft = ttfts[i] * 1000 if success else None
        e2e = (number(latencies[i]) or 0) * 1000 if success and latencies is not None else None
        if success and e2e is None:
            e2e = (ttfts[i] + sum(itls[i])) * 1000
        records.append(
            RequestRecord(
                scheduled_ms=sent_ms - (queue_s or 0.0) * 1000, sent_ms=sent_ms,
                status="ok" if success else "error", ttft_ms=None if chat else ttft, e2e_ms=e2e,
                tpot_ms=(e2e - ttft) / (n - 1) if (not chat and n and n > 1 and e2e and ttft) else None,
                input_tokens=int(input_lens[i]), output_tokens=n, chunks=len(itls[i]) + 1 if success else 0,
                error=None if success else first_line(str(errors[i])) or "failed",
            )
        )  # fmt: skip
    out["requests"], out["requests_dropped"] = bound_records(
        records, REQUEST_RECORDS_PER_LEVEL, ok=lambda r: r.status == "ok", sent=lambda r: r.sent_ms
    )
    if queues is None:
        notes.append("vLLM recorded no client queue times: scheduled_ms equals sent_ms in request records.")


def _level(path: Path, obj: dict[str, Any], run: ToolRun) -> FileLevel:
    completed = int(_require(path, obj, "completed"))
    duration = _require(path, obj, "duration")
    chat = str(obj.get("endpoint_type") or obj.get("backend") or "") in CHAT_BACKENDS
    rate = number(obj.get("request_rate"))
    max_conc = obj.get("max_concurrency")
    max_conc = int(max_conc) if isinstance(max_conc, int) and not isinstance(max_conc, bool) else None
    failed_value = obj.get("failed")
    if isinstance(failed_value, int) and not isinstance(failed_value, bool):
        failed = failed_value
    else:
        failed = 0
        run.notes.append(f"{path.name}: the file has no `failed` count; failed is recorded as 0.")
    fields: dict[str, Any] = {
        "completed": completed, "failed": failed, "duration_s": duration,
        "ttft_ms": None, "tpot_ms": None, "itl_ms": None, "e2e_ms": None, "per_user_tok_s": None,
        "output_throughput_tok_s": _require(path, obj, "output_throughput"),
        "request_throughput_rps": _require(path, obj, "request_throughput"),
        "total_token_throughput_tok_s": number(obj.get("total_token_throughput")) or 0.0,
        "input_tokens_total": int(_require(path, obj, "total_input_tokens")),
        "output_tokens_total": int(_require(path, obj, "total_output_tokens")),
    }  # fmt: skip
    if rate is None:  # "inf": every request released at once, capped by max_concurrency if given
        num_prompts = obj.get("num_prompts")
        fields["concurrency"] = max_conc or (num_prompts if isinstance(num_prompts, int) else None)
        fields["request_rate"] = None
        if max_conc is None:
            run.notes.append(
                f"{path.name}: request_rate=inf without max_concurrency: all num_prompts requests were "
                "released at once; concurrency records num_prompts."
            )
    else:
        run.mode = "rate"
        fields["concurrency"] = None
        fields["request_rate"] = rate
        run.max_concurrency = max_conc
        run.burstiness = number(obj.get("burstiness"))
    if chat:
        run.api = "chat"
        if CHAT_NOTE not in run.notes:
            run.notes.append(CHAT_NOTE)
    summaries, used = _summaries(obj) if not chat else ({}, {})
    fields.update(summaries)
    _detailed(obj, chat, completed, fields, run.notes)
    # vLLM's figures leave the foreign metrics only where they are what the level now holds (detailed
    # arrays, when present, replace them with inferboard's own summaries; then vLLM's stay foreign).
    kept = {key for field, keys in used.items() if fields[field] is summaries[field] for key in keys}
    foreign = scalar_items(obj, skip=_MAPPED.union(DETAILED_ARRAYS, kept))
    return FileLevel(result=LevelResult(**fields), foreign=foreign)


def parse(files: list[tuple[Path, bytes]]) -> ToolRun:
    run = ToolRun(tool=TOOL, notes=list(NOTES))
    models: set[str] = set()
    for path, raw in files:
        for obj in _objects(path, raw):
            run.levels.append(_level(path, obj, run))
            if isinstance(obj.get("model_id"), str):
                models.add(obj["model_id"])
            if isinstance(obj.get("num_prompts"), int):
                run.requests_per_level = obj["num_prompts"]
    if len(models) > 1:
        raise ImportFormatError(
            files[0][0].name, f"files name different models: {sorted(models)}", "model_id"
        )
    run.model = next(iter(models), None)
    run.notes = list(dict.fromkeys(run.notes))
    return run
