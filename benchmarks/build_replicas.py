"""Realistic build-benchmark runs: replicas of the committed real runs in runs/ (issue 24).

Each replica is a committed run (quality answers, server metrics, per-request records, telemetry, repeated
trials) copied with a new run id, spread over 8 load levels and ~40 model names, and labelled
'benchmark-fixture'. Half of them keep the template's own weights, so one popular model gathers thousands
of runs in one agreement group: the case that made the old agreement pass quadratic. The numbers are
copies of measurements, not new measurements; the replicas live in a temporary folder, never in runs/.
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from collector.schema import parse_run

LEVELS = (1, 2, 4, 8, 16, 32, 64, 128)
MODEL_NAMES = 40  # the popular model (the templates' own weights) plus 39 others
TRIAL_EVERY = 4  # one replica in four keeps every trial of its template; the others keep the first only
RUNS = Path(__file__).parents[1] / "runs"


def templates(runs_dir: Path = RUNS) -> list[dict[str, Any]]:
    """The committed runs, parsed once, in name order."""
    found = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(runs_dir.glob("*.json"))]
    if not found:
        raise SystemExit(f"{runs_dir}: no committed runs to replicate")
    return found


def _spread_levels(template: dict[str, Any], all_trials: bool) -> tuple[list[Any], list[Any]]:
    """Results and repeat summaries over LEVELS: level k copies the template's level k mod its count."""
    own = sorted({(r["concurrency"], r["request_rate"]) for r in template["results"]}, key=str)
    results, summaries = [], []
    for k, c in enumerate(LEVELS):
        source = own[k % len(own)]
        for r in template["results"]:
            if (r["concurrency"], r["request_rate"]) == source and (all_trials or r.get("trial", 0) == 0):
                results.append({**copy.deepcopy(r), "concurrency": c, "request_rate": None})
        for s in template.get("repeat_summaries") or []:
            if all_trials and (s["concurrency"], s["request_rate"]) == source:
                summaries.append({**copy.deepcopy(s), "concurrency": c, "request_rate": None})
    return results, summaries


def _other_weights(data: dict[str, Any], k: int) -> None:
    """Give a replica the k-th of the other model names: its own weights identity, no shared source."""
    name = f"bench-model-{k:02d}-Instruct"
    data["model"].update(
        name=name,
        source=None,
        upstream=f"benchmark-fixture/{name}",
        conversions=[],
        path=None,
        file_sha256=hashlib.sha256(name.encode()).hexdigest(),
    )


def replica(template: dict[str, Any], i: int) -> dict[str, Any]:
    data = copy.deepcopy(template)
    data["run_id"] = f"real{i:07d}"
    created = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=17 * i)
    for key in ("created_at", "started_at", "finished_at"):
        if data.get(key):
            data[key] = created.isoformat()
    data["results"], data["repeat_summaries"] = _spread_levels(template, i % TRIAL_EVERY == 0)
    if data.get("capacity") is not None:
        data["capacity"] = None  # a capacity search belongs to the template's own levels
    if i % 2:
        _other_weights(data, 1 + (i // 2) % (MODEL_NAMES - 1))
    data["labels"] = sorted({*data.get("labels", []), "benchmark-fixture"})
    data["notes"] = [*data.get("notes", []), "Build-benchmark replica of a committed run; not a measurement."]
    return data


def make_replicas(folder: Path, n: int) -> None:
    """Write n replicas; the first replica of each template is schema-checked (they share its shape)."""
    folder.mkdir(parents=True, exist_ok=True)
    found = templates()
    for i in range(n):
        data = replica(found[i % len(found)], i)
        if i < 2 * len(found):
            parse_run(data, f"replica {i}")
        (folder / f"real{i:07d}.json").write_text(json.dumps(data), encoding="utf-8")
