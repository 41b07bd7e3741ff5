"""Build benchmark: time `inferboard build` on N runs (N = 1,000 ... 30,000; 8 load levels each).

Two kinds of runs, both generated in a temporary folder, labelled 'benchmark-fixture' and never written
into runs/: `synthetic` runs whose numbers follow a formula (schema-valid stand-ins), and `realistic`
replicas of the committed real runs (benchmarks/build_replicas.py: quality answers, server metrics,
telemetry, repeated trials, half of them sharing one model's weights, ~40 model names). Only the build
time, the build's peak memory (ru_maxrss of the build process), the time of each build stage
(INFERBOARD_BUILD_PROFILE) and the page sizes reported here are measured. Usage:

    python benchmarks/build_speed.py [--sizes 1000,3000,10000,30000] [--kinds synthetic,realistic]
        [--report docs/benchmarks-build.md]

A page's weight is what a first visit downloads besides the shared theme and plotly.js: its HTML plus
the data assets (assets/ib/data/*.js) its script loads for the default view.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from collector.schema import SCHEMA_VERSION, parse_run

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_replicas import make_replicas
from build_speed_report import report

LEVELS = (1, 2, 4, 8, 16, 32, 64, 128)
BACKENDS = [
    ("vllm", "0.6.3"),
    ("sglang", "0.3.5"),
    ("lmdeploy", "0.6.2"),
    ("tensorrt-llm", "0.15.0"),
    ("tgi", "2.4.0"),
    ("llama.cpp", "b4000"),
]
MODELS = [
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.1-70B-Instruct",
    "Qwen/Qwen2.5-7B-Instruct",
    "mistralai/Mistral-7B-Instruct-v0.3",
]
GPUS = [
    ("NVIDIA H100 80GB HBM3", 1),
    ("NVIDIA H100 80GB HBM3", 8),
    ("NVIDIA A100-SXM4-80GB", 1),
    ("NVIDIA L40S", 2),
]


def _summary(center: float, spread: float) -> dict[str, Any]:
    return {
        "count": 64,
        "mean": center,
        "std": center * spread / 2,
        "min": center * (1 - spread),
        "max": center * (1 + 2 * spread),
        "p50": center,
        "p90": center * (1 + spread),
        "p95": center * (1 + 1.3 * spread),
        "p99": center * (1 + 1.8 * spread),
    }


def _synthetic_level(c: int, speed: float, gpus: int, rng: random.Random) -> dict[str, Any]:
    """One load level of a synthetic run: figures from a formula of the level and the backend's speed."""
    tpot = 10 / speed * (1 + 0.04 * c)
    ttft = 40 / speed * (1 + 0.1 * c)
    e2e = ttft + 255 * tpot
    tput = c * 256 / (e2e / 1000)
    return {
        "concurrency": c,
        "request_rate": None,
        "completed": 128,
        "failed": 0,
        "duration_s": 128 * e2e / 1000 / c,
        "ttft_ms": _summary(ttft, 0.3),
        "tpot_ms": _summary(tpot, 0.1),
        "itl_ms": _summary(tpot, 0.3),
        "e2e_ms": _summary(e2e, 0.1),
        "per_user_tok_s": _summary(1000 / tpot, 0.1),
        "itl_quantiles_ms": [round(tpot * (0.5 + q / 100), 3) for q in range(101)],
        "output_throughput_tok_s": tput,
        "output_throughput_per_gpu_tok_s": tput / gpus,
        "request_throughput_rps": tput / 256,
        "input_tokens_total": 128 * 1024,
        "output_tokens_total": 128 * 256,
        "energy": {
            "method": "nvml-energy-counter",
            "joules": 1000.0,
            "joules_per_output_token": 0.3 / speed,
            "samples": 20,
            "valid": True,
        },
        "requests": [
            {
                "scheduled_ms": k * 3.0,
                "sent_ms": k * 3.0,
                "status": "ok",
                "ttft_ms": round(ttft * rng.uniform(0.8, 1.5), 2),
                "e2e_ms": round(e2e, 2),
                "tpot_ms": round(tpot, 3),
                "output_tokens": 256,
                "chunks": 256,
            }
            for k in range(32)
        ],
    }


