"""Client capacity: how far can each benchmark client go before its own numbers stop being true?

Against ONE timing-server process with exactly known timing (default TTFT 150 ms, 12 ms between tokens,
40 tokens), pinned to core 0 with a real-time priority, this runs at each concurrency level (default 1, 16,
128, 512), each repeated 3 times, clients pinned to core 1, then at each worker level (default 2,048 users
over 2 client processes: the floor with --processes, inferboard with --workers; the peers are not split)
on the cores the server leaves (--worker-cpus):
  floor       benchmarks/floor_client.py, the thinnest raw-socket client (the reference)
  inferboard  inferboard collect --endpoint ... (reads the run file it writes)
  guidellm    guidellm run (0.8.1, from benchmarks/.venv-peers; see peers_setup.sh)
  aiperf      aiperf profile (0.13.0, same virtualenv)
and reports per client: TTFT p50/p99 and TPOT p50 error against the floor, achieved vs ideal throughput,
client CPU seconds per 1,000 chunks, and the ceiling (highest level up to which TPOT p50 stays within
0.5 ms of the truth), plus the server's own lateness during each run (proof that the server kept time),
and whether inferboard meets issue 24's targets against the floor (TARGETS; a missed one is named).
The page is rendered by client_capacity_report.py, which also holds TARGETS and the ceiling criteria.

Writes docs/benchmarks-client.md and benchmarks/results/client-capacity/client_capacity-<UTC>.json (with
--write-docs; without it, the raw JSON goes to benchmarks/out/).

  python benchmarks/client_capacity.py                    # full run (about 20-25 minutes here)
  python benchmarks/client_capacity.py --quick            # levels 1,16,128, 1 trial, fewer requests
  python benchmarks/client_capacity.py --clients floor,inferboard --levels 512 --worker-levels '' --trials 1
  python benchmarks/client_capacity.py --clients floor,guidellm --levels 1,16
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_lib
from bench_lib import OUT, TimingServer, Truth, ideal_throughput, start_server
from client_capacity_report import (
    STRICT_THROUGHPUT,
    STRICT_TTFT_MS,
    TARGET_LEVEL,
    TPOT_TOLERANCE_MS,
    fmt,
    markdown_report,
    target_checks,
)
from clients import RUNNERS, ClientResult, inferboard_available, peers_ready

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "benchmarks-client.md"
RESULTS = REPO / "benchmarks" / "results" / "client-capacity"


def requests_for(c: int, rounds: int, minimum: int) -> int:
    """Enough requests for `rounds` full waves of the closed loop at concurrency c."""
    return max(minimum, rounds * c)


def baseline_cpu(runner_name: str, server: TimingServer, cpu: int | None) -> float | None:
    """CPU of a near-empty run (1 user, 2 requests): the client's fixed start-up cost, subtracted later."""
    res = RUNNERS[runner_name](server, 1, 2, -1, cpu)
    return res.cpu_s if res.ok else None


