"""Decision views: which backend wins for a model x hardware x workload, at named operating points.

Pure functions over the level frame. Runs are only ranked within one class (real weights on GPU, CPU,
random weights, imported: never mixed). A winner's margin over the runner-up is called a tie when their
confidence intervals overlap; with no repeats there is no interval, and the view says so instead of
pretending a margin is significant.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from generator.tables import REAL_GPU_CLASS, class_label, short_backend, short_id


@dataclass(frozen=True)
class Score:
    """One run's value at one operating point, with its interval where the run has repeats."""

    slug: str
    label: str
    value: float
    low: float | None
    high: float | None
    trials: int
    where: str  # the load level (or interpolation) the value was read at


@dataclass(frozen=True)
class Ranking:
    point: str  # operating point title
    unit: str
    scores: list[Score]
    verdict: str  # "winner", "tie", "untested" (no intervals), "single"; capacity also "open"
    kind: str = "interval"  # "capacity": ranges are where the true capacity lies, not 95% intervals

    @property
    def margin_pct(self) -> float | None:
        if len(self.scores) < 2 or self.scores[1].value <= 0:
            return None
        return (self.scores[0].value / self.scores[1].value - 1.0) * 100.0


@dataclass
class Group:
    klass: str
    model: str
    hardware: str
    workload: str
    runs: int
    threshold: float | None
    rankings: list[Ranking] = field(default_factory=list)
    # per run: [label, slug, [[per-user tok/s, tok/s per device, level], ...]] for the editable threshold
    curves: list[list[Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.model} · {self.hardware} · {self.workload}"


Curve = list[dict[str, Any]]  # one run's complete level rows, ordered by load

# Optional operating points contributed by later features (e.g. capacity under an SLO): each maps one
# run's curve to a score or None; a point none of the runs has is left out of the view.
EXTRA_POINTS: list[tuple[str, str, Callable[[Curve, str, str], Score | None]]] = []


def _devices(row: dict[str, Any]) -> int:
    return max(int(row.get("devices") or 1), 1)


def _finite(value: Any) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(float(value))


def _trials(row: dict[str, Any]) -> int:
    for key in ("out_tok_s_n", "trials"):
        if _finite(row.get(key)):
            return int(row[key])
    return 1


def peak_score(curve: Curve, slug: str, label: str) -> Score | None:
    """Peak output throughput per GPU (per host on CPU) over the run's complete levels."""
    best: Score | None = None
    for row in curve:
        tok = row.get("out_tok_s")
        if tok is None or not _finite(tok):
            continue
        d = _devices(row)
        lo, hi = row.get("out_tok_s_lo"), row.get("out_tok_s_hi")
        score = Score(
            slug=slug,
            label=label,
            value=float(tok) / d,
            low=float(lo) / d if lo is not None and _finite(lo) else None,
            high=float(hi) / d if hi is not None and _finite(hi) else None,
            trials=_trials(row),
            where=str(row.get("level", "")),
        )
        if best is None or score.value > best.value:
            best = score
    return best


def at_interactivity(curve: Curve, slug: str, label: str, threshold: float) -> Score | None:
    """Highest throughput per GPU while per-user tok/s (p50) >= threshold, interpolated linearly between
    the two levels that straddle the threshold (the run's curve is assumed monotone between them)."""
    points = sorted(
        (float(r["user_tok_s"]), float(r["out_tok_s"]) / _devices(r), str(r.get("level", "")))
        for r in curve
        if _finite(r.get("user_tok_s")) and _finite(r.get("out_tok_s"))
    )
    best: tuple[float, str] | None = None
    for user, tput, level in points:
        if user >= threshold and (best is None or tput > best[0]):
            best = (tput, level)
    for (u1, t1, l1), (u2, t2, l2) in itertools.pairwise(points):
        if u1 < threshold <= u2 and u2 > u1:
            tput = t1 + (t2 - t1) * (threshold - u1) / (u2 - u1)
            if best is None or tput > best[0]:
                best = (tput, f"between {l1} and {l2}")
    if best is None:
        return None
    return Score(slug=slug, label=label, value=best[0], low=None, high=None, trials=1, where=best[1])


def _interactivity_points(curve: Curve) -> list[list[Any]]:
    return [
        [
            float(f"{float(r['user_tok_s']):.4g}"),
            float(f"{float(r['out_tok_s']) / _devices(r):.4g}"),
            str(r["level"]),
        ]
        for r in curve
        if _finite(r.get("user_tok_s")) and _finite(r.get("out_tok_s"))
    ]


def _verdict(scores: Sequence[Score]) -> str:
    if len(scores) < 2:
        return "single"
    first, second = scores[0], scores[1]
    if first.low is None or second.high is None:
        return "untested"
    return "tie" if first.low <= second.high else "winner"


def _rank(point: str, unit: str, scores: list[Score | None]) -> Ranking | None:
    kept = sorted((s for s in scores if s is not None), key=lambda s: -s.value)
    if not kept:
        return None
    return Ranking(point=point, unit=unit, scores=kept, verdict=_verdict(kept))


def default_threshold(frame: pd.DataFrame) -> float | None:
    """The interactivity target shown first: the median per-user speed of the group, to 2 digits."""
    values = [float(v) for v in frame["user_tok_s"] if _finite(v) and float(v) > 0]
    if not values:
        return None
    middle = sorted(values)[len(values) // 2]
    return float(f"{middle:.2g}")


def differing_label(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Per-run labels that name the backend and only the fields that differ inside the group."""
    labels = {}
    quants = {r["slug"]: str(r.get("quant", "")) for r in rows}
    vary_quant = len(set(quants.values())) > 1
    base = {r["slug"]: short_backend(str(r["backend"]), str(r["backend_version"])) for r in rows}
    counts: dict[str, int] = {}
    for slug in base:
        text = base[slug] + (f" · {quants[slug]}" if vary_quant else "")
        counts[text] = counts.get(text, 0) + 1
        labels[slug] = text
    for slug, text in labels.items():
        if counts[text] > 1:  # two runs of the same configuration: tell them apart by id
            labels[slug] = f"{text} · {short_id(slug)}"
    return labels


def decision_groups(levels: pd.DataFrame) -> list[Group]:
    """Every model x hardware x workload of every class, real-weight GPU runs first; nothing dropped."""
    if levels.empty:
        return []
    scope = levels[levels["status"] == "complete"]
    groups: list[Group] = []
    keys = ["klass", "model", "hardware", "workload"]
    for (klass, model, hardware, workload), part in scope.groupby(keys, sort=True):
        curves: dict[str, Curve] = {}
        for row in part.sort_values("load").to_dict("records"):
            curves.setdefault(str(row["slug"]), []).append(row)
        labels = differing_label([c[0] for c in curves.values()])
        threshold = default_threshold(part)
        group = Group(str(klass), str(model), str(hardware), str(workload), len(curves), threshold)
        group.curves = [[labels[s], s, _interactivity_points(c)] for s, c in curves.items()]
        unit = "tok/s per GPU" if klass == REAL_GPU_CLASS or "cpu" not in str(klass) else "tok/s per host"
        peak = _rank("Peak output throughput", unit, [peak_score(c, s, labels[s]) for s, c in curves.items()])
        if peak:
            group.rankings.append(peak)
        if threshold is not None:
            inter = _rank(
                f"Throughput at ≥ {threshold:g} tok/s per user",
                unit,
                [at_interactivity(c, s, labels[s], threshold) for s, c in curves.items()],
            )
            if inter:
                group.rankings.append(inter)
        group.rankings.extend(capacity_rankings(curves, labels))
        for title, extra_unit, fn in EXTRA_POINTS:
            extra = _rank(title, extra_unit, [fn(c, s, labels[s]) for s, c in curves.items()])
            if extra:
                group.rankings.append(extra)
        groups.append(group)
    groups.sort(key=lambda g: (g.klass != REAL_GPU_CLASS, g.klass, g.model, g.hardware, g.workload))
    return groups


def _capacity_verdict(scores: Sequence[Score]) -> str:
    if len(scores) < 2:
        return "single"
    first, second = scores[0], scores[1]
    second_high = math.inf if second.high is None else second.high
    if first.value == second.value or (first.low or first.value) < second_high < math.inf:
        return "tie"
    return "open" if second_high == math.inf else "winner"


def capacity_rankings(curves: dict[str, Curve], labels: dict[str, str]) -> list[Ranking]:
    """Capacity under SLO, one ranking per (mode, SLO, attainment target): runs searched differently are
    never ranked together. Ties: equal capacities, or rate ranges [capacity, first failing rate) that
    overlap; a runner-up that is a lower bound leaves the order open. Equal values keep label order."""
    by_key: dict[str, list[Score]] = {}
    for slug, curve in curves.items():
        row = curve[0]
        key, value = row.get("capacity_key"), row.get("capacity")
        if not key or not isinstance(key, str) or not isinstance(value, int | float) or not _finite(value):
            continue
        low, high = row.get("capacity_lo"), row.get("capacity_hi")
        by_key.setdefault(key, []).append(
            Score(
                slug=slug,
                label=labels[slug],
                value=float(value),
                low=float(low) if isinstance(low, int | float) and _finite(low) else float(value),
                # +inf: a lower bound, open above
                high=float(high) if isinstance(high, int | float) and not math.isnan(high) else None,
                trials=1,
                where=str(row.get("capacity_where") or ""),
            )
        )
    out = []
    for key in sorted(by_key):
        scores = sorted(by_key[key], key=lambda s: (-s.value, s.label))
        unit = "users" if key.startswith("Concurrency") else "req/s"
        out.append(Ranking(f"Capacity: {key}", unit, scores, _capacity_verdict(scores), kind="capacity"))
    return out


def sections(groups: list[Group]) -> list[tuple[str, list[Group]]]:
    """Groups split by class, in order: one section per class, never mixed."""
    out: list[tuple[str, list[Group]]] = []
    for group in groups:
        label = class_label(group.klass)
        if not out or out[-1][0] != label:
            out.append((label, []))
        out[-1][1].append(group)
    return out
