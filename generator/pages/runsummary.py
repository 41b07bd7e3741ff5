"""What a run page leads with: a title a person reads, a summary, and compact tables (levels x metrics).

Pure functions over one run record and its level rows (from `tables.level_rows`, trials already merged
over complete trials).
"""

from __future__ import annotations

import math
import re
import shlex
from pathlib import PurePath
from typing import Any

from collector.schema import RunRecord
from generator.data.capacity import capacity_text
from generator.data.columns import BY_KEY
from generator.data.tables import as_utc, gpu_count, hardware_text, level_text, short_backend, workload_text
from generator.render.safe import clean_text

# guidellm-style statistics shown as columns of the imported figures table, in this order.
_TITLE_UNSAFE = re.compile(r"[^\w .,:;×/+()@=-]")
_LOCAL_PATH = re.compile(r"^(/|~|\./|\.\./|[A-Za-z]:\\|\\)")

_FILE_EXT = re.compile(r"\.(json|jsonl|gguf|csv|ya?ml|txt|safetensors|bin|log)$", re.IGNORECASE)

STAT_COLUMNS = ("mean", "median", "p50", "p90", "p95", "p99", "min", "max", "std_dev", "count")


def human_title(record: RunRecord) -> str:
    """'vllm 0.6.3 · Llama-3.1-8B-Instruct · 1× H100 · 2026-11-29': backend, model, hardware, date."""
    backend = short_backend(clean_text(record.backend.name), clean_text(record.backend.version or "unknown"))
    model = clean_text(record.model.name).rsplit("/", 1)[-1] or clean_text(record.model.name)
    hardware = "CPU" if record.hardware.accelerator == "cpu" else hardware_text(record)
    parts = [backend, model, hardware, as_utc(record.created_at).strftime("%Y-%m-%d")]
    if not _hardware_known(record):  # an import that recorded none: no '0× GPU' in the title
        parts.remove(hardware)
    return plain_title(parts)


def subtitle(record: RunRecord) -> dict[str, Any]:
    """The run page's one-line description: model, backend, hardware, quantization and workload, each only
    when the record knows it; what it does not know (typically an imported run's) is said once, as
    'not recorded: ...', instead of 'unknown' and '?' scattered through the line."""
    missing: list[str] = []
    version = clean_text(record.backend.version or "")
    if not version:
        missing.append("backend version")
    details: list[str] = []
    if _hardware_known(record):
        details.append(hardware_text(record))
    else:
        missing.append("hardware")
    q = record.quantization
    if q.format or q.weights_dtype:
        details.append(clean_text(q.format or q.weights_dtype or ""))
    else:
        missing.append("quantization")
    details.append(_workload_known(record, missing))
    return {
        "model": clean_text(record.model.name),
        "backend": f"{clean_text(record.backend.name)} {version}".strip(),
        "details": details,
        "missing": missing,
    }


def _hardware_known(record: RunRecord) -> bool:
    hw = record.hardware
    return bool(hw.label or hw.accelerator == "cpu" or gpu_count(record) > 0 or hw.gpus)


def _workload_known(record: RunRecord, missing: list[str]) -> str:
    """The workload's short text without '?': a fixed-length workload whose token counts were not recorded
    shows the lengths it knows and adds the others to `missing`."""
    w = record.workload
    fixed = w.dataset is None and w.kind not in ("shared-prefix", "multi-turn", "trace")
    if not fixed or (w.input_tokens and w.output_tokens):
        return workload_text(record)
    known = [f"{w.input_tokens} tokens in"] if w.input_tokens else []
    known += [f"{w.output_tokens} tokens out"] if w.output_tokens else []
    missing += [
        name for name, n in (("input length", w.input_tokens), ("output length", w.output_tokens)) if not n
    ]
    text = " ".join([w.api, ", ".join(known)]).strip()
    if w.preset:
        text += f" ({w.preset} preset)"
    return clean_text(text + (" (rate)" if w.mode == "rate" else ""))


