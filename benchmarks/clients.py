"""One runner per benchmark client: floor, inferboard collect, guidellm, aiperf.

Each runner starts the client as its own process (pinned with taskset by ``bench_lib.run_child``), waits for
it, and reads the figures the client itself reports from its output file, so what we compare is what a user
of that tool would see. Every runner returns a ``ClientResult`` with the same fields.

TPOT here means inferboard's definition, (E2E - TTFT) / (n - 1). guidellm calls that quantity
``inter_token_latency_ms`` (its own ``time_per_output_token_ms`` includes the first token) and aiperf calls
it ``inter_token_latency``; those are the fields read.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench_lib import HERE, OUT, ChildRun, TimingServer, run_child

PEERS_VENV = HERE / ".venv-peers"
TOKENIZER_DIR = OUT / "tokenizer"
INPUT_TOKENS = 8


@dataclass
class ClientResult:
    client: str
    concurrency: int
    requests: int
    trial: int
    ok: bool
    error: str | None = None
    completed: int = 0
    failed: int = 0
    ttft_p50_ms: float | None = None
    ttft_p99_ms: float | None = None
    tpot_p50_ms: float | None = None
    throughput_tok_s: float | None = None
    chunks: int = 0
    cpu_s: float | None = None  # whole client process (and the children it reaped)
    wall_s: float | None = None
    self_report: dict[str, Any] = field(default_factory=dict)  # the client's own health figures, if any
    server: dict[str, Any] = field(default_factory=dict)  # timing-server lateness during this run

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fail(name: str, c: int, r: int, trial: int, run: ChildRun, why: str) -> ClientResult:
    tail = (run.stderr or run.stdout).strip().splitlines()[-5:]
    return ClientResult(
        name,
        c,
        r,
        trial,
        ok=False,
        error=f"{why}: {' | '.join(tail)}"[:800],
        cpu_s=run.cpu_s,
        wall_s=run.wall_s,
    )


# ---- floor ------------------------------------------------------------------------------------------------


def run_floor(
    server: TimingServer, c: int, requests: int, trial: int, cpu: int | str | None, processes: int = 1
) -> ClientResult:
    cmd = [
        sys.executable,
        str(HERE / "floor_client.py"),
        "--port",
        str(server.port),
        "--concurrency",
        str(c),
        "--requests",
        str(requests),
        "--max-tokens",
        str(server.tokens),
        "--processes",
        str(processes),
    ]
    run = run_child(cmd, cpu=cpu)
    if run.returncode != 0:
        return _fail("floor", c, requests, trial, run, f"exit {run.returncode}")
    d = json.loads(run.stdout)
    return ClientResult(
        "floor",
        c,
        requests,
        trial,
        ok=d["failed"] == 0,
        completed=d["completed"],
        failed=d["failed"],
        ttft_p50_ms=d["ttft_ms"]["p50"],
        ttft_p99_ms=d["ttft_ms"]["p99"],
        tpot_p50_ms=d["tpot_ms"]["p50"],
        throughput_tok_s=d["output_throughput_tok_s"],
        chunks=d["chunks"],
        cpu_s=run.cpu_s,
        wall_s=run.wall_s,
        self_report={"cpu_s_in_loop": d["cpu_s_in_loop"]},
    )


# ---- inferboard collect -----------------------------------------------------------------------------------


def inferboard_command() -> list[str]:
    """`inferboard` from this interpreter's environment (override with INFERBOARD_CMD="...")."""
    if os.environ.get("INFERBOARD_CMD"):
        return os.environ["INFERBOARD_CMD"].split()
    script = Path(sys.executable).parent / "inferboard"
    if script.exists():
        return [str(script)]
    found = shutil.which("inferboard")
    return [found] if found else [sys.executable, "-c", "from collector.cli import main; main()"]


def inferboard_available() -> bool:
    run = run_child([*inferboard_command(), "collect", "--help"], timeout_s=60)
    return run.returncode == 0 and "--endpoint" in run.stdout


