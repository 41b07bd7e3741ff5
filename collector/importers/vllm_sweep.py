"""A `vllm bench sweep serve` output folder -> its `run=N.json` result files (the levels of one import).

Layout, from vLLM's own code (vllm/benchmarks/sweep/serve.py, vLLM 0.32): OUTPUT_DIR/EXPERIMENT/ holds one
folder per parameter combination, named 'SERVE-<serve params>-BENCH-<bench params>' (either part absent
when its params were not given), with `run=0.json`, `run=1.json`, ... (one `vllm bench serve --save-result`
result each, the combination's parameters and `run_number` merged into it), `summary.json` (the same runs as a
list), `warmup.json` (unmeasured, --warmup-num-prompts) and `run=N.failure.json` (--continue-on-error); the
experiment folder adds `summary.csv` and 'SERVE-...-failure.json'. Only the `run=N.json` files are levels:
each carries its own settings (max_concurrency, request_rate, the merged parameters), and repeated runs of a
combination become trials. Different server settings are different runs, so one import takes one.
"""

from __future__ import annotations

import re
from pathlib import Path

from collector.importers.common import ImportFormatError

_RUN_FILE = re.compile(r"^run=(\d+)\.json$")
SWEEP_NOTE = (
    "Read from a `vllm bench sweep serve` folder: one level per run=N.json (its combination's parameters "
    "and run_number kept under vLLM's names); warmup.json, summary.json/csv and failure files are not levels."
)


def _serve_part(folder: Path) -> str:
    """The 'SERVE-...' part of a combination folder's name ('' when no serve parameters were swept)."""
    name = folder.name
    if not name.startswith("SERVE-"):
        return ""
    return name.split("-BENCH-", 1)[0]


def sweep_files(folder: Path) -> tuple[list[Path], list[str]]:
    """The result files of a sweep folder (an experiment folder or one combination folder), and notes."""
    runs = sorted(p for p in folder.rglob("run=*.json") if _RUN_FILE.match(p.name))
    if not runs:
        raise ImportFormatError(
            str(folder), "no run=N.json files; is this a `vllm bench sweep serve` output folder?"
        )
    serve = sorted({_serve_part(p.parent) for p in runs})
    if len(serve) > 1:
        raise ImportFormatError(
            str(folder),
            f"the sweep ran {len(serve)} server settings ({', '.join(s or '(none)' for s in serve)}); "
            "import the combination folders of one server setting at a time",
        )
    notes = [SWEEP_NOTE]
    failures = sorted(p.name for p in folder.rglob("*failure.json"))
    if failures:
        notes.append(
            f"The sweep recorded {len(failures)} failed run(s) (not imported): {', '.join(failures)}."
        )
    return runs, notes
