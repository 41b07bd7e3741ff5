"""Capacity under an SLO, as the site reads it: words for a run's result and the key and range it is
ranked by. Imports only the schema, so tables, decision views and the run page can all use it."""

from __future__ import annotations

import math

from collector.schema import Capacity


def unit(capacity: Capacity, value: float | None = None) -> str:
    """'users' ('user' for exactly one) or 'req/s'."""
    if capacity.mode != "concurrency":
        return "req/s"
    return "user" if value == 1 else "users"


def slo_words(capacity: Capacity) -> str:
    """'TTFT ≤ 500 ms, TPOT ≤ 50 ms for 99% of requests'."""
    slo = capacity.slo
    limits = [
        f"{name} ≤ {value:g} ms"
        for name, value in (("TTFT", slo.ttft_ms), ("TPOT", slo.tpot_ms), ("E2E", slo.e2e_ms))
        if value is not None
    ]
    return f"{', '.join(limits) or 'no limit'} for {capacity.attainment_target * 100:.4g}% of requests"


def capacity_value(capacity: Capacity) -> str:
    """'≥ 64 users', '12 users', '0 users', '3.5 req/s'."""
    prefix = "≥ " if capacity.lower_bound else ""
    return f"{prefix}{capacity.capacity:g} {unit(capacity, capacity.capacity)}"


def capacity_text(capacity: Capacity) -> str:
    """One line for the summary: the value and the SLO it was found under."""
    return f"{capacity_value(capacity)} ({slo_words(capacity)})"


def capacity_key(capacity: Capacity) -> str:
    """Runs are ranked by capacity only against runs searched the same way: mode, SLO and target."""
    return (
        f"{'Concurrency' if capacity.mode == 'concurrency' else 'Request rate'} under {slo_words(capacity)}"
    )


def capacity_range(capacity: Capacity) -> tuple[float, float]:
    """Where the true capacity lies: exact for concurrency; a rate lies below the first failing rate; a lower
    bound is open above (inf)."""
    if capacity.lower_bound:
        return capacity.capacity, math.inf
    if capacity.mode == "rate" and capacity.next_level is not None:
        return capacity.capacity, capacity.next_level
    return capacity.capacity, capacity.capacity


def capacity_where(capacity: Capacity) -> str:
    """The 'At' cell of a ranking: attainment reached, and what kind of result it is."""
    if capacity.zero_capacity:
        return f"zero capacity (missed at {capacity.start:g} {unit(capacity, capacity.start)})"
    text = (
        f"{capacity.attainment_at_capacity:.1%} met the SLO"
        if capacity.attainment_at_capacity is not None
        else "attainment not recorded"
    )
    if capacity.lower_bound:
        text = f"lower bound (still met at the maximum {capacity.maximum:g}); " + text
    if capacity.interrupted:
        text += "; search interrupted"
    return text