def plain_title(parts: list[str]) -> str:
    """A page title from run strings. The title is a Markdown heading and MkDocs copies its text,
    unescaped, into <title> and the nav: only plain characters may reach it (the full strings are on the
    page, escaped, below it)."""
    return " · ".join(_TITLE_UNSAFE.sub("", p).strip() or "?" for p in parts)


def _fmt(value: Any, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    text = f"{float(value):.4g}" if isinstance(value, int | float) else str(value)
    return f"{text} {unit}".strip()


def summary_items(rows: list[dict[str, Any]], record: RunRecord) -> list[tuple[str, str]]:
    """The figures a reader wants first: peak throughput, latency at the lowest load, trials counted."""
    complete = [r for r in rows if r.get("status") == "complete"] or rows
    items: list[tuple[str, str]] = []
    peak = max(
        (r for r in complete if r.get("out_tok_s") is not None and math.isfinite(r["out_tok_s"])),
        key=lambda r: r["out_tok_s"],
        default=None,
    )
    if peak is not None:
        per_gpu = peak.get("out_tok_s_gpu")
        text = _fmt(peak["out_tok_s"], BY_KEY["out_tok_s"].unit) + f" at {peak['level']}"
        if per_gpu is not None and math.isfinite(per_gpu):
            text += f" ({_fmt(per_gpu, 'tok/s per GPU')})"
        items.append(("Peak output throughput", text))
    if complete:
        low = complete[0]
        for key in ("ttft_p50", "tpot_p50"):
            items.append((f"{BY_KEY[key].header} at {low['level']}", _fmt(low.get(key), BY_KEY[key].unit)))
    if record.capacity is not None:
        items.append(("Capacity under SLO", capacity_text(record.capacity)))
    trials = sorted({int(r.get("trials_all") or r.get("trials") or 1) for r in rows})
    counted = sorted({int(r.get("trials") or 1) for r in rows})
    if trials != [1]:
        items.append(
            ("Trials per level", f"{'/'.join(map(str, counted))} complete of {'/'.join(map(str, trials))}")
        )
    items.append(("Load levels", str(len(rows))))
    items.append(("Measured under", conditions_text(record)))
    return items


def conditions_text(record: RunRecord) -> str:
    """How the engine and client shared the host and what each request asked for (issue 18's two defaults)."""
    iso = record.isolation
    if iso is None:
        placement = "CPU placement not recorded"
    elif iso.applied:
        cpus = ",".join(map(str, iso.engine_cpus or []))
        client = ",".join(map(str, iso.client_cpus or []))
        placement = f"engine on CPU {cpus}, client on CPU {client}"
    else:
        placement = f"engine and client not isolated ({clean_text(iso.reason or 'no reason given')})"
    sampling = record.workload.sampling
    asked = {
        "greedy": "greedy sampling (temperature 0)",
        "server-default": "the server's default sampling",
        "custom": "custom sampling (see request_params)",
    }.get(sampling or "", "sampling not recorded")
    return f"{placement}; {asked}"


def merged_level_rows(rows: list[dict[str, Any]]) -> list[dict[str, str | None]]:
    """One line per load level: the merged (complete-trial) value, with its 95% interval when repeated."""

    def with_ci(row: dict[str, Any], key: str) -> str:
        text = _fmt(row.get(key))
        lo, hi = row.get(f"{key}_lo"), row.get(f"{key}_hi")
        if lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi):
            text += f" [{lo:.4g}, {hi:.4g}]"
        return text

    out = []
    for row in rows:
        out.append(
            {
                "level": str(row["level"]),
                "n": f"{int(row.get('trials') or 1)}/{int(row.get('trials_all') or row.get('trials') or 1)}",
                "status": str(row.get("status", "")),
                "saturated": "client saturated" if row.get("saturated") else "",
                "out_tok_s": with_ci(row, "out_tok_s"),
                "ttft_p50": with_ci(row, "ttft_p50"),
                "ttft_p99": with_ci(row, "ttft_p99"),
                "tpot_p50": with_ci(row, "tpot_p50"),
                "e2e_p50": with_ci(row, "e2e_p50"),
                "user_tok_s": with_ci(row, "user_tok_s"),
                "rps": _fmt(row.get("rps")),
                "goodput": _fmt(row.get("goodput_rps")),
                "ttft_p99_title": (row.get("hidden") or {}).get("ttft_p99"),
                "unclean": str(row.get("unclean") or ""),
            }
        )
    return out


