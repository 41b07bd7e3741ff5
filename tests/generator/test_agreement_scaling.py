"""Agreement scales with the runs of one model: same verdicts as the all-pairs definition, comparisons
counted (not timed) so a quadratic pass cannot come back."""

from __future__ import annotations

import random
import shutil
import statistics
from collections.abc import Sequence
from pathlib import Path

import pytest

import generator.analysis.agreement as agreement
from collector.schema import RunRecord
from collector.schema.definitions import AGREEMENT_MAX_ANSWER_SETS
from generator.analysis.agreement import AgreementGroup, agreement_groups, answers, compare
from generator.data.load import LoadedRun, load_runs
from tests.helpers.quality_factories import GARBAGE, GOOD, SMOL, answering_run, smol_family

RUNS = Path(__file__).parents[2] / "runs"


def loaded(records: list[RunRecord]) -> list[LoadedRun]:
    return [LoadedRun(r, Path(f"{r.run_id}.json"), r.run_id) for r in records]


def all_pairs_agreement(group: AgreementGroup) -> dict[str, float | None]:
    """The definition, computed the old way: median exact-match rate against every other run."""
    out = {}
    for member in group.runs:
        mine = answers(member.record)
        rates = [compare(mine, answers(o.record))[0] for o in group.runs if o is not member]
        numbers = [r for r in rates if r is not None]
        out[member.slug] = statistics.median(numbers) if numbers else None
    return out


def check_against_all_pairs(groups: list[AgreementGroup]) -> None:
    for group in groups:
        ref = answers(next(r.record for r in group.runs if r.slug == group.reference))
        for member in group.runs:
            assert (member.exact_match, member.prefix_chars, member.compared) == compare(
                answers(member.record), ref
            )
        assert {r.slug: r.agreement for r in group.runs} == all_pairs_agreement(group)


def random_family(seed: int, size: int) -> list[RunRecord]:
    rng = random.Random(seed)
    variants: list[Sequence[str | None]] = [
        GOOD,
        GARBAGE,
        [*GOOD[:7], *GARBAGE[7:]],
        [*GOOD[:5], None, *GOOD[6:]],
    ]
    return [
        answering_run(
            f"run{seed:02d}{i:03d}",
            model=f"HuggingFaceTB/{SMOL}",
            texts=rng.choice(variants),
            weights_dtype=rng.choice(["bf16", "f16", "q4_1"]),
            created_day=rng.randrange(30),
        )
        for i in range(size)
    ]


@pytest.mark.parametrize("seed", range(6))
def test_same_figures_and_verdicts_as_all_pairs(seed: int) -> None:
    check_against_all_pairs(agreement_groups(loaded(random_family(seed, 3 + seed * 3))))


def test_same_figures_on_the_quality_fixtures_and_committed_runs(tmp_path: Path) -> None:
    (group,) = agreement_groups(loaded(smol_family()))
    check_against_all_pairs([group])
    assert [r.slug for r in group.runs if r.diverges] == ["broken01"]
    shutil.copytree(RUNS, tmp_path / "runs")
    groups = agreement_groups(load_runs(tmp_path / "runs").runs)
    assert groups, "the committed runs have a group of answering runs"
    check_against_all_pairs(groups)


def test_comparisons_grow_with_distinct_answer_sets_not_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"compare": 0, "rate": 0}
    real_compare, real_rate = agreement.compare, agreement._exact_rate

    def counting_compare(a: dict[str, str], b: dict[str, str]) -> tuple[float | None, float | None, int]:
        calls["compare"] += 1
        return real_compare(a, b)

    def counting_rate(a: dict[str, str], b: dict[str, str]) -> float | None:
        calls["rate"] += 1
        return real_rate(a, b)

    monkeypatch.setattr(agreement, "compare", counting_compare)
    monkeypatch.setattr(agreement, "_exact_rate", counting_rate)
    ref, q4, _, broken = smol_family()
    records = [
        template.model_copy(update={"run_id": f"copy{i:05d}"})
        for i in range(1500)
        for template in [(ref, q4, broken)[i % 3]]
    ]
    (group,) = agreement_groups(loaded(records))
    assert len(group.runs) == 1500
    # Three distinct answer sets: each compared with the reference once and with each other once.
    assert calls == {"compare": 3, "rate": 9}
    assert {r.slug for r in group.runs if r.diverges} == {f"copy{i:05d}" for i in range(2, 1500, 3)}


def test_many_distinct_answer_sets_compare_against_the_most_common(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"rate": 0}
    real_rate = agreement._exact_rate

    def counting_rate(a: dict[str, str], b: dict[str, str]) -> float | None:
        calls["rate"] += 1
        return real_rate(a, b)

    monkeypatch.setattr(agreement, "_exact_rate", counting_rate)
    distinct = 3 * AGREEMENT_MAX_ANSWER_SETS
    records = [
        answering_run(
            f"uniq{i:05d}",
            model=f"HuggingFaceTB/{SMOL}",
            texts=[*GOOD[:9], f"answer {i}"],
            weights_dtype="bf16",
        )
        for i in range(distinct)
    ]
    (group,) = agreement_groups(loaded(records))
    assert calls["rate"] == distinct * AGREEMENT_MAX_ANSWER_SETS  # linear in the runs, not quadratic
    assert all(r.agreement == 0.9 and not r.diverges for r in group.runs)


def test_the_badge_and_the_page_share_one_pass() -> None:
    runs = loaded(smol_family())
    assert agreement_groups(runs) is agreement_groups(runs)
    assert agreement_groups(loaded(smol_family())) is not agreement_groups(runs)


def test_agreement_page_of_a_huge_group_lists_by_answer_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond AGREEMENT_ROWS runs a group lists the reference and the diverging runs first, and one
    differing-answers column per distinct answer set: the page grows with answer sets, not runs."""
    from datetime import UTC, datetime

    import generator.pages.quality as quality
    from generator.data.tables import level_frame, run_frame
    from generator.pages.common import SiteContext

    monkeypatch.setattr(quality, "AGREEMENT_ROWS", 5)
    ref, q4, _, broken = smol_family()
    records = [ref] + [
        template.model_copy(update={"run_id": f"copy{i:05d}"})
        for i in range(30)
        for template in [(q4, broken)[i % 2]]
    ]
    runs = loaded(records)
    ctx = SiteContext(runs, run_frame(runs), level_frame(runs), [], True, datetime(2026, 12, 7, tzinfo=UTC))
    (group,) = agreement_groups(runs)
    page = quality._group_context(ctx, group, "agreement.md")
    assert page["run_count"] == 31 and page["unlisted"] == 26
    assert page["rows"][0]["slug"] == "ref0bf16"
    assert all(r["diverges"] for r in page["rows"][1:])  # the diverging runs come before the agreeing ones
    assert page["slugs"] == [
        "1 run (ref0bf16)",
        "15 runs (copy00001, copy00003, …)",  # the broken copies: 16 bits, before the 4-bit ones
        "15 runs (copy00000, copy00002, …)",
    ]
    for row in page["differing"]:
        assert len(row["cells"]) == 3 and not row["cells"][0]["differs"]