def _median(values: list[float]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def _level_row(
    name: str,
    c: int,
    results: list[ClientResult],
    base: float | None,
    server: Truth | TimingServer,
) -> dict[str, Any]:
    """One client's medians over the trials at one level, with the server's worst lateness in them."""
    rs = [r for r in results if r.client == name and r.concurrency == c]
    good = [r for r in rs if r.ok]
    per_k = [
        ((r.cpu_s - (base or 0.0)) / r.chunks * 1000.0) for r in good if r.cpu_s is not None and r.chunks
    ]
    per_k_whole = [(r.cpu_s / r.chunks * 1000.0) for r in good if r.cpu_s is not None and r.chunks]
    lat = [r.server.get("lateness_us", {}) for r in rs if r.server]
    return {
        "client": name,
        "concurrency": c,
        "trials": len(rs),
        "ok_trials": len(good),
        "errors": [r.error for r in rs if not r.ok],
        "ttft_p50_ms": _median([r.ttft_p50_ms for r in good]),
        "ttft_p50_range_ms": [min(r.ttft_p50_ms for r in good), max(r.ttft_p50_ms for r in good)]
        if good
        else None,
        "ttft_p99_ms": _median([r.ttft_p99_ms for r in good]),
        "tpot_p50_ms": _median([r.tpot_p50_ms for r in good]),
        "tpot_p50_range_ms": [min(r.tpot_p50_ms for r in good), max(r.tpot_p50_ms for r in good)]
        if good
        else None,
        "throughput_tok_s": _median([r.throughput_tok_s for r in good]),
        "ideal_tok_s": ideal_throughput(c, server.ttft_ms, server.itl_ms, server.tokens),
        "cpu_s_per_1k_chunks": _median(per_k),
        "cpu_s_per_1k_chunks_whole_process": _median(per_k_whole),
        "server_lateness_p99_us_max": max((x.get("p99", 0) for x in lat), default=None),
        "server_lateness_max_us": max((x.get("max", 0) for x in lat), default=None),
    }


def _compare_with_floor(row: dict[str, Any], floor: dict[str, Any] | None, itl_ms: float) -> None:
    """Add to a row its errors against the floor's row at the same level and whether it holds the load."""
    for key in ("ttft_p50_ms", "ttft_p99_ms", "tpot_p50_ms"):
        row[f"{key}_vs_floor"] = (
            (row[key] - floor[key]) if floor and floor[key] is not None and row[key] is not None else None
        )
    row["throughput_vs_floor"] = (
        row["throughput_tok_s"] / floor["throughput_tok_s"]
        if floor and floor["throughput_tok_s"] and row["throughput_tok_s"]
        else None
    )
    row["throughput_vs_ideal"] = (
        row["throughput_tok_s"] / row["ideal_tok_s"] if row["throughput_tok_s"] else None
    )
    row["tpot_within_tolerance"] = (
        row["ok_trials"] == row["trials"]
        and row["tpot_p50_ms"] is not None
        and abs(row["tpot_p50_ms"] - itl_ms) <= TPOT_TOLERANCE_MS
    )
    # TPOT alone can look right while a client delivers a fraction of the load it was asked for (its
    # users wait in its own queues, which shows up in TTFT and throughput): the strict test adds both.
    row["holds_load"] = bool(
        row["tpot_within_tolerance"]
        and row["ttft_p50_ms_vs_floor"] is not None
        and row["ttft_p50_ms_vs_floor"] <= STRICT_TTFT_MS
        and (row["throughput_vs_floor"] or 0.0) >= STRICT_THROUGHPUT
    )


def _ceiling(rows: list[dict[str, Any]], levels: list[int], name: str, key: str) -> int | None:
    """The highest level up to which every level of this client passes the row's `key` test."""
    ceiling = None
    for c in sorted(levels):
        row = next(r for r in rows if r["client"] == name and r["concurrency"] == c)
        if not row[key]:
            break
        ceiling = c
    return ceiling


def summarise(
    results: list[ClientResult],
    baselines: dict[str, float | None],
    server: Truth | TimingServer,
    levels: list[int],
    clients: list[str],
) -> dict[str, Any]:
    """Median over trials per (client, level); errors against the floor's medians; ceilings."""
    rows: list[dict[str, Any]] = []
    floor: dict[int, dict[str, Any]] = {}
    for name in clients:
        for c in levels:
            row = _level_row(name, c, results, baselines.get(name), server)
            if name == "floor":
                floor[c] = row
            rows.append(row)
    for row in rows:
        _compare_with_floor(row, floor.get(row["concurrency"]), server.itl_ms)
    return {
        "rows": rows,
        "ceilings": {name: _ceiling(rows, levels, name, "tpot_within_tolerance") for name in clients},
        "strict_ceilings": {name: _ceiling(rows, levels, name, "holds_load") for name in clients},
    }


def machine_description() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{model}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


def versions(clients: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    peers_pip = Path(__file__).resolve().parent / ".venv-peers" / "bin" / "pip"
    for name in ("guidellm", "aiperf"):
        if name in clients and peers_pip.exists():
            show = subprocess.run([str(peers_pip), "show", name], capture_output=True, text=True).stdout
            out[name] = next(
                (ln.split(": ", 1)[1] for ln in show.splitlines() if ln.startswith("Version:")), "?"
            )
    if "inferboard" in clients:
        try:
            from collector import __version__

            out["inferboard"] = __version__
        except ImportError:
            out["inferboard"] = "?"
        out["inferboard event loop"] = event_loop()
    return out


def event_loop() -> str:
    """The loop inferboard's load runs on in this environment (uvloop with the `fast` extra)."""
    if os.environ.get("INFERBOARD_NO_UVLOOP"):
        return "asyncio (INFERBOARD_NO_UVLOOP set)"
    try:
        import uvloop
    except ImportError:
        return "asyncio (uvloop not installed)"
    return f"uvloop {uvloop.__version__}"


@dataclass
class Plan:
    """What one run measures: the levels (worker levels last), how those are split, and the clients."""

    levels: list[int]
    worker_levels: dict[int, int]  # users -> client processes
    worker_cpus: str
    clients: list[str]


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--levels", default="1,16,128,512", help="concurrency levels (comma-separated)")
    ap.add_argument("--trials", type=int, default=3, help="repeats of each level")
    ap.add_argument(
        "--rounds", type=int, default=4, help="requests per level = max(--min-requests, rounds x C)"
    )
    ap.add_argument("--min-requests", type=int, default=8)
    ap.add_argument(
        "--worker-levels",
        default="2048:2",
        help="USERS:PROCESSES levels run after --levels by floor and inferboard only ('' for none)",
    )
    ap.add_argument(
        "--worker-cpus",
        default=None,
        help="cores for the worker levels' client processes (default: every core but the server's)",
    )
    ap.add_argument("--clients", default="floor,inferboard,guidellm,aiperf")
    ap.add_argument("--ttft-ms", type=float, default=150.0)
    ap.add_argument("--itl-ms", type=float, default=12.0)
    ap.add_argument("--tokens", type=int, default=40)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    ap.add_argument(
        "--max-server-late-us",
        type=float,
        default=1000.0,
        help="repeat a run whose server lateness p99 exceeds this (machine interference)",
    )
    ap.add_argument("--run-timeout", type=float, default=240.0, help="seconds allowed for one client run")
    ap.add_argument("--retries", type=int, default=1, help="repeats allowed for such a run")
    ap.add_argument("--no-realtime", action="store_true", help="run the server without chrt -f")
    ap.add_argument("--quick", action="store_true", help="levels 1,16,128, 1 trial, 2 rounds")
    ap.add_argument("--from-json", type=Path, help="re-render the report from a raw JSON of an earlier run")
    ap.add_argument("--write-docs", action="store_true", help=f"write {DOC.relative_to(REPO)}")
    return ap


def plan_of(args: argparse.Namespace, ap: argparse.ArgumentParser) -> Plan:
    """The levels and clients the options ask for (the floor always; inferboard only where installed)."""
    if args.quick:
        args.levels, args.trials, args.rounds, args.worker_levels = "1,16,128", 1, 2, ""
    levels = [int(x) for x in args.levels.split(",") if x]
    worker_levels = {int(c): int(n) for c, n in (x.split(":") for x in args.worker_levels.split(",") if x)}
    worker_cpus = (
        args.worker_cpus
        or ",".join(str(i) for i in range(os.cpu_count() or 1) if i != args.server_cpu)
        or str(args.client_cpu)
    )
    levels += [c for c in worker_levels if c not in levels]
    clients = [x for x in args.clients.split(",") if x]
    unknown = [c for c in clients if c not in RUNNERS]
    if unknown:
        ap.error(f"unknown client(s) {unknown}; choose from {sorted(RUNNERS)}")
    if any(c in clients for c in ("guidellm", "aiperf")) and not peers_ready():
        ap.error("guidellm/aiperf are not installed: run `bash benchmarks/peers_setup.sh` first")
    if "floor" not in clients:
        clients.insert(0, "floor")
    if "inferboard" in clients and not inferboard_available():
        print(
            "client_capacity: `inferboard collect --endpoint` is not available yet; skipping inferboard",
            file=sys.stderr,
        )
        clients.remove("inferboard")
    return Plan(levels, worker_levels, worker_cpus, clients)


def measure_once(
    server: TimingServer, name: str, c: int, n: int, trial: int, plan: Plan, args: argparse.Namespace
) -> ClientResult:
    """One client's trial at one level, repeated (up to --retries) while the server itself ran late."""
    for attempt in range(1 + args.retries):
        server.stats(reset=True)
        if c in plan.worker_levels:
            res = RUNNERS[name](server, c, n, trial, plan.worker_cpus, plan.worker_levels[c])
        else:
            res = RUNNERS[name](server, c, n, trial, args.client_cpu)
        res.server = server.stats()
        res.self_report["attempt"] = attempt
        # Other work on the machine can delay even a real-time server; such a run measures
        # the machine, not the client, so it is repeated (and the repeat is recorded).
        if res.server.get("lateness_us", {}).get("p99", 0) <= args.max_server_late_us:
            break
    return res


def measure_levels(
    server: TimingServer, plan: Plan, args: argparse.Namespace, results: list[ClientResult]
) -> None:
    """Every level, trial and client in turn, appended to `results` as measured."""
    given_up: dict[int, set[str]] = {}
    timed_out: set[str] = set()
    for c in plan.levels:
        n = requests_for(c, args.rounds, args.min_requests)
        for trial in range(args.trials):
            for name in plan.clients:
                if name in given_up.get(c, set()) or name in timed_out:
                    continue
                if c in plan.worker_levels and name not in ("floor", "inferboard"):
                    continue
                res = measure_once(server, name, c, n, trial, plan, args)
                results.append(res)
                if not res.ok:
                    # A failed trial settles the level for this client; a timeout settles the higher ones.
                    given_up.setdefault(c, set()).add(name)
                    if "timed out" in (res.error or ""):
                        timed_out.add(name)
                print(progress_line(c, trial, name, res), file=sys.stderr, flush=True)


def progress_line(c: int, trial: int, name: str, res: ClientResult) -> str:
    return (
        f"c={c:<4} trial={trial} {name:<10} ok={res.ok} ttft_p50={fmt(res.ttft_p50_ms, 2)} "
        f"tpot_p50={fmt(res.tpot_p50_ms, 3)} tok/s={fmt(res.throughput_tok_s, 0)} "
        f"cpu={fmt(res.cpu_s, 2)}s wall={fmt(res.wall_s, 1)}s "
        f"server_p99={res.server.get('lateness_us', {}).get('p99')}us"
        + (f" ERROR {res.error}" if res.error else "")
    )


def server_total(results: list[ClientResult]) -> dict[str, Any]:
    # The final stats only cover the window since the last reset; sum the per-run windows for the total.
    return {
        "chunks": sum(r.server.get("chunks", 0) for r in results),
        "backpressured_chunks": sum(r.server.get("backpressured_chunks", 0) for r in results),
        "lateness_us": {
            k: max((r.server.get("lateness_us", {}).get(k, 0) for r in results), default=0)
            for k in ("p50", "p99", "p999", "max")
        },
        "note": "worst per-run percentile over all runs (each run's window measured separately)",
    }


def run_meta(
    args: argparse.Namespace,
    argv: list[str] | None,
    plan: Plan,
    baselines: dict[str, float | None],
    totals: dict[str, Any],
    source_at_start: tuple[str, str],
    raw: Path,
) -> dict[str, Any]:
    """Everything the report says about how the run was made; `source_at_start` is (state, digest)."""
    source, digest = source_at_start
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "machine": machine_description(),
        "command": "python benchmarks/client_capacity.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "server": {"ttft_ms": args.ttft_ms, "itl_ms": args.itl_ms, "tokens": args.tokens},
        "server_cpu": args.server_cpu,
        "client_cpu": args.client_cpu,
        "realtime": not args.no_realtime,
        "max_server_late_us": args.max_server_late_us,
        "levels": plan.levels,
        "worker_levels": plan.worker_levels,
        "worker_cpus": plan.worker_cpus,
        "trials": args.trials,
        "clients": plan.clients,
        "requests_per_level": {c: requests_for(c, args.rounds, args.min_requests) for c in plan.levels},
        "versions": versions(plan.clients),
        "source": source
        if digest == bench_lib.collector_digest()
        else f"CHANGED DURING THE RUN: {source} -> {bench_lib.source_state()}",
        "baseline_cpu_s": baselines,
        "server_total": totals,
        "raw_json": str(raw.relative_to(REPO)),
    }


def write_raw(raw: Path, meta: dict[str, Any], summary: dict[str, Any], results: list[ClientResult]) -> None:
    """The run's raw JSON (meta, summary, target checks, every run), written whole or not at all."""
    raw.parent.mkdir(parents=True, exist_ok=True)
    tmp = raw.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {
                "meta": meta,
                "summary": summary,
                "targets": target_checks(summary, [TARGET_LEVEL, *meta["worker_levels"]]),
                "runs": [r.to_dict() for r in results],
            },
            indent=2,
            default=str,
        )
    )
    tmp.replace(raw)


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    if args.from_json:
        return rerender(args.from_json, args.write_docs)
    plan = plan_of(args, ap)
    bench_lib.CHILD_TIMEOUT_S = args.run_timeout
    source_at_start = bench_lib.source_state(), bench_lib.collector_digest()
    server = start_server(
        args.ttft_ms, args.itl_ms, args.tokens, cpu=args.server_cpu, realtime=not args.no_realtime
    )
    results: list[ClientResult] = []
    try:
        print(f"timing server on {server.base_url}", file=sys.stderr)
        baselines = {name: baseline_cpu(name, server, args.client_cpu) for name in plan.clients}
        server.stats(reset=True)
        measure_levels(server, plan, args, results)
    finally:
        server.stop()
    summary = summarise(results, baselines, server, plan.levels, plan.clients)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    # With --write-docs the raw figures behind the page are kept beside the other benchmarks' results.
    raw = (RESULTS if args.write_docs else OUT) / f"client_capacity-{stamp}.json"
    meta = run_meta(args, argv, plan, baselines, server_total(results), source_at_start, raw)
    write_raw(raw, meta, summary, results)
    emit(markdown_report(meta, summary), args.write_docs)
    return 0


def emit(report: str, write_docs: bool) -> None:
    print(report)
    if write_docs:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        tmp_doc = DOC.with_suffix(".tmp")
        tmp_doc.write_text(report)
        tmp_doc.replace(DOC)
        print(f"wrote {DOC.relative_to(REPO)}", file=sys.stderr)


def rerender(raw_path: Path, write_docs: bool) -> int:
    """Summarise the measured runs of a raw JSON again (same figures, current report logic)."""
    data = json.loads(raw_path.read_text())
    meta = data["meta"]
    results = [ClientResult(**r) for r in data["runs"]]
    truth = Truth(meta["server"]["ttft_ms"], meta["server"]["itl_ms"], meta["server"]["tokens"])
    summary = summarise(results, meta["baseline_cpu_s"], truth, meta["levels"], meta["clients"])
    meta["requests_per_level"] = {int(k): v for k, v in meta["requests_per_level"].items()}
    emit(markdown_report(meta, summary), write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
