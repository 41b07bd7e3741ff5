"""The energy of a level covers its measurement window (first send to last completion), not the time
around it; computed from a recorded power sequence since this machine has no GPU."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from collector.backends.base import BackendAdapter
from collector.config.collect import CollectConfig
from collector.measure.metrics import RequestOutcome, aggregate_level
from collector.measure.telemetry import GPUSampler, Reading
from collector.provenance.hardware import detect_hardware
from collector.run.level_extras import LevelExtras, measurement_window_ns
from collector.schema import ClientHealth, Launch
from collector.server.server import ServerHandle

WATTS = 200.0


class SteadyPower:
    """A GPU drawing constant power: the integral over any window is exact."""

    def open(self, gpu_indices: Sequence[int]) -> str | None:
        return None

    def read(self, gpu: int) -> Reading:
        return Reading(power_w=WATTS, util_pct=50.0, memory_used_mib=1000.0)

    def close(self) -> None:
        pass


class NoMetrics(BackendAdapter):
    metrics_paths = ()


def outcome(sent_ns: int, end_ns: int, tokens: int = 1) -> RequestOutcome:
    chunks = [sent_ns + (end_ns - sent_ns) * (i + 1) // tokens for i in range(tokens)]
    return RequestOutcome(
        scheduled_ns=sent_ns, sent_ns=sent_ns, end_ns=end_ns, chunk_ns=chunks, completion_tokens=tokens
    )


def test_energy_window_is_first_send_to_last_completion() -> None:
    outcomes = [outcome(100, 400), outcome(50, 300), RequestOutcome(10, 20, status="connect")]
    assert measurement_window_ns(outcomes, from_scheduled=False) == (20, 400)
    assert measurement_window_ns(outcomes, from_scheduled=True) == (10, 400)  # rate mode
    assert measurement_window_ns([], from_scheduled=False) is None


def _samples_past(sampler: GPUSampler, t_s: float, n: int, timeout_s: float = 30.0) -> None:
    """Poll until the sampler thread has taken n samples after t_s (instead of a fixed sleep)."""
    deadline = time.monotonic() + timeout_s
    while sum(sample.t_s > t_s for sample in sampler.samples()) < n:
        assert time.monotonic() < deadline, "the sampler stopped sampling"
        time.sleep(0.005)


def test_level_energy_is_measured_over_the_requests_window() -> None:
    config = CollectConfig()
    handle = ServerHandle(base_url="http://127.0.0.1:9", launch=Launch(mode="external"))
    extras = LevelExtras(config, handle, detect_hardware(gpu_indices=[]), NoMetrics())
    extras.sampler = GPUSampler([0], hz=50, source=SteadyPower()).start()
    try:
        sampler = extras.sampler
        asyncio.run(extras.before_level())
        _samples_past(sampler, sampler.now(), 10)  # idle before the first send: not part of the level
        first = time.perf_counter_ns()
        _samples_past(sampler, sampler.now(), 25)
        last = time.perf_counter_ns()
        _samples_past(sampler, sampler.now(), 10)  # idle after the last completion
        outcomes = [outcome(first, last, tokens=120)]
        result = aggregate_level(
            outcomes, concurrency=1, request_rate=None, measure_from_scheduled=False, ignore_eos=False
        )
        done = asyncio.run(extras.after_level(result, ClientHealth(), outcomes))
    finally:
        extras.close()
    energy = done.energy
    assert energy is not None and energy.valid, energy
    window_s = (last - first) / 1e9
    assert energy.joules == pytest.approx(WATTS * window_s, rel=0.02)
    assert energy.joules_per_output_token == pytest.approx(WATTS * window_s / 120, rel=0.02)
    assert energy.avg_power_w == pytest.approx(WATTS)
    assert extras.telemetry().available


def test_without_a_gpu_the_run_says_why() -> None:
    handle = ServerHandle(base_url="http://127.0.0.1:9", launch=Launch(mode="embedded"))
    extras = LevelExtras(CollectConfig(), handle, detect_hardware(gpu_indices=[]), NoMetrics())
    telemetry = extras.telemetry()
    assert extras.sampler is None
    assert telemetry.available is False and telemetry.reason and "CPU" in telemetry.reason
