"""Cluster capacity: do N client actors carry a load that one client process cannot? (issue 20, part 2)

Against ONE timing-server process with exactly known timing (default TTFT 150 ms, 12 ms between tokens, 40
tokens), at one closed-loop level heavy enough to saturate a single client process (default 2048 users),
this runs in ONE invocation:
  single   inferboard collect ...                                   (one client process)
  cluster  inferboard collect ... --cluster ray --actors-per-host N (N Ray actors; a local Ray is started)
and reports for each: output throughput against the ideal (every request taking exactly TTFT + 39 ITL),
TTFT p50 and TPOT p50 error against the truth, and the client self-check (saturated, worst CPU); then the
capacity ratio = cluster throughput / single throughput, both measured here, in this run.

Needs Ray in the interpreter that runs it (pip install -e .[cluster]). Writes
benchmarks/out/cluster_capacity-<UTC>.json and, with --write-docs, docs/benchmarks-cluster.md.

  python benchmarks/cluster_capacity.py                         # 4 actors, 2048 users
  python benchmarks/cluster_capacity.py --actors 8 --users 4096 --write-docs
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_lib
from bench_lib import OUT, ideal_throughput, start_server

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "benchmarks-cluster.md"


def collect(url: str, out: Path, args: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    """One `inferboard collect` in its own process; the level's figures from the run file it wrote."""
    cmd = [sys.executable, "-c", "from collector.cli.main import main; main()", "collect"]
    cmd += ["--endpoint", url, "--backend", "openai", "--concurrency", str(args.users)]
    cmd += ["--requests", str(args.requests or 3 * args.users), "--input-tokens", "8"]
    cmd += ["--output-tokens", str(args.tokens), "--warmup", "0", "--client-cpus", "off"]
    cmd += ["--out", str(out), "--no-progress", *extra]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=bench_lib.CHILD_TIMEOUT_S)
    runs = sorted(out.glob("*.json"))
    if done.returncode != 0 or not runs:
        raise SystemExit(f"collect failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    record = json.loads(runs[-1].read_text())
    level = record["results"][0]
    client = level.get("client") or {}
    cluster = level.get("cluster") or {}
    return {
        "completed": level["completed"],
        "failed": level["failed"],
        "throughput_tok_s": level["output_throughput_tok_s"],
        "ttft_p50_ms": (level.get("ttft_ms") or {}).get("p50"),
        "tpot_p50_ms": (level.get("tpot_ms") or {}).get("p50"),
        "saturated": bool(client.get("saturated")),
        "client_cpu_percent": client.get("cpu_percent"),
        "start_skew_ms": cluster.get("start_skew_ms"),
        "saturated_actors": cluster.get("saturated_actors"),
        "run_file": str(runs[-1]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--actors", type=int, default=4, help="client actors in the cluster run")
    parser.add_argument("--users", type=int, default=2048, help="closed-loop users of the one level")
    parser.add_argument("--requests", type=int, default=0, help="requests (default: 3 per user)")
    parser.add_argument("--ttft-ms", type=float, default=150.0)
    parser.add_argument("--itl-ms", type=float, default=12.0)
    parser.add_argument("--tokens", type=int, default=40)
    parser.add_argument("--server-cpu", type=int, default=None, help="pin the timing server to this CPU")
    parser.add_argument("--write-docs", action="store_true", help=f"write {DOC.relative_to(REPO)}")
    args = parser.parse_args()

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    work = OUT / f"cluster_capacity-{stamp}"
    server = start_server(args.ttft_ms, args.itl_ms, args.tokens, cpu=args.server_cpu, realtime=True)
    try:
        single = collect(server.base_url, work / "single", args, [])
        cluster = collect(
            server.base_url,
            work / "cluster",
            args,
            ["--cluster", "ray", "--actors-per-host", str(args.actors)],
        )
    finally:
        server.stop()
    ideal = ideal_throughput(args.users, args.ttft_ms, args.itl_ms, args.tokens)
    report = {
        "date": stamp,
        "machine": f"{platform.node()} ({os.cpu_count()} CPUs, {platform.platform()})",
        "source": bench_lib.source_state(),
        "command": " ".join(sys.argv),
        "truth": {"ttft_ms": args.ttft_ms, "itl_ms": args.itl_ms, "tokens": args.tokens},
        "users": args.users,
        "actors": args.actors,
        "ideal_throughput_tok_s": ideal,
        "single": single,
        "cluster": cluster,
        "capacity_ratio": cluster["throughput_tok_s"] / single["throughput_tok_s"]
        if single["throughput_tok_s"]
        else None,
    }
    (OUT / f"cluster_capacity-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    text = render(report)
    print(text)
    if args.write_docs:
        DOC.write_text(text)


def render(report: dict[str, Any]) -> str:
    truth, ideal = report["truth"], report["ideal_throughput_tok_s"]
    lines = [
        "# Benchmark: client actors on Ray vs one client process",
        "",
        f"Written by `{report['command']}` on {report['date']}, {report['machine']}; {report['source']}.",
        "",
        f"One closed-loop level of {report['users']} users against the timing server (TTFT "
        f"{truth['ttft_ms']:g} ms, ITL {truth['itl_ms']:g} ms, {truth['tokens']} tokens; ideal output "
        f"throughput {ideal:,.0f} tok/s), measured once by one client process and once by "
        f"{report['actors']} client actors on a local Ray (`--cluster ray --actors-per-host "
        f"{report['actors']}`), in one run.",
        "",
        "| client | completed | output tok/s | of ideal | TTFT p50 error ms | TPOT p50 error ms "
        "| saturated |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("single", "cluster"):
        r = report[name]
        ttft = None if r["ttft_p50_ms"] is None else r["ttft_p50_ms"] - truth["ttft_ms"]
        tpot = None if r["tpot_p50_ms"] is None else r["tpot_p50_ms"] - truth["itl_ms"]
        share = r["throughput_tok_s"] / ideal
        lines.append(
            f"| {name} | {r['completed']} | {r['throughput_tok_s']:,.0f} | {share:.0%} "
            f"| {_num(ttft)} | {_num(tpot)} | {'yes' if r['saturated'] else 'no'} |"
        )
    ratio = report["capacity_ratio"]
    lines += ["", f"Capacity ratio (cluster / single output throughput): **{_num(ratio, 2)}**.", ""]
    return "\n".join(lines)


def _num(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


if __name__ == "__main__":
    main()