def run_inferboard(
    server: TimingServer,
    c: int,
    requests: int,
    trial: int,
    cpu: int | str | None,
    processes: int = 1,
    extra_args: list[str] | None = None,
) -> ClientResult:
    with tempfile.TemporaryDirectory(prefix="ib-cap-") as tmp:
        cmd = [
            *inferboard_command(),
            "collect",
            "--endpoint",
            server.base_url,
            "--backend",
            "openai",
            "--model",
            "timing",
            "--concurrency",
            str(c),
            "--requests",
            str(requests),
            "--output-tokens",
            str(server.tokens),
            "--input-tokens",
            str(INPUT_TOKENS),
            "--out",
            tmp,
            # No warm-up: the floor and the peers get none either, so all see the same workload.
            "--warmup",
            "0",
            *(["--workers", str(processes)] if processes > 1 else []),
            *(extra_args or []),
        ]
        run = run_child(cmd, cpu=cpu, env={**os.environ, "NO_COLOR": "1"})
        files = sorted(glob.glob(os.path.join(tmp, "*.json")))
        if run.returncode != 0 or not files:
            return _fail(
                "inferboard", c, requests, trial, run, f"exit {run.returncode}, {len(files)} run file(s)"
            )
        record = json.loads(Path(files[-1]).read_text())
    level = record["results"][0]
    ok = level["failed"] == 0 and level.get("ttft_ms") is not None
    return ClientResult(
        "inferboard",
        c,
        requests,
        trial,
        ok=ok,
        completed=level["completed"],
        failed=level["failed"],
        error=None if ok else f"failed={level['failed']} errors={level.get('errors')}",
        ttft_p50_ms=(level.get("ttft_ms") or {}).get("p50"),
        ttft_p99_ms=(level.get("ttft_ms") or {}).get("p99"),
        tpot_p50_ms=(level.get("tpot_ms") or {}).get("p50"),
        throughput_tok_s=level["output_throughput_tok_s"],
        chunks=level["completed"] * server.tokens,
        cpu_s=run.cpu_s,
        wall_s=run.wall_s,
        self_report=level.get("client") or {},
    )


# ---- guidellm ---------------------------------------------------------------------------------------------


def peers_ready() -> bool:
    return (
        (PEERS_VENV / "bin" / "guidellm").exists()
        and (PEERS_VENV / "bin" / "aiperf").exists()
        and (TOKENIZER_DIR / "tokenizer.json").exists()
    )


def guidellm_scenario(base_url: str, c: int, requests: int, tokens: int, out_json: Path) -> dict[str, Any]:
    """guidellm 0.8 scenario: closed loop (`concurrent`, C streams), fixed output length, streaming."""
    return {
        "metadata": {"name": f"inferboard-capacity-c{c}"},
        "spec": {
            "backend": {
                "kind": "openai_http",
                "target": base_url,
                "model": "timing",
                "request_format": "/v1/completions",
                "http2": False,
                "stream": True,
                "max_tokens": tokens,
                "extras": {"body": {"ignore_eos": True}},
            },
            "profile": {"kind": "concurrent", "streams": [c]},
            "constraints": [{"kind": "max_requests", "count": requests}],
            "tokenizer": {"kind": "huggingface_auto", "model": str(TOKENIZER_DIR)},
            "data": [{"kind": "synthetic_text", "prompt_tokens": INPUT_TOKENS, "output_tokens": tokens}],
            "outputs": [{"kind": "json", "path": str(out_json)}],
        },
    }


