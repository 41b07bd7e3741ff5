"""The page docs/benchmarks-client.md from a client-capacity summary (benchmarks/client_capacity.py measures
and summarises; this renders): setup, results table, ceilings, issue 24's targets, server lateness, failures.

The ceiling criteria and the targets are defined here, beside the prose that states them, and imported by
client_capacity.py's summary, so the page and the figures read one definition.
"""

from __future__ import annotations

from typing import Any

TPOT_TOLERANCE_MS = 0.5
STRICT_TTFT_MS = 5.0  # TTFT p50 above the floor's
STRICT_THROUGHPUT = 0.9  # fraction of the floor's throughput


# Issue 24: inferboard against the floor at 512 users on one client core, and at the worker levels.
TARGET_LEVEL = 512
TARGETS: tuple[tuple[str, str, float], ...] = (
    # (row key, label, bound): a latency is "within" the bound of the floor's (either side); throughput is
    # at least the bound times the floor's
    ("ttft_p50_ms_vs_floor", "TTFT p50 vs floor, ms", 2.0),
    ("ttft_p99_ms_vs_floor", "TTFT p99 vs floor, ms", 20.0),
    ("tpot_p50_ms_vs_floor", "TPOT p50 vs floor, ms", 0.3),
    ("throughput_vs_floor", "throughput × floor", 0.95),
)


def target_checks(summary: dict[str, Any], levels: list[int]) -> list[dict[str, Any]]:
    """inferboard's figures against each target at the target level and the worker levels present."""
    checks = []
    for row in summary["rows"]:
        if row["client"] != "inferboard" or row["concurrency"] not in levels:
            continue
        for key, label, bound in TARGETS:
            value = row.get(key)
            ratio = key == "throughput_vs_floor"
            met = value is not None and (value >= bound if ratio else abs(value) <= bound)
            checks.append(
                {
                    "concurrency": row["concurrency"],
                    "figure": label,
                    "target": f"≥ {bound:g}" if ratio else f"within ±{bound:g}",
                    "value": None if value is None else f"{value:.2f}" if ratio else f"{value:+.2f}",
                    "met": met,
                }
            )
    return checks


def fmt(v: float | None, nd: int = 1, signed: bool = False) -> str:
    if v is None:
        return "–"
    return f"{v:+.{nd}f}" if signed else f"{v:,.{nd}f}"


def markdown_report(meta: dict[str, Any], summary: dict[str, Any]) -> str:
    """The page: setup, results table, ceilings, targets, server lateness, failures."""
    lines = [*_setup_lines(meta), *_results_table(meta, summary), *_ceiling_section(meta, summary)]
    lines += targets_section(meta, summary)
    lines += _server_section(meta)
    lines += _failures_section(summary)
    return "\n".join(lines) + "\n"


def _setup_lines(meta: dict[str, Any]) -> list[str]:
    """The page's title and how the run was set up: machine, server timing, levels, versions."""
    s = meta["server"]
    return [
        "# Benchmarks: client capacity",
        "",
        "How far each benchmark client can push a server before its own numbers stop being true. All figures "
        "below were measured by `benchmarks/client_capacity.py`; nothing on this page is typed by hand.",
        "",
        f"- date (UTC): {meta['date']}",
        f"- machine: {meta['machine']}",
        f"- command: `{meta['command']}`",
        f"- server: `benchmarks/timing_server` (C, epoll, one thread) with TTFT {s['ttft_ms']} ms, "
        f"{s['itl_ms']} ms between tokens, {s['tokens']} tokens; pinned to core {meta['server_cpu']} "
        f"({'real-time priority' if meta['realtime'] else 'normal priority'}); clients pinned to core "
        f"{meta['client_cpu']}",
        f"- levels {meta['levels']}, {meta['trials']} trial(s) each, requests per level: "
        f"{meta['requests_per_level']}; clients run interleaved within each trial",
        *worker_lines(meta),
        f"- versions: {', '.join(f'{k} {v}' for k, v in meta['versions'].items())}; inferboard source: "
        f"{meta.get('source', 'not recorded')}",
        "",
    ]


