"""GPU telemetry: energy on recorded (hand-made) sequences, bounding, the sampler thread, no NVML."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from collector.measure.telemetry import (
    METHOD_COUNTER,
    METHOD_POWER,
    GPUSampler,
    Reading,
    level_energy,
    telemetry_record,
)
from collector.schema import Energy, TelemetrySample

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "telemetry"
CASES = sorted(FIXTURES.glob("*.json"))


def load_case(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    data["samples"] = [TelemetrySample.model_validate(s) for s in data["samples"]]
    return data


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_level_energy_matches_hand_computed_values(path: Path) -> None:
    case = load_case(path)
    energy = level_energy(
        case["samples"], case["t_start"], case["t_end"], case["output_tokens"], case["gpu_indices"]
    )
    expected = case["expected"]
    assert energy.method == expected["method"]
    for field in (
        "joules",
        "joules_per_output_token",
        "avg_power_w",
        "peak_memory_mib",
        "avg_utilization_pct",
    ):
        assert getattr(energy, field) == pytest.approx(expected[field], rel=1e-9), field
    assert energy.samples == expected["samples"]
    assert energy.valid is expected["valid"]
    if expected["invalid_reason_contains"] is None:
        assert energy.invalid_reason is None
    else:
        assert energy.invalid_reason is not None
        assert expected["invalid_reason_contains"] in energy.invalid_reason


def test_fixture_cases_are_all_present() -> None:
    assert {p.stem for p in CASES} == {
        "two_gpus_counter",
        "power_only",
        "counter_reset",
        "too_few_samples",
        "window_not_covered",
    }


def test_counter_and_power_integration_agree_on_a_consistent_sequence() -> None:
    case = load_case(FIXTURES / "two_gpus_counter.json")
    without_counter = [s.model_copy(update={"energy_mj": None}) for s in case["samples"]]
    by_counter = level_energy(case["samples"], 1.05, 2.05, 1300, [0, 1])
    by_power = level_energy(without_counter, 1.05, 2.05, 1300, [0, 1])
    assert by_counter.method == METHOD_COUNTER and by_power.method == METHOD_POWER
    # The power readings carry +-2 W of noise around the counter's exact 650 W.
    assert by_power.joules == pytest.approx(650.0, abs=3.0)


def test_only_the_requested_gpus_count() -> None:
    case = load_case(FIXTURES / "two_gpus_counter.json")
    energy = level_energy(case["samples"], 1.05, 2.05, 1300, [1])
    assert energy.joules == pytest.approx(300.0)
    assert energy.samples == 10
    assert energy.avg_utilization_pct == pytest.approx(85.0)


def test_a_gpu_without_any_samples_is_invalid() -> None:
    case = load_case(FIXTURES / "power_only.json")
    energy = level_energy(case["samples"], 0.55, 1.75, 500, [0, 3])
    assert not energy.valid
    assert energy.invalid_reason is not None and "GPU 3" in energy.invalid_reason


def test_empty_window_and_zero_tokens() -> None:
    case = load_case(FIXTURES / "power_only.json")
    energy = level_energy(case["samples"], 1.0, 1.0, 0, [0])
    assert not energy.valid and energy.joules is None and energy.joules_per_output_token is None
    energy = level_energy(case["samples"], 0.55, 1.75, 0, [0])
    assert energy.joules is not None and energy.joules_per_output_token is None


def test_no_samples_at_all_gives_an_invalid_record_not_a_crash() -> None:
    energy = level_energy([], 0.0, 5.0, 100, [0])
    assert isinstance(energy, Energy)
    assert not energy.valid and energy.samples == 0 and energy.joules is None


def _series(n: int, gpus: Sequence[int] = (0,)) -> list[TelemetrySample]:
    return [TelemetrySample(t_s=i * 0.1, gpu=g, power_w=100.0 + i % 7) for i in range(n) for g in gpus]


def test_telemetry_record_keeps_everything_under_the_bound() -> None:
    record = telemetry_record(_series(100), sample_hz=10.0, max_samples=5000)
    assert record.available and len(record.samples) == 100 and record.samples_dropped == 0


def test_telemetry_record_thins_evenly_per_gpu_and_counts_drops() -> None:
    samples = _series(6000, gpus=(0, 1))
    record = telemetry_record(samples, sample_hz=10.0, max_samples=5000, dropped=7)
    assert len(record.samples) == 5000
    assert record.samples_dropped == 12000 - 5000 + 7
    for gpu in (0, 1):
        times = [s.t_s for s in record.samples if s.gpu == gpu]
        assert len(times) == 2500
        assert times[0] == 0.0 and times[-1] == pytest.approx(599.9)  # both ends kept
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert max(gaps) - min(gaps) < 0.2  # evenly spaced (one sample period of rounding)
    assert [s.t_s for s in record.samples] == sorted(s.t_s for s in record.samples)


class ReplaySource:
    """Plays a recorded sequence back as if it were a GPU (the sampler thread under test is real)."""

    def __init__(self, readings: list[Reading], reason: str | None = None) -> None:
        self._readings = readings
        self._reason = reason
        self.reads = 0
        self.closed = False

    def open(self, gpu_indices: Sequence[int]) -> str | None:
        return self._reason

    def read(self, gpu: int) -> Reading:
        reading = self._readings[self.reads % len(self._readings)]
        self.reads += 1
        return reading

    def close(self) -> None:
        self.closed = True


def _wait_for(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    """Poll for a condition (the sampler thread's progress) instead of sleeping a fixed time."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


def test_sampler_thread_samples_marks_windows_and_bounds_memory() -> None:
    source = ReplaySource([Reading(power_w=200.0, energy_mj=float(i) * 20_000.0) for i in range(1000)])
    sampler = GPUSampler([0], hz=50.0, source=source, max_samples=30)
    with sampler:
        assert sampler.available and sampler.reason is None
        start = sampler.mark("level-0-start")
        _wait_for(lambda: source.reads >= 20)
        end = sampler.mark("level-0-end")
        _wait_for(lambda: source.reads >= 45)  # past the ring bound of 30
    assert source.closed
    assert sampler.marks == {"level-0-start": start, "level-0-end": end}
    kept = sampler.samples()
    assert len(kept) == 30  # the ring bound
    assert sampler.dropped == source.reads - 30 > 0
    window = sampler.window("level-0-start", "level-0-end")
    assert all(start <= s.t_s <= end for s in window)
    record = sampler.record(max_samples=10)
    assert len(record.samples) == 10 and record.samples_dropped == source.reads - 10
    assert sampler._thread is None  # stopped and joined: no read can follow
    sampler.stop()  # idempotent


def test_sampler_level_energy_uses_the_window() -> None:
    source = ReplaySource([Reading(power_w=150.0, util_pct=50.0, memory_used_mib=1000.0)])
    with GPUSampler([0], hz=50.0, source=source) as sampler:
        t_start = sampler.mark("start")
        _wait_for(lambda: len(sampler.window(t_start, sampler.now())) >= 10)
        t_end = sampler.mark("end")
        _wait_for(lambda: any(sample.t_s > t_end for sample in sampler.samples()))
    energy = sampler.level_energy(t_start, t_end, output_tokens=10)
    assert energy is not None
    assert energy.method == METHOD_POWER
    assert energy.joules == pytest.approx(150.0 * (t_end - t_start), rel=1e-6)
    assert energy.avg_power_w == pytest.approx(150.0)


def test_sampler_without_nvml_is_inert_and_says_why() -> None:
    # The real NVML path on this machine (no GPU driver): must not raise, must say why.
    sampler = GPUSampler([0]).start()
    try:
        if sampler.available:
            pytest.skip("NVML is available on this machine; the no-NVML path is not exercised")
        assert sampler.reason
        assert sampler.window(0.0, 1e9) == []
        assert sampler.level_energy(0.0, 1.0, 10) is None
        record = sampler.record()
        assert not record.available and record.reason == sampler.reason and record.samples == []
    finally:
        sampler.stop()


def test_sampler_with_no_gpus_reports_a_reason() -> None:
    sampler = GPUSampler([]).start()
    assert not sampler.available and sampler.reason == "no GPU serves the model"
    sampler.stop()


def test_replay_source_that_fails_to_open() -> None:
    sampler = GPUSampler(
        [0], source=ReplaySource([Reading()], reason="NVML Shared Library Not Found")
    ).start()
    assert not sampler.available and sampler.record().reason == "NVML Shared Library Not Found"
    sampler.stop()
