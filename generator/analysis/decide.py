"""Decision views: which configuration wins for a model x hardware x workload, at named operating points.

Configurations are ranked, not runs: each one's trials are pooled over all its runs (analysis.configs),
and only clean pooled levels (collector.schema.level_unclean_reasons) may decide. A winner's margin over
the runner-up is a tie when their Student-t 95% intervals overlap; with one trial there is no interval and
the view says "not decidable: one trial". A would-be winner is never shown when a level that is not clean
reads better than it: the verdict is "not decidable" and names that level and why. Classes (real weights
on GPU, CPU, random weights, imported) are never mixed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.analysis.configs import Configuration, PooledLevel, configurations
from generator.data.load import LoadedRun
from generator.data.tables import REAL_GPU_CLASS, capacity_info, class_label, short_backend, short_id


@dataclass(frozen=True)
class Score:
    """One configuration's value at one operating point (capacity: one run's), with its interval."""

    slug: str  # configuration key (capacity rankings: run slug)
    label: str
    value: float
    low: float | None  # None: one trial, no interval
    high: float | None
    trials: int
    where: str  # the load level (or interpolation) the value was read at
    requests: int | None = None  # counted requests behind the value
    link: str = ""  # the page that holds the evidence, relative to the docs root


@dataclass(frozen=True)
class Blocker:
    """A level that may not decide but reads better than the would-be winner."""

    label: str
    link: str
    where: str
    value: float
    why: str


@dataclass(frozen=True)
class Ranking:
    point: str  # operating point title
    unit: str
    scores: list[Score]
    # "winner", "tie", "one_trial", "single", "blocked", "none"; capacity also "open"
    verdict: str
    kind: str = "interval"  # "capacity": ranges are where the true capacity lies, not 95% intervals
    blocker: Blocker | None = None

    @property
    def margin_pct(self) -> float | None:
        if len(self.scores) < 2 or self.scores[1].value <= 0:
            return None
        return (self.scores[0].value / self.scores[1].value - 1.0) * 100.0


@dataclass(frozen=True)
class Undecidable:
    """A configuration with no clean level: why each of its levels may not decide."""

    label: str
    link: str
    reasons: list[tuple[str, str]]  # (level, reason text)


@dataclass
class Group:
    klass: str
    model: str
    hardware: str
    workload: str
    runs: int
    configs: int
    threshold: float | None
    rankings: list[Ranking] = field(default_factory=list)
    undecidable: list[Undecidable] = field(default_factory=list)
    # per configuration: [label, key, [[per-user tok/s, tok/s per device, level, trials, requests, why not
    # clean ("" when clean), load, TTFT p50 ms, TPOT p50 ms, J/token (valid NVML readings, else None)],
    # ...], backend], for the editable interactivity target (same rules as the built view) and the home
    # page's readouts (highest load meeting a latency target, cost, energy, the per-backend frontier)
    curves: list[list[Any]] = field(default_factory=list)
    unit: str = "tok/s per GPU"  # the throughput unit: per GPU, or per host on CPU

    @property
    def title(self) -> str:
        return f"{self.model} · {self.hardware} · {self.workload}"


def config_link(key: str) -> str:
    return f"configs/{key}.md"


def _score(config: Configuration, level: PooledLevel, metric: str) -> Score | None:
    est = level.estimate(metric)
    if est is None:
        return None
    return Score(config.key, config.label, est.value, est.low, est.high, level.trials, level.level,
                 level.requests, config_link(config.key))  # fmt: skip


def peak_score(config: Configuration) -> Score | None:
    """Peak output throughput per device over the configuration's clean levels."""
    scores = [_score(config, lv, "out_tok_s") for lv in config.levels if lv.clean]
    return max((s for s in scores if s is not None), key=lambda s: s.value, default=None)


Point = tuple[float, float, PooledLevel]  # (per-user tok/s, tok/s per device, level)


def _points(levels: Sequence[PooledLevel]) -> list[Point]:
    points = []
    for level in levels:
        user, tput = level.estimate("user_tok_s"), level.estimate("out_tok_s")
        if user is not None and tput is not None:
            points.append((user.value, tput.value, level))
    return sorted(points, key=lambda p: p[0])


def _between(a: float | None, b: float | None, share: float) -> float | None:
    return None if a is None or b is None else a + (b - a) * share