def _results_table(meta: dict[str, Any], summary: dict[str, Any]) -> list[str]:
    """How the figures are defined, then one table row per (level, client)."""
    s = meta["server"]
    lines = [
        "Errors are against the floor client at the same level (median over trials). Ideal throughput at C "
        f"users = C × {s['tokens']} / (TTFT + {s['tokens'] - 1} × ITL). CPU is the client process's own "
        "user+system time (children included) minus its start-up cost (a 2-request run), per 1,000 content "
        "chunks (a negative value means the level cost less than the start-up noise); the whole-process "
        "figure is in the JSON. TPOT is (E2E − TTFT)/(n − 1) for every client "
        "(guidellm's `inter_token_latency_ms`, aiperf's `inter_token_latency`).",
        "",
        "| C | client | TTFT p50 ms (range) | vs floor | TTFT p99 ms | vs floor | TPOT p50 ms | vs floor "
        "| tok/s | × ideal | CPU s / 1k chunks | server late p99 / max µs |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    worker_levels = {int(k) for k in (meta.get("worker_levels") or {})}
    for row in sorted(summary["rows"], key=lambda r: (r["concurrency"], meta["clients"].index(r["client"]))):
        if row["trials"] == 0 and row["concurrency"] in worker_levels:
            continue  # the peers are not run at the worker levels
        lines.append(_table_row(row))
    return lines


def _table_row(row: dict[str, Any]) -> str:
    """One (level, client) row of the results table, its failed trials named after the client."""
    rng = row["ttft_p50_range_ms"]
    rng_s = f" ({rng[0]:.1f}–{rng[1]:.1f})" if rng and len({round(x, 1) for x in rng}) > 1 else ""
    fail = (
        f" **{row['trials'] - row['ok_trials']} of {row['trials']} trials failed**" if row["errors"] else ""
    )
    if row["trials"] == 0:
        fail = " (not run: it failed or timed out at a lower level)"
    elif row["errors"] and row["trials"] == 1 and row["ok_trials"] == 0:
        fail = " **failed** (later trials skipped)"
    return (
        f"| {row['concurrency']} | {row['client']}{fail} | {fmt(row['ttft_p50_ms'])}{rng_s} | "
        f"{fmt(row['ttft_p50_ms_vs_floor'], 1, True)} | {fmt(row['ttft_p99_ms'])} | "
        f"{fmt(row['ttft_p99_ms_vs_floor'], 1, True)} | {fmt(row['tpot_p50_ms'], 2)} | "
        f"{fmt(row['tpot_p50_ms_vs_floor'], 2, True)} | {fmt(row['throughput_tok_s'], 0)} | "
        f"{fmt(row['throughput_vs_ideal'], 2)} | {fmt(row['cpu_s_per_1k_chunks'], 3)} | "
        f"{fmt(row['server_lateness_p99_us_max'], 0)} / {fmt(row['server_lateness_max_us'], 0)} |"
    )


def _ceiling_section(meta: dict[str, Any], summary: dict[str, Any]) -> list[str]:
    """Each client's ceiling and strict ceiling, with what the two mean."""
    lines = [
        "",
        "## Ceiling",
        "",
        f"*Ceiling*: the highest level up to which TPOT p50 stays within {TPOT_TOLERANCE_MS} ms of the "
        f"truth ({meta['server']['itl_ms']} ms). *Strict ceiling*: the same, and also TTFT p50 at most "
        f"{STRICT_TTFT_MS:g} ms above the floor's and throughput at least {STRICT_THROUGHPUT:g}× the "
        "floor's — a client whose users queue inside the client keeps a true TPOT while its TTFT and "
        "throughput are wrong.",
        "",
        "| client | ceiling (users) | strict ceiling (users) |",
        "|---|---:|---:|",
    ]
    below = f"below {min(meta['levels'])}"
    for name, ceiling in summary["ceilings"].items():
        strict = summary.get("strict_ceilings", {}).get(name)
        shown = [below if v is None else str(v) for v in (ceiling, strict)]
        lines.append(f"| {name} | {shown[0]} | {shown[1]} |")
    return lines


def _server_section(meta: dict[str, Any]) -> list[str]:
    """The timing server's own lateness over all runs: proof that it kept time, or where it did not."""
    lat = meta["server_total"].get("lateness_us", {}) if meta.get("server_total") else {}
    return [
        "",
        "## Did the server keep time?",
        "",
        f"The server sent {meta['server_total'].get('chunks', '?'):,} chunks in the measured runs. Its "
        "lateness against schedule, worst run for each figure: "
        f"p50 {lat.get('p50', '?')} µs, p99 {lat.get('p99', '?')} µs, p99.9 {lat.get('p999', '?')} µs, "
        f"max {lat.get('max', '?')} µs; {meta['server_total'].get('backpressured_chunks', '?')} chunks "
        "found earlier bytes still unsent (a client not reading). Per-run p99 / max are in the table's last "
        "column; a run whose p99 passes 1 ms is repeated once. Single late chunks (the max) are moments when "
        "other work on this shared machine held the CPU despite the server's real-time priority.",
        "",
        f"Raw figures: `{meta['raw_json']}`"
        + ("." if "results/" in meta["raw_json"] else " (not committed; re-run the command to reproduce)."),
    ]


def _failures_section(summary: dict[str, Any]) -> list[str]:
    """Every failed trial's error, by client and level (none: no section)."""
    if not any(r["errors"] for r in summary["rows"]):
        return []
    lines = ["", "## Failures", ""]
    for row in summary["rows"]:
        for e in row["errors"]:
            lines.append(f"- {row['client']} at {row['concurrency']}: `{(e or '').replace('`', ' ')[:300]}`")
    return lines


def worker_lines(meta: dict[str, Any]) -> list[str]:
    workers = {int(k): v for k, v in (meta.get("worker_levels") or {}).items()}
    if not workers:
        return []
    shown = ", ".join(f"{c:,} users over {n} processes" for c, n in sorted(workers.items()))
    cpus = str(meta.get("worker_cpus"))
    line = (
        f"- worker levels: {shown} (floor `--processes`, inferboard `--workers`; guidellm and aiperf are not "
        f"run there), pinned to core(s) {cpus}"
    )
    if len(cpus.split(",")) < max(workers.values()):
        line += (
            " — fewer cores than processes on this machine, so a worker level measures "
            f"{len(cpus.split(','))} core(s), not the spread the target is about"
        )
    return [line]


def targets_section(meta: dict[str, Any], summary: dict[str, Any]) -> list[str]:
    """Issue 24's targets for inferboard against the floor, each marked met or MISSED."""
    levels = [TARGET_LEVEL, *(int(k) for k in (meta.get("worker_levels") or {}))]
    checks = target_checks(summary, levels)
    if not checks:
        return []
    lines = [
        "",
        "## Targets",
        "",
        f"Issue 24: inferboard against the floor at {TARGET_LEVEL} users on one client core, and at the "
        "worker levels with its `--workers`: TTFT p50 within 2 ms and p99 within 20 ms, TPOT p50 within "
        "0.3 ms, at least 0.95× the floor's throughput.",
        "",
        "| C | figure | target | measured | |",
        "|---:|---|---|---:|---|",
    ]
    for ch in checks:
        lines.append(
            f"| {ch['concurrency']} | {ch['figure']} | {ch['target']} | {ch['value'] or '–'} | "
            f"{'met' if ch['met'] else '**MISSED**'} |"
        )
    missed = [ch for ch in checks if not ch["met"]]
    lines += [
        "",
        "All targets met."
        if not missed
        else "**Missed:** "
        + "; ".join(f"{ch['figure']} at {ch['concurrency']} users" for ch in missed)
        + ". The run's own figures above (server lateness, CPU per chunk, the worker-level note) say why.",
    ]
    late_limit = float(meta.get("max_server_late_us") or 1000.0)
    for c in sorted({ch["concurrency"] for ch in missed}):
        late = max(
            (r["server_lateness_p99_us_max"] or 0 for r in summary["rows"] if r["concurrency"] == c),
            default=0,
        )
        if late > late_limit:
            lines.append(
                f"At {c:,} users the timing server itself ran up to {late / 1000:,.1f} ms late (p99, after "
                "the repeat): the machine, not the client, set the figures there, floor included."
            )
    return lines
