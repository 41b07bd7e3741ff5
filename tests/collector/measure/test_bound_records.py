"""The request-record bound shared by collect and the importers: at most `limit` records in send order,
failures kept first, successes evenly spaced, never the same record twice."""

from __future__ import annotations

from collector.config.collect import CollectConfig
from collector.measure.metrics import bound_records
from collector.schema import REQUEST_RECORDS_PER_LEVEL


def _bound(items: list[tuple[int, bool]], limit: int) -> tuple[list[tuple[int, bool]], int]:
    return bound_records(items, limit, ok=lambda i: i[1], sent=lambda i: i[0])


def test_under_the_limit_everything_is_kept() -> None:
    items = [(i, i % 3 != 0) for i in range(10)]
    assert _bound(items, 10) == (items, 0)


def test_failures_first_then_evenly_spaced_successes_in_send_order() -> None:
    items = [(i, i not in (5, 50)) for i in range(100)]
    kept, dropped = _bound(items, 10)
    assert dropped == 90 and len(kept) == 10
    assert (5, False) in kept and (50, False) in kept
    assert [i for i, _ in kept] == sorted(i for i, _ in kept)


def test_mostly_failures_keeps_each_record_once() -> None:
    items = [(i, i in (3, 7)) for i in range(100)]
    kept, dropped = _bound(items, 10)
    assert len(set(kept)) == len(kept) == 10 and dropped == 90
    assert (3, True) in kept and (7, True) in kept


def test_collect_and_the_importers_share_one_default() -> None:
    assert CollectConfig.model_fields["max_request_records"].default == REQUEST_RECORDS_PER_LEVEL