def server_metrics_matrix(record: RunRecord) -> tuple[list[str], list[list[str]]]:
    """Server metrics as one table: a row per level (trial), a column per metric (deltas, then peaks)."""
    columns: list[str] = []
    seen: set[str] = set()
    rows: list[tuple[str, dict[str, str]]] = []
    for level in record.results:
        sm = level.server_metrics
        if sm is None:
            continue
        name = level_text(level.concurrency, level.request_rate) + (f" #{level.trial}" if level.trial else "")
        values: dict[str, str] = {}
        for prefix, table in (("Δ ", sm.deltas), ("peak ", sm.peaks)):
            for key, value in table.items():
                column = prefix + clean_text(key)
                values[column] = _fmt(value)
                if column not in seen:
                    seen.add(column)
                    columns.append(column)
        if sm.error:
            values["error"] = clean_text(sm.error)
            if "error" not in seen:
                seen.add("error")
                columns.append("error")
        rows.append((name, values))
    return columns, [[name, *(values.get(c, "—") for c in columns)] for name, values in rows]


def foreign_matrix(figures: dict[str, Any]) -> tuple[list[str], list[list[str]], list[tuple[str, str]]]:
    """An imported tool's own figures ('c1/ttft_ms.successful.percentiles.p99' -> value) collapsed to one
    table: a row per level and metric, a column per common statistic. Keys that do not fit (scalars,
    rarer statistics) are returned as plain (key, value) rows for a collapsed full list."""
    table: dict[tuple[str, str], dict[str, str]] = {}
    for key, value in figures.items():
        level, sep, path = key.partition("/")
        if not sep:
            continue
        stem, _, stat = path.rpartition(".")
        stem = re.sub(r"\.percentiles$", "", stem)
        if stat in STAT_COLUMNS and stem:
            table.setdefault((clean_text(level), clean_text(stem)), {})[stat] = _fmt(value)
    rows = [
        [level, metric, *(stats.get(s, "—") for s in STAT_COLUMNS)]
        for (level, metric), stats in table.items()
    ]
    full = [(clean_text(k), _fmt(v)) for k, v in sorted(figures.items())]
    return list(STAT_COLUMNS), rows, full


def public_command(argv: list[str] | None) -> str | None:
    """The recorded command with local paths reduced to file names: a reader cannot use the importer's
    home directory, and it should not be published."""
    if not argv:
        return None
    out = []
    for arg in argv:
        text = clean_text(arg)
        key, eq, path = text.partition("=") if text.startswith("--") else ("", "", text)
        # absolute or relative file paths and files; Hugging Face ids (org/name) and URLs stay
        local = _LOCAL_PATH.match(path) or (
            "://" not in path and (path.count("/") >= 2 or (("/" in path) and _FILE_EXT.search(path)))
        )
        if local:
            text = f"{key}{eq}{PurePath(path.replace(chr(92), '/')).name or path}"
        out.append(text)
    return shlex.join(out)


def launch_note(record: RunRecord) -> str:
    """What to say when there is no launch command: the embedded engine records its own startup."""
    if record.launch.mode == "embedded":
        startup = record.launch.startup_s
        timed = f", started in {startup:.3g} s" if startup is not None else ""
        return f"(embedded llama.cpp engine, started by `inferboard collect` itself{timed})"
    return "(not recorded: the server was already running)"