def run_guidellm(server: TimingServer, c: int, requests: int, trial: int, cpu: int | None) -> ClientResult:
    with tempfile.TemporaryDirectory(prefix="gl-cap-") as tmp:
        out_json = Path(tmp) / "benchmarks.json"
        scenario = Path(tmp) / "scenario.json"
        scenario.write_text(
            json.dumps(guidellm_scenario(server.base_url, c, requests, server.tokens, out_json))
        )
        cmd = [
            str(PEERS_VENV / "bin" / "guidellm"),
            "run",
            "--scenario",
            str(scenario),
            "--disable-console-interactive",
        ]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "NO_COLOR": "1"}
        run = run_child(cmd, cpu=cpu, env=env, cwd=Path(tmp))
        if run.returncode != 0 or not out_json.exists():
            return _fail("guidellm", c, requests, trial, run, f"exit {run.returncode}")
        bench = json.loads(out_json.read_text())["benchmarks"][0]
    m = bench["metrics"]
    totals = m["request_totals"]
    ok = totals["errored"] == 0 and totals["incomplete"] == 0 and totals["successful"] > 0

    def stat(name: str, key: str) -> float:
        s = m[name]["successful"]
        return float(s["median"] if key == "p50" else s["percentiles"][key])

    return ClientResult(
        "guidellm",
        c,
        requests,
        trial,
        ok=ok,
        completed=totals["successful"],
        failed=totals["errored"] + totals["incomplete"],
        error=None if ok else f"request_totals={totals}",
        ttft_p50_ms=stat("time_to_first_token_ms", "p50"),
        ttft_p99_ms=stat("time_to_first_token_ms", "p99"),
        tpot_p50_ms=stat("inter_token_latency_ms", "p50"),
        throughput_tok_s=float(m["output_tokens_per_second"]["successful"]["mean"]),
        chunks=int(m["output_token_count"]["successful"]["total_sum"]),
        cpu_s=run.cpu_s,
        wall_s=run.wall_s,
    )


# ---- aiperf -----------------------------------------------------------------------------------------------


def aiperf_command(base_url: str, c: int, requests: int, tokens: int, artifact_dir: Path) -> list[str]:
    """aiperf 0.13: closed loop `--concurrency C`, fixed OSL (max_tokens, ignore_eos), server counts."""
    return [
        str(PEERS_VENV / "bin" / "aiperf"),
        "profile",
        "--model",
        "timing",
        "--url",
        base_url,
        "--endpoint-type",
        "completions",
        "--streaming",
        "--concurrency",
        str(c),
        "--request-count",
        str(requests),
        "--isl",
        str(INPUT_TOKENS),
        "--osl",
        str(tokens),
        "--extra-inputs",
        "ignore_eos:true",
        "--use-legacy-max-tokens",
        "--use-server-token-count",
        "--tokenizer",
        str(TOKENIZER_DIR),
        "--artifact-dir",
        str(artifact_dir),
        "--ui",
        "none",
        "--no-auto-plot",
    ]


def run_aiperf(server: TimingServer, c: int, requests: int, trial: int, cpu: int | None) -> ClientResult:
    with tempfile.TemporaryDirectory(prefix="ap-cap-") as tmp:
        art = Path(tmp) / "artifacts"
        # aiperf refuses a local tokenizer path under HF_HUB_OFFLINE=1; a local path needs no network anyway.
        env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
        env["NO_COLOR"] = "1"
        run = run_child(
            aiperf_command(server.base_url, c, requests, server.tokens, art), cpu=cpu, env=env, cwd=Path(tmp)
        )
        export = art / "profile_export_aiperf.json"
        if run.returncode != 0 or not export.exists():
            return _fail("aiperf", c, requests, trial, run, f"exit {run.returncode}")
        d = json.loads(export.read_text())
    completed = int(d["request_count"]["avg"])
    errors = d.get("error_summary") or []
    failed = sum(int(e.get("count", 1)) for e in errors) if isinstance(errors, list) else 0
    ok = completed > 0 and failed == 0
    return ClientResult(
        "aiperf",
        c,
        requests,
        trial,
        ok=ok,
        completed=completed,
        failed=failed,
        error=None if ok else f"error_summary={errors}"[:800],
        ttft_p50_ms=d["time_to_first_token"]["p50"],
        ttft_p99_ms=d["time_to_first_token"]["p99"],
        tpot_p50_ms=d["inter_token_latency"]["p50"],
        throughput_tok_s=d["output_token_throughput"]["avg"],
        chunks=int(d["output_sequence_length"]["sum"]),
        cpu_s=run.cpu_s,
        wall_s=run.wall_s,
    )


RUNNERS = {"floor": run_floor, "inferboard": run_inferboard, "guidellm": run_guidellm, "aiperf": run_aiperf}