def at_interactivity(config: Configuration, threshold: float, clean_only: bool = True) -> Score | None:
    """Highest throughput per device while per-user tok/s (p50) >= threshold, interpolated linearly between
    the two levels that straddle the threshold (the curve is assumed monotone between them; the interval
    bounds are interpolated the same way, and n is the smaller of the two levels')."""
    points = _points([lv for lv in config.levels if lv.clean or not clean_only])
    best: Score | None = None
    for user, _, level in points:
        score = _score(config, level, "out_tok_s")
        if user >= threshold and score is not None and (best is None or score.value > best.value):
            best = score
    for (u1, t1, l1), (u2, t2, l2) in itertools.pairwise(points):
        if u1 < threshold <= u2 and u2 > u1:
            share = (threshold - u1) / (u2 - u1)
            value = t1 + (t2 - t1) * share
            if best is None or value > best.value:
                e1, e2 = l1.estimate("out_tok_s"), l2.estimate("out_tok_s")
                low = _between(e1.low if e1 else None, e2.low if e2 else None, share)
                high = _between(e1.high if e1 else None, e2.high if e2 else None, share)
                where = f"between {l1.level} and {l2.level}"
                best = Score(config.key, config.label, value, low, high, min(l1.trials, l2.trials), where,
                             min(l1.requests, l2.requests), config_link(config.key))  # fmt: skip
    return best


def _verdict(scores: Sequence[Score]) -> str:
    if len(scores) < 2:
        return "single"
    first, second = scores[0], scores[1]
    if first.low is None or second.high is None:
        return "one_trial"
    return "tie" if first.low <= second.high else "winner"


def _peak_blocker(configs: Sequence[Configuration], best: float | None) -> Blocker | None:
    """The unclean level that reads best, when it reads better than the best clean figure."""
    found: Blocker | None = None
    for config in configs:
        for level in config.levels:
            est = level.estimate("out_tok_s")
            if level.clean or est is None or (best is not None and est.value <= best):
                continue
            if found is None or est.value > found.value:
                found = Blocker(
                    config.label, config_link(config.key), level.level, est.value, level.reason_text
                )
    return found


def _interactivity_blocker(
    configs: Sequence[Configuration], threshold: float, best: float | None
) -> Blocker | None:
    found: Blocker | None = None
    for config in configs:
        score = at_interactivity(config, threshold, clean_only=False)
        clean = at_interactivity(config, threshold)
        if score is None or (clean is not None and score.value <= clean.value):
            continue  # its best reading is clean (or it has none)
        if best is not None and score.value <= best:
            continue
        why = "; ".join(
            f"{lv.level}: {lv.reason_text}"
            for lv in config.levels
            if not lv.clean and lv.level in score.where
        )
        if found is None or score.value > found.value:
            found = Blocker(config.label, config_link(config.key), score.where, score.value, why)
    return found


def _rank(point: str, unit: str, scores: list[Score | None], blocker: Blocker | None) -> Ranking:
    kept = sorted((s for s in scores if s is not None), key=lambda s: -s.value)
    if blocker is not None:
        return Ranking(point, unit, kept, "blocked", blocker=blocker)
    return Ranking(point, unit, kept, _verdict(kept) if kept else "none")