def synthetic_run(i: int, rng: random.Random) -> dict[str, Any]:
    backend, version = BACKENDS[i % len(BACKENDS)]
    gpu_name, gpus = GPUS[(i // len(BACKENDS)) % len(GPUS)]
    model = MODELS[(i // 3) % len(MODELS)]
    speed = rng.uniform(0.5, 2.0)
    created = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=i)
    results = [_synthetic_level(c, speed, gpus, rng) for c in LEVELS]
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": f"bench{i:07d}",
        "created_at": created.isoformat(),
        "origin": {"kind": "measured"},
        "collector": {"version": "0.1.0"},
        "command": ["inferboard", "collect", "--concurrency", ",".join(map(str, LEVELS))],
        "backend": {"name": backend, "version": version, "endpoint": "http://127.0.0.1:8000"},
        "launch": {"mode": "external"},
        "model": {"name": model, "weights": "real"},
        "quantization": {"format": "FP8" if i % 2 else "BF16"},
        "hardware": {
            "accelerator": "gpu",
            "host": {"python": "3.11"},
            "gpu_count": gpus,
            "nvml_available": True,
            "gpus": [{"index": g, "name": gpu_name} for g in range(gpus)],
        },
        "software": {"python": "3.11", "platform": "benchmark-fixture"},
        "workload": {
            "api": "completions",
            "input_tokens": 1024,
            "output_tokens": 256,
            "input_length_method": "approximate",
            "ignore_eos": True,
            "seed": i,
            "mode": "concurrency",
            "timeouts": {"connect_s": 10, "read_s": 60, "total_s": 600},
        },
        "results": results,
        "telemetry": {
            "available": True,
            "sample_hz": 1.0,
            "samples": [
                {"t_s": float(t), "gpu": 0, "power_w": 300.0 + t % 50, "util_pct": 90.0} for t in range(120)
            ],
        },
        "labels": ["benchmark-fixture"],
        "notes": ["Synthetic benchmark fixture: numbers follow a formula; not a measurement."],
    }


def make_runs(folder: Path, n: int) -> None:
    rng = random.Random(n)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        data = synthetic_run(i, rng)
        parse_run(data, f"synthetic run {i}")  # schema-valid by construction; checked anyway
        (folder / f"bench{i:07d}.json").write_text(json.dumps(data), encoding="utf-8")


class BuildFailed(Exception):
    def __init__(self, code: int, seconds: float, peak_mib: float, tail: str) -> None:
        super().__init__(f"exit code {code}")
        self.code, self.seconds, self.peak_mib, self.tail = code, seconds, peak_mib, tail


def peak_mib_of(usage: Any) -> float:
    """ru_maxrss in MiB (Linux counts KiB, macOS bytes)."""
    return float(usage.ru_maxrss) / (2**20 if sys.platform == "darwin" else 1024)


def run_build(runs: Path, site: Path, docs: Path) -> tuple[float, float, dict[str, float]]:
    """Build in a child process: (wall seconds, its peak resident memory in MiB, seconds per stage)."""
    command = [
        sys.executable,
        "-c",
        "from collector.cli import main; main()",
        "build",
        "--runs",
        str(runs),
        "--site",
        str(site),
        "--docs-dir",
        str(docs),
    ]
    env = {**os.environ, "INFERBOARD_BUILD_PROFILE": "1"}
    log = docs.with_name(docs.name + ".log")
    started = time.perf_counter()
    with log.open("w+", encoding="utf-8") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, text=True)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, not every child's maximum
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read()
    if child.returncode != 0:
        # Reported, not fatal: a 30,000-run build may be killed for memory; the smaller sizes still count.
        raise BuildFailed(child.returncode, seconds, peak_mib_of(usage), text[-3000:])
    peak_mib = peak_mib_of(usage)
    found = list(re.finditer(r"^inferboard-build-stage (\S+) ([\d.]+)(?: (\d+))?$", text, re.M))
    stages = {m[1]: float(m[2]) for m in found}
    stage_peaks = {m[1]: float(m[3]) for m in found if m[3]}
    return seconds, peak_mib, {**stages, **{f"peak:{k}": v for k, v in stage_peaks.items()}}


def _timed(result: tuple[float, float, dict[str, float]]) -> dict[str, Any]:
    seconds, peak_mib, stages = result
    return {"seconds": seconds, "peak_mib": peak_mib, "stages": stages, "load_avg": os.getloadavg()[0]}


def _add_one_run(runs: Path) -> None:
    """A new run lands: a copy of the first run under a new id (its own page, downloads and rows)."""
    first = min(runs.glob("*.json"))
    data = json.loads(first.read_text(encoding="utf-8"))
    data["run_id"] = "added-after-the-first-build"
    (runs / "zz-added.json").write_text(json.dumps(data), encoding="utf-8")


def time_build(n: int, work: Path, kind: str = "synthetic") -> dict[str, Any]:
    runs, site, docs = work / f"runs-{kind}-{n}", work / f"site-{kind}-{n}", work / f"docs-{kind}-{n}"
    if kind == "realistic":
        make_replicas(runs, n)
    else:
        make_runs(runs, n)
    first_run = "real0000000" if kind == "realistic" else "bench0000000"
    try:
        seconds, peak_mib, stages = run_build(runs, site, docs)  # cold: the cache beside the site is empty
        load_1min = os.getloadavg()[0]  # other work on the machine slows the build; say how busy it was
        again = _timed(run_build(runs, site, docs))  # nothing changed: every run from the cache
        _add_one_run(runs)
        added = _timed(run_build(runs, site, docs))  # one run landed: the CI rebuild
    except BuildFailed as failed:
        why = "killed (SIGKILL: out of memory?)" if failed.code == -9 else f"exit code {failed.code}"
        print(f"build of {n} {kind} runs failed, {why}:\n{failed.tail}", file=sys.stderr)
        return {
            "kind": kind,
            "runs": n,
            "failed": why,
            "seconds": failed.seconds,
            "peak_mib": failed.peak_mib,
        }

    def size(rel: str) -> int:
        return (site / rel).stat().st_size

    data_files = list((site / "assets" / "ib" / "data").glob("*.js"))
    charts_index = _data_src(site, "charts/index.html")
    compare_index = _data_src(site, "compare/index.html")
    board_index = _data_src(site, "leaderboard/index.html")
    default_scope = _load_data(site, charts_index)["scopes"][0]["src"]
    compare = _load_data(site, compare_index)
    first_two = [
        compare["src"].replace("{slug}", row[0]).replace("{digest}", row[-1]) for row in compare["runs"][:2]
    ]
    board = _load_data(site, board_index)
    view, klass = board["default_view"], board["default_class"]
    default_set = next(
        s["src"]
        for s in board["sets"]
        if (klass == "all" or s["klass"] == klass) and all(s[k] == v for k, v in view.items())
    )
    return {
        "kind": kind,
        "runs": n,
        "levels": n * len(LEVELS),
        "unchanged": again,
        "one_added": added,
        "peak_mib": peak_mib,
        "stages": stages,
        "load_avg": load_1min,
        "seconds": seconds,
        "home_kib": (size("index.html") + size(_data_src(site, "index.html"))) / 1024,
        "leaderboard_kib": (size("leaderboard/index.html") + size(board_index) + size(default_set)) / 1024,
        "charts_kib": (size("charts/index.html") + size(charts_index) + size(default_scope)) / 1024,
        "compare_kib": (size("compare/index.html") + size(compare_index) + sum(size(m) for m in first_two))
        / 1024,
        "all_runs_kib": size("runs/index.html") / 1024,
        "run_page_kib": size(f"runs/{first_run}/index.html") / 1024,
        "largest_data_kib": max(p.stat().st_size for p in data_files) / 1024,
        "data_total_kib": sum(p.stat().st_size for p in data_files) / 1024,
        "plotly_kib": size("assets/ib/plotly-basic.min.js") / 1024,
    }


def _data_src(site: Path, page: str) -> str:
    """The data asset a page points at (`data-src` of its .ib-data element), relative to the site root."""
    html = (site / page).read_text(encoding="utf-8")
    match = re.search(r'class="ib-data"[^>]*data-src="([^"]+)"', html)
    if not match:
        raise SystemExit(f"{page}: no data asset reference found")
    return match.group(1)


def _load_data(site: Path, rel: str) -> Any:
    text = (site / rel).read_text(encoding="ascii")
    return json.loads(text[text.index("] = ") + 4 : text.rstrip().rindex(";")])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,3000,10000,30000", help="comma-separated run counts")
    parser.add_argument("--kinds", default="synthetic,realistic", help="synthetic and/or realistic runs")
    parser.add_argument("--raw", type=Path, default=None, help="also write one JSON line per size here")
    parser.add_argument("--report", type=Path, default=None, help="write the Markdown report here")
    parser.add_argument(
        "--from-raw", type=Path, default=None, help="measure nothing: report the JSON lines of this file"
    )
    args = parser.parse_args()
    if args.from_raw:
        lines = args.from_raw.read_text(encoding="utf-8").splitlines()
        _write_report([json.loads(line) for line in lines if line.strip()], args.report)
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="ib-build-bench-") as tmp:
        for kind, n in [(k, int(s)) for k in args.kinds.split(",") for s in args.sizes.split(",")]:
            row = time_build(n, Path(tmp), kind)
            shutil.rmtree(Path(tmp), ignore_errors=True)  # 30,000 replicas take gigabytes
            Path(tmp).mkdir(exist_ok=True)
            print(json.dumps(row), flush=True)
            rows.append(row)
            if args.raw:
                args.raw.parent.mkdir(parents=True, exist_ok=True)
                with args.raw.open("a", encoding="utf-8") as raw:
                    raw.write(json.dumps(row) + "\n")
    _write_report(rows, args.report)


def _write_report(rows: list[dict[str, Any]], path: Path | None) -> None:
    text = report(rows)
    if path:
        tmp_path = path.with_suffix(".tmp")
        tmp_path.write_text(text, encoding="utf-8")
        tmp_path.replace(path)
    else:
        print(text)


if __name__ == "__main__":
    main()
