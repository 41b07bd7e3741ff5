"""The capacity search against hand-computed probe sequences (a fake probe: attainment by level)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from collector.schema import SLO, Capacity
from collector.workloads.capacity import CapacityError, CapacitySearch, find_capacity, parse_slo

SLO_TTFT = SLO(ttft_ms=300.0)


def step_probe(capacity: float, seen: list[float]) -> Callable[[float], Awaitable[float]]:
    """Attainment 1.0 up to `capacity`, 0.5 above it; records the levels probed."""

    async def probe(level: float) -> float:
        seen.append(level)
        return 1.0 if level <= capacity else 0.5

    return probe


def run(mode: str, capacity: float, **kw: object) -> tuple[Capacity, list[float]]:
    seen: list[float] = []
    result = asyncio.run(find_capacity(step_probe(capacity, seen), mode=mode, slo=SLO_TTFT, **kw))  # type: ignore[arg-type]
    return result, seen


def test_concurrency_expands_then_bisects_to_the_exact_integer() -> None:
    result, seen = run("concurrency", 5, maximum=64)
    # expand 1, 2, 4, 8 (fails); bisect (4+8)//2 = 6 fails, (4+6)//2 = 5 passes; 5 and 6 are adjacent.
    assert seen == [1, 2, 4, 8, 6, 5]
    assert result.capacity == 5 and result.next_level == 6
    assert result.attainment_at_capacity == 1.0 and result.attainment_at_next_level == 0.5
    assert [p.phase for p in result.probes] == ["expand"] * 4 + ["bisect"] * 2
    assert [p.passed for p in result.probes] == [True, True, True, False, False, True]
    assert not result.lower_bound and not result.zero_capacity
    assert result.slo == SLO_TTFT and result.attainment_target == 0.99


def test_a_power_of_two_capacity() -> None:
    result, seen = run("concurrency", 4, maximum=64)
    assert seen == [1, 2, 4, 8, 6, 5]
    assert result.capacity == 4 and result.next_level == 5


def test_maximum_still_passing_is_a_lower_bound() -> None:
    result, seen = run("concurrency", 1000, maximum=12)
    assert seen == [1, 2, 4, 8, 12]  # the last expansion is clamped to the maximum
    assert result.capacity == 12 and result.lower_bound and result.next_level is None
    assert "lower bound" in result.note


def test_lowest_level_failing_is_zero_capacity() -> None:
    result, seen = run("concurrency", 0, maximum=12)
    assert seen == [1]
    assert result.capacity == 0 and result.zero_capacity and result.attainment_at_capacity is None
    assert result.next_level == 1 and result.attainment_at_next_level == 0.5
    assert "zero capacity" in result.note


def test_rate_bisects_to_the_relative_precision() -> None:
    result, seen = run("rate", 3.3, maximum=100.0, precision=0.05)
    # expand 1, 2, 4 (fails); bisect 3 ok, 3.5 x, 3.25 ok, 3.375 x; (3.375 - 3.25) / 3.25 = 0.038 <= 0.05.
    assert seen == [1.0, 2.0, 4.0, 3.0, 3.5, 3.25, 3.375]
    assert result.capacity == 3.25 and result.next_level == 3.375
    assert result.rate_precision == 0.05


def test_a_level_is_never_probed_twice_and_attainment_threshold_is_inclusive() -> None:
    async def probe(level: float) -> float:
        seen.append(level)
        return 0.99 if level <= 2 else 0.98

    seen: list[float] = []
    result = asyncio.run(find_capacity(probe, mode="concurrency", slo=SLO_TTFT, maximum=3))
    assert seen == [1, 2, 3]
    assert result.capacity == 2 and result.attainment_at_capacity == 0.99


def test_interrupted_search_keeps_its_probes() -> None:
    search = CapacitySearch(mode="concurrency", slo=SLO_TTFT, maximum=64)

    async def probe(level: float) -> float:
        if level == 8:
            raise asyncio.CancelledError
        return 1.0

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(search.run(probe))
    partial = search.result(interrupted=True)
    assert [p.level for p in partial.probes] == [1, 2, 4]
    assert partial.capacity == 4 and partial.interrupted and not partial.lower_bound


def test_progress_callback_sees_each_probe_in_order() -> None:
    calls: list[tuple[float, str]] = []
    search = CapacitySearch(
        mode="concurrency", slo=SLO_TTFT, maximum=4, on_probe=lambda p, phase: calls.append((p.level, phase))
    )
    asyncio.run(search.run(step_probe(3, [])))
    assert calls == [(1, "expand"), (2, "expand"), (4, "expand"), (3, "bisect")]


def test_parse_slo() -> None:
    assert parse_slo("ttft=500") == SLO(ttft_ms=500.0)
    assert parse_slo("ttft=500, tpot=50,e2e=2000") == SLO(ttft_ms=500.0, tpot_ms=50.0, e2e_ms=2000.0)
    for bad, why in [
        ("", "at least one"),
        ("ttft", "expected"),
        ("itl=5", "expected"),
        ("ttft=x", "not a number"),
        ("ttft=-1", "positive"),
        ("ttft=1,ttft=2", "twice"),
    ]:
        with pytest.raises(CapacityError, match=why):
            parse_slo(bad)


def test_bad_search_settings_are_refused() -> None:
    with pytest.raises(CapacityError, match="whole number"):
        CapacitySearch(mode="concurrency", slo=SLO_TTFT, maximum=2.5)
    with pytest.raises(CapacityError, match="attainment"):
        CapacitySearch(mode="rate", slo=SLO_TTFT, attainment=1.5)
    with pytest.raises(CapacityError, match="at least the lowest"):
        CapacitySearch(mode="rate", slo=SLO_TTFT, start=4.0, maximum=2.0)
    with pytest.raises(CapacityError, match="concurrency' or 'rate"):
        CapacitySearch(mode="users", slo=SLO_TTFT)  # type: ignore[arg-type]