def default_threshold(configs: Sequence[Configuration]) -> float | None:
    """The interactivity target shown first: the median per-user speed of the group's levels, 2 digits."""
    values = [
        est.value
        for c in configs
        for lv in c.levels
        if (est := lv.estimate("user_tok_s")) is not None and est.value > 0
    ]
    if not values:
        return None
    middle = sorted(values)[len(values) // 2]
    return float(f"{middle:.2g}")


def _undecidable(config: Configuration) -> Undecidable | None:
    if any(level.clean for level in config.levels):
        return None
    reasons = [(level.level, level.reason_text) for level in config.levels]
    reasons = reasons or [("—", "no load level recorded")]
    return Undecidable(config.label, config_link(config.key), reasons)


def _digits(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(f"{value:.4g}")


def _curve(config: Configuration) -> list[Any]:
    points = [
        [_digits(u), _digits(t), lv.level, lv.trials, lv.requests, lv.reason_text, lv.load]
        + [_digits(est.value) if (est := lv.estimate(m)) else None for m in ("ttft_p50", "tpot_p50")]
        + [_digits(lv.columns.get("j_per_tok"))]
        for u, t, lv in _points(config.levels)
    ]
    return [config.label, config.key, points, config.backend]


def distinct_labels(part: list[Configuration]) -> None:
    """Configurations that read the same (same backend, version and quantization, other serving options or
    weights) are told apart by their key, so a verdict never reads 'X beats X'."""
    counts: dict[str, int] = {}
    for config in part:
        counts[config.label] = counts.get(config.label, 0) + 1
    for config in part:
        if counts[config.label] > 1:
            config.label = f"{config.label} · config {config.key}"


def _group(part: list[Configuration], runs: list[LoadedRun]) -> Group:
    distinct_labels(part)
    first = part[0]
    threshold = default_threshold(part)
    group = Group(first.klass, first.model, first.hardware, first.workload, len(runs), len(part), threshold)
    group.curves = [_curve(c) for c in part]
    group.undecidable = [u for c in part if (u := _undecidable(c)) is not None]
    unit = "tok/s per GPU" if first.klass == REAL_GPU_CLASS or "cpu" not in first.klass else "tok/s per host"
    group.unit = unit
    peaks = [peak_score(c) for c in part]
    best = max((s.value for s in peaks if s is not None), default=None)
    group.rankings.append(_rank("Peak output throughput", unit, peaks, _peak_blocker(part, best)))
    if threshold is not None:
        scores = [at_interactivity(c, threshold) for c in part]
        best = max((s.value for s in scores if s is not None), default=None)
        blocker = _interactivity_blocker(part, threshold, best)
        group.rankings.append(_rank(f"Throughput at ≥ {threshold:g} tok/s per user", unit, scores, blocker))
    labels = {
        run.slug: f"{c.label} · {short_id(run.slug)}" for c in part for run in runs if run.slug in c.slugs
    }
    group.rankings.extend(capacity_rankings(runs, labels))
    return group


def decision_groups(runs: Sequence[LoadedRun]) -> list[Group]:
    """Every model x hardware x workload of every class, real-weight GPU runs first; nothing dropped."""
    by_slug = {run.slug: run for run in runs}
    buckets: dict[tuple[str, str, str, str], list[Configuration]] = {}
    for config in configurations(runs):
        buckets.setdefault((config.klass, config.model, config.hardware, config.workload), []).append(config)
    groups = []
    for _, part in sorted(buckets.items()):
        members = [by_slug[slug] for c in part for slug in c.slugs]
        groups.append(_group(part, members))
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


def capacity_rankings(runs: Sequence[LoadedRun], labels: dict[str, str]) -> list[Ranking]:
    """Capacity under SLO, one ranking per (mode, SLO, attainment target): runs searched differently are
    never ranked together. A capacity search is one run's result, so these rank runs (linked to their
    pages). Ties: equal capacities, or rate ranges [capacity, first failing rate) that overlap; a
    runner-up that is a lower bound leaves the order open. Equal values keep label order."""
    by_key: dict[str, list[Score]] = {}
    for run in runs:
        row = capacity_info(run.record)
        key, value = row.get("capacity_key"), row.get("capacity")
        if not key or not isinstance(key, str) or not isinstance(value, int | float) or not _finite(value):
            continue
        low, high = row.get("capacity_lo"), row.get("capacity_hi")
        by_key.setdefault(key, []).append(
            Score(
                slug=run.slug,
                label=labels[run.slug],
                value=float(value),
                low=float(low) if isinstance(low, int | float) and _finite(low) else float(value),
                # +inf: a lower bound, open above
                high=float(high) if isinstance(high, int | float) and not math.isnan(high) else None,
                trials=1,
                where=str(row.get("capacity_where") or ""),
                link=f"runs/{run.slug}.md",
            )
        )
    out = []
    for key in sorted(by_key):
        scores = sorted(by_key[key], key=lambda s: (-s.value, s.label))
        unit = "users" if key.startswith("Concurrency") else "req/s"
        out.append(Ranking(f"Capacity: {key}", unit, scores, _capacity_verdict(scores), kind="capacity"))
    return out


def _finite(value: Any) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(float(value))


def sections(groups: list[Group]) -> list[tuple[str, list[Group]]]:
    """Groups split by class, in order: one section per class, never mixed."""
    out: list[tuple[str, list[Group]]] = []
    for group in groups:
        label = class_label(group.klass)
        if not out or out[-1][0] != label:
            out.append((label, []))
        out[-1][1].append(group)
    return out


def differing_label(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Per-run labels that name the backend and only the fields that differ inside the group (charts)."""
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
