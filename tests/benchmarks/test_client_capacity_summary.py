"""The client-capacity summary on hand-made results: errors against the floor, ceilings, CPU per 1k chunks."""

from __future__ import annotations

import pytest
from bench_lib import Truth, ideal_throughput
from client_capacity import summarise
from clients import ClientResult

TRUTH = Truth(150.0, 12.0, 40)


def _res(client: str, c: int, ttft: float, tpot: float, tput: float, cpu: float = 1.0) -> ClientResult:
    return ClientResult(
        client,
        c,
        4 * c,
        0,
        ok=True,
        completed=4 * c,
        ttft_p50_ms=ttft,
        ttft_p99_ms=ttft + 5,
        tpot_p50_ms=tpot,
        throughput_tok_s=tput,
        chunks=4 * c * 40,
        cpu_s=cpu,
    )


def test_ideal_throughput_matches_the_closed_loop_formula() -> None:
    assert ideal_throughput(128, 150.0, 12.0, 40) == pytest.approx(128 * 40 / 0.618)


def test_errors_ceilings_and_cpu_per_thousand_chunks() -> None:
    results = [
        _res("floor", 1, 150.5, 12.0, 64.0),
        _res("floor", 16, 151.0, 12.0, 1030.0),
        _res("floor", 128, 151.0, 12.0, 8200.0),
        _res("x", 1, 151.0, 12.0, 64.0, cpu=2.0),
        _res("x", 16, 160.0, 12.2, 1000.0),
        _res("x", 128, 400.0, 12.6, 4100.0),
    ]
    summary = summarise(results, {"floor": 0.0, "x": 1.0}, TRUTH, [1, 16, 128], ["floor", "x"])
    row = next(r for r in summary["rows"] if r["client"] == "x" and r["concurrency"] == 16)
    assert row["ttft_p50_ms_vs_floor"] == pytest.approx(9.0)
    assert row["tpot_p50_ms_vs_floor"] == pytest.approx(0.2)
    assert row["throughput_vs_floor"] == pytest.approx(1000.0 / 1030.0)
    # (1.0 s - 1.0 s start-up) / 2560 chunks
    assert row["cpu_s_per_1k_chunks"] == pytest.approx(0.0)
    row1 = next(r for r in summary["rows"] if r["client"] == "x" and r["concurrency"] == 1)
    assert row1["cpu_s_per_1k_chunks"] == pytest.approx(1.0 / 160 * 1000)
    assert summary["ceilings"] == {"floor": 128, "x": 16}  # 12.6 ms is 0.6 ms off at 128
    assert summary["strict_ceilings"] == {"floor": 128, "x": 1}  # TTFT +9 ms at 16


def test_a_failed_level_ends_the_ceiling() -> None:
    bad = ClientResult("x", 16, 64, 0, ok=False, error="exit 1")
    results = [
        _res("floor", 1, 150.5, 12.0, 64.0),
        _res("floor", 16, 151.0, 12.0, 1030.0),
        _res("x", 1, 150.6, 12.0, 64.0),
        bad,
    ]
    summary = summarise(results, {}, TRUTH, [1, 16], ["floor", "x"])
    assert summary["ceilings"]["x"] == 1


def test_targets_name_each_missed_figure() -> None:
    from client_capacity_report import target_checks, targets_section

    results = [
        _res("floor", 512, 151.0, 12.10, 32000.0),
        _res("inferboard", 512, 152.5, 12.50, 31000.0),  # TPOT +0.40 ms: missed; the rest met
        _res("floor", 2048, 155.0, 12.20, 120000.0),
        _res("inferboard", 2048, 190.0, 12.30, 100000.0),  # TTFT +35 ms, 0.83x the floor: missed
    ]
    clients = ["floor", "inferboard"]
    summary = summarise(results, {}, TRUTH, [512, 2048], clients)
    checks = {(c["concurrency"], c["figure"]): c["met"] for c in target_checks(summary, [512, 2048])}
    assert checks[(512, "TTFT p50 vs floor, ms")] and checks[(512, "TTFT p99 vs floor, ms")]
    assert not checks[(512, "TPOT p50 vs floor, ms")] and checks[(512, "throughput × floor")]
    assert not checks[(2048, "TTFT p50 vs floor, ms")] and not checks[(2048, "throughput × floor")]
    text = "\n".join(targets_section({"worker_levels": {"2048": 2}}, summary))
    assert "**Missed:** TPOT p50 vs floor, ms at 512 users; TTFT p50 vs floor, ms at 2048 users" in text
