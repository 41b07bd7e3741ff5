"""Which measurements may decide a verdict: the clean-level rules and the sample sizes percentiles need.

One definition, used by the site to gate verdicts and mark cells, and rendered verbatim on the methodology
page, so what the site enforces and what it says it enforces cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from collector.schema.models import LevelResult

# Counted requests a level needs (summed over its clean trials) before it may decide anything.
MIN_DECIDING_REQUESTS = 40
MIN_DECIDING_REASON = (
    "the verdicts read medians and throughput; with 40 samples the 95% order-statistic interval of a "
    "median spans ranks 14-27 (about the middle third of the sample), and a p90 rests on 4 samples above "
    "it. Below that a single slow request moves the figure by more than the margins verdicts are called on "
    "(the committed 6-request levels moved TTFT p99 by 5x between trials)."
)

# Fewest samples a percentile may be shown from: it needs at least one sample beyond it on average
# (p90 from 10, p95 from 20, p99 from 100). Below that it is the sample maximum wearing a percentile's name.
PERCENTILE_MIN_SAMPLES: dict[str, int] = {"p50": 2, "p90": 10, "p95": 20, "p99": 100}


@dataclass(frozen=True)
class CleanRule:
    key: str
    text: str  # shown on the methodology page and as the reason a level does not decide


CLEAN_RULES: tuple[CleanRule, ...] = (
    CleanRule("incomplete", "the trial did not complete (server failure or interruption)"),
    CleanRule("failed", "some requests failed"),
    CleanRule("usage_mismatch", "the server's usage disagreed with the stream for some requests"),
    CleanRule("client_busy", "the client was busy (its own CPU at the limit): add --workers"),
    CleanRule("client_starved", "the client was starved (its loop ran late while its CPU was low): isolate "
              "the engine or quiet the host"),
    CleanRule("start_skew", "the client actors started further apart than their cluster's skew limit "
              "(--cluster)"),
    CleanRule("too_few_requests", f"fewer than {MIN_DECIDING_REQUESTS} counted requests over its trials"),
)  # fmt: skip
RULE_TEXT = {rule.key: rule.text for rule in CLEAN_RULES}


def trial_unclean_reasons(level: LevelResult) -> list[str]:
    """Keys of CLEAN_RULES one trial breaks (the request count is judged over all trials of a level)."""
    reasons = []
    if level.status != "complete":
        reasons.append("incomplete")
    if level.failed > 0:
        reasons.append("failed")
    if level.usage_mismatches > 0:
        reasons.append("usage_mismatch")
    if level.client is not None and level.client.saturated:
        reasons.append("client_busy")
    if level.client is not None and level.client.starved:
        reasons.append("client_starved")
    if level.cluster is not None and level.cluster.skew_flagged:
        reasons.append("start_skew")
    return reasons


def level_unclean_reasons(trials: Sequence[LevelResult]) -> list[str]:
    """Keys of CLEAN_RULES a level (all its trials) breaks; empty when it may decide a verdict."""
    reasons: list[str] = []
    for trial in trials:
        reasons.extend(r for r in trial_unclean_reasons(trial) if r not in reasons)
    if sum(t.completed for t in trials) < MIN_DECIDING_REQUESTS:
        reasons.append("too_few_requests")
    return reasons


def percentile_supported(stat: str, samples: int) -> bool:
    """Whether a percentile (e.g. 'p99') may be shown from `samples` values; other statistics always may."""
    return samples >= PERCENTILE_MIN_SAMPLES.get(stat, 1)
