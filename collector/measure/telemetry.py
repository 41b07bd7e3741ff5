"""GPU telemetry (NVML sampler thread) and per-level energy.

The sampler reads each serving GPU at a fixed rate (default 10 Hz) into bounded memory; the runner marks
level boundaries and asks for a window's samples. Everything after sampling is pure: `level_energy()` turns
a window of samples into the level's `Energy`, `telemetry_record()` turns the series into the bounded
`Telemetry` saved in the run. See docs/telemetry.md for the method and the validity rules.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np
import pynvml

from collector.provenance.hardware import nvml_error_text, nvml_try
from collector.schema import Energy, Telemetry, TelemetrySample

DEFAULT_HZ = 10.0
MIN_SAMPLES_PER_GPU = 5
MAX_EDGE_GAP_S = 0.5  # the samples must reach within this of each window edge
MAX_SAVED_SAMPLES = 5000
MAX_MEMORY_SAMPLES = 200_000  # the in-memory ring: 10 Hz x 8 GPUs for ~40 minutes

METHOD_COUNTER = "nvml-energy-counter"
METHOD_POWER = "nvml-power-integration"


class Reading(NamedTuple):
    """One GPU's readings at one instant; None where the device does not report a quantity."""

    power_w: float | None = None
    energy_mj: float | None = None
    util_pct: float | None = None
    memory_used_mib: float | None = None
    sm_clock_mhz: int | None = None
    mem_clock_mhz: int | None = None
    temperature_c: float | None = None


class _Sample(NamedTuple):
    t_s: float
    gpu: int
    reading: Reading


class SampleSource(Protocol):
    """Where readings come from: NVML in production, a recorded sequence in tests."""

    def open(self, gpu_indices: Sequence[int]) -> str | None:
        """Prepare to read; None on success, else why telemetry is unavailable."""

    def read(self, gpu: int) -> Reading:
        """One reading of one GPU (must not raise for an unsupported quantity)."""

    def close(self) -> None:
        """Release the source."""


class NvmlSource:
    """Readings through NVML. Quantities a device does not support are skipped after the first failure."""

    def __init__(self) -> None:
        self._handles: dict[int, Any] = {}
        self._unsupported: set[tuple[int, str]] = set()
        self._initialised = False

    def open(self, gpu_indices: Sequence[int]) -> str | None:
        try:
            pynvml.nvmlInit()
        except (pynvml.NVMLError, OSError) as exc:
            return nvml_error_text(exc)
        self._initialised = True
        try:
            self._handles = {i: pynvml.nvmlDeviceGetHandleByIndex(i) for i in gpu_indices}
        except pynvml.NVMLError as exc:
            self.close()
            return f"GPU index not available: {nvml_error_text(exc)}"
        return None

    def _query(self, gpu: int, name: str, call: Callable[[], Any]) -> Any:
        if (gpu, name) in self._unsupported:
            return None
        value = nvml_try(call)
        if value is None:
            self._unsupported.add((gpu, name))
        return value

    def read(self, gpu: int) -> Reading:
        h = self._handles[gpu]
        power = self._query(gpu, "power", lambda: pynvml.nvmlDeviceGetPowerUsage(h))
        util = self._query(gpu, "util", lambda: pynvml.nvmlDeviceGetUtilizationRates(h))
        memory = self._query(gpu, "memory", lambda: pynvml.nvmlDeviceGetMemoryInfo(h))
        return Reading(
            power_w=power / 1000.0 if power is not None else None,
            energy_mj=self._query(gpu, "energy", lambda: pynvml.nvmlDeviceGetTotalEnergyConsumption(h)),
            util_pct=float(util.gpu) if util is not None else None,
            memory_used_mib=memory.used / 2**20 if memory is not None else None,
            sm_clock_mhz=self._query(
                gpu, "sm", lambda: pynvml.nvmlDeviceGetClockInfo(h, pynvml.NVML_CLOCK_SM)
            ),
            mem_clock_mhz=self._query(
                gpu, "mem", lambda: pynvml.nvmlDeviceGetClockInfo(h, pynvml.NVML_CLOCK_MEM)
            ),
            temperature_c=self._query(
                gpu, "temp", lambda: pynvml.nvmlDeviceGetTemperature(h, pynvml.NVML_TEMPERATURE_GPU)
            ),
        )

    def close(self) -> None:
        if self._initialised:
            self._initialised = False
            self._handles = {}
            with contextlib.suppress(pynvml.NVMLError):
                pynvml.nvmlShutdown()


def _to_schema(sample: _Sample) -> TelemetrySample:
    r = sample.reading
    return TelemetrySample(
        t_s=round(sample.t_s, 4),
        gpu=sample.gpu,
        power_w=r.power_w,
        energy_mj=r.energy_mj,
        util_pct=r.util_pct,
        memory_used_mib=r.memory_used_mib,
        sm_clock_mhz=r.sm_clock_mhz,
        mem_clock_mhz=r.mem_clock_mhz,
        temperature_c=r.temperature_c,
    )


class GPUSampler:
    """A daemon thread that samples the given GPUs at `hz` until stopped.

    Times are seconds since `t0` (a `time.monotonic()` value; default: when the sampler was created), the
    same clock the runner uses for `mark()` and level windows. Without NVML the sampler is inert:
    `available` is False, `reason` says why, windows are empty and `level_energy()` returns None.
    """

    def __init__(
        self,
        gpu_indices: Sequence[int],
        hz: float = DEFAULT_HZ,
        source: SampleSource | None = None,
        t0: float | None = None,
        max_samples: int = MAX_MEMORY_SAMPLES,
    ) -> None:
        if hz <= 0:
            raise ValueError(f"sampling rate must be positive, got {hz}")
        self.gpu_indices = list(gpu_indices)
        self.hz = hz
        self.t0 = time.monotonic() if t0 is None else t0
        self.marks: dict[str, float] = {}
        self.available = False
        self.reason: str | None = "sampler not started"
        self.dropped = 0
        self._source: SampleSource = source or NvmlSource()
        self._samples: deque[_Sample] = deque(maxlen=max_samples)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def now(self) -> float:
        """Seconds since t0 on the sampler's clock."""
        return time.monotonic() - self.t0

    def start(self) -> GPUSampler:
        if self._thread is not None:
            return self
        if not self.gpu_indices:
            self.reason = "no GPU serves the model"
            return self
        self.reason = self._source.open(self.gpu_indices)
        self.available = self.reason is None
        if self.available:
            self._sample_once()  # a sample at t=start, so the first window edge is covered
            self._thread = threading.Thread(target=self._run, name="inferboard-gpu-sampler", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling (idempotent); the samples stay available."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
            self._source.close()

    def __enter__(self) -> GPUSampler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _sample_once(self) -> None:
        batch = [_Sample(self.now(), gpu, self._source.read(gpu)) for gpu in self.gpu_indices]
        with self._lock:
            overflow = len(self._samples) + len(batch) - (self._samples.maxlen or 0)
            self.dropped += max(0, overflow)
            self._samples.extend(batch)

    def _run(self) -> None:
        period = 1.0 / self.hz
        next_at = time.monotonic() + period
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            self._sample_once()
            # Fixed-rate schedule; after a stall, skip missed ticks instead of bursting.
            next_at = max(next_at + period, time.monotonic())

    def mark(self, name: str) -> float:
        """Record a named instant (e.g. 'level-3-start') and return its time."""
        self.marks[name] = t = self.now()
        return t

    def window(self, start: str | float, end: str | float) -> list[TelemetrySample]:
        """Samples with start <= t <= end; bounds are mark names or times."""
        t_start = self.marks[start] if isinstance(start, str) else start
        t_end = self.marks[end] if isinstance(end, str) else end
        with self._lock:
            return [_to_schema(s) for s in self._samples if t_start <= s.t_s <= t_end]

    def samples(self) -> list[TelemetrySample]:
        with self._lock:
            return [_to_schema(s) for s in self._samples]

    def level_energy(self, t_start: float, t_end: float, output_tokens: int) -> Energy | None:
        """Energy for a level window; None when telemetry is unavailable (the run's Telemetry says why).

        Samples just outside the window are included so the edges can be interpolated.
        """
        if not self.available:
            return None
        pad = 2.0 / self.hz
        return level_energy(
            self.window(t_start - pad, t_end + pad), t_start, t_end, output_tokens, self.gpu_indices
        )

    def record(self, max_samples: int = MAX_SAVED_SAMPLES) -> Telemetry:
        """The bounded Telemetry for the run file."""
        if not self.available:
            return Telemetry(available=False, reason=self.reason, sample_hz=self.hz)
        return telemetry_record(
            self.samples(), sample_hz=self.hz, max_samples=max_samples, dropped=self.dropped
        )


def _interpolate(times: np.ndarray, values: np.ndarray, t: float) -> float:
    # Linear inside the sampled range, clamped to the nearest sample outside it.
    return float(np.interp(t, times, values))


def _integrate_power(times: np.ndarray, watts: np.ndarray, t_start: float, t_end: float) -> float:
    inside = (times > t_start) & (times < t_end)
    ts = np.concatenate(([t_start], times[inside], [t_end]))
    ws = np.concatenate(
        ([_interpolate(times, watts, t_start)], watts[inside], [_interpolate(times, watts, t_end)])
    )
    return float(np.sum((ws[1:] + ws[:-1]) / 2.0 * np.diff(ts)))


def _series(samples: Iterable[TelemetrySample], gpu: int, field: str) -> tuple[np.ndarray, np.ndarray]:
    pairs = sorted(
        (s.t_s, getattr(s, field)) for s in samples if s.gpu == gpu and getattr(s, field) is not None
    )
    return np.array([p[0] for p in pairs], dtype=float), np.array([p[1] for p in pairs], dtype=float)


def _coverage_problems(
    samples: Sequence[TelemetrySample],
    in_window: Sequence[TelemetrySample],
    gpus: Sequence[int],
    t_start: float,
    t_end: float,
    min_samples: int,
    max_edge_gap_s: float,
) -> tuple[list[str], bool]:
    """Why each GPU's samples cannot support the window, and whether every energy counter is usable."""
    problems: list[str] = []
    counter_ok = True
    for gpu in gpus:
        count = sum(1 for s in in_window if s.gpu == gpu)
        if count < min_samples:
            problems.append(f"too few samples on GPU {gpu} ({count} < {min_samples})")
        times = sorted(s.t_s for s in samples if s.gpu == gpu)
        if times and (times[0] > t_start + max_edge_gap_s or times[-1] < t_end - max_edge_gap_s):
            problems.append(
                f"window not covered on GPU {gpu} (samples {times[0]:.2f}-{times[-1]:.2f} s, "
                f"window {t_start:.2f}-{t_end:.2f} s)"
            )
        _energy_t, energy = _series(samples, gpu, "energy_mj")
        if energy.size < 2:
            counter_ok = False
        elif np.any(np.diff(energy) < 0):
            counter_ok = False
            problems.append(f"energy counter went backwards on GPU {gpu} (reset or wrap)")
    return problems, counter_ok


def _window_joules(
    samples: Sequence[TelemetrySample],
    gpus: Sequence[int],
    method: str,
    t_start: float,
    t_end: float,
    problems: list[str],
) -> float | None:
    """Joules over the window summed over GPUs by `method`; None (with a problem added) without readings."""
    duration = t_end - t_start
    joules: float | None = 0.0
    for gpu in gpus:
        if method == METHOD_COUNTER:
            t, mj = _series(samples, gpu, "energy_mj")
            joules = (joules or 0.0) + (_interpolate(t, mj, t_end) - _interpolate(t, mj, t_start)) / 1000.0
            continue
        t, watts = _series(samples, gpu, "power_w")
        if watts.size == 0:
            problems.append(f"no power or energy readings on GPU {gpu}")
            joules = None
            break
        if duration > 0:
            joules = (joules or 0.0) + _integrate_power(t, watts, t_start, t_end)
    if not gpus or duration <= 0:
        joules = None
    return joules


def level_energy(
    samples: Sequence[TelemetrySample],
    t_start: float,
    t_end: float,
    output_tokens: int,
    gpu_indices: Sequence[int],
    min_samples: int = MIN_SAMPLES_PER_GPU,
    max_edge_gap_s: float = MAX_EDGE_GAP_S,
) -> Energy:
    """Energy of the serving GPUs over [t_start, t_end] from a sample sequence (pure).

    Method: the total-energy counter (mJ) interpolated at both edges, when every GPU reports it; else the
    trapezoidal integral of power. Figures are summed over GPUs (joules, average power, peak memory = sum of
    each GPU's peak); utilisation is the mean over GPUs. Samples outside the window are used only to
    interpolate the edges. `valid` is False, with the first reason found, when: the window is empty, a GPU
    has fewer than `min_samples` samples inside it, the samples do not reach within `max_edge_gap_s` of both
    edges, a GPU has neither counter nor power readings, or an energy counter went backwards (reset or
    wrap; the joules then come from power integration).
    """
    duration = t_end - t_start
    gpus = list(gpu_indices)
    in_window = [s for s in samples if t_start <= s.t_s <= t_end and s.gpu in gpus]
    problems: list[str] = []
    if duration <= 0:
        problems.append(f"empty window ({duration:.3f} s)")
    if not gpus:
        problems.append("no GPU in the window")
    coverage, counter_ok = _coverage_problems(
        samples, in_window, gpus, t_start, t_end, min_samples, max_edge_gap_s
    )
    problems.extend(coverage)
    method = METHOD_COUNTER if counter_ok and gpus else METHOD_POWER
    joules = _window_joules(samples, gpus, method, t_start, t_end, problems)

    peaks = [
        max(
            (s.memory_used_mib for s in in_window if s.gpu == g and s.memory_used_mib is not None),
            default=None,
        )
        for g in gpus
    ]
    known_peaks = [p for p in peaks if p is not None]
    utils = [s.util_pct for s in in_window if s.util_pct is not None]
    return Energy(
        method=method,
        joules=joules,
        joules_per_output_token=joules / output_tokens if joules is not None and output_tokens > 0 else None,
        avg_power_w=joules / duration if joules is not None and duration > 0 else None,
        peak_memory_mib=sum(known_peaks) if known_peaks else None,
        avg_utilization_pct=float(np.mean(utils)) if utils else None,
        samples=len(in_window),
        valid=not problems,
        invalid_reason="; ".join(problems) if problems else None,
    )


def telemetry_record(
    samples: Sequence[TelemetrySample],
    sample_hz: float | None = DEFAULT_HZ,
    max_samples: int = MAX_SAVED_SAMPLES,
    dropped: int = 0,
) -> Telemetry:
    """The time series for the run file, evenly thinned per GPU to at most `max_samples` in total.

    `samples_dropped` counts both the thinned samples and `dropped` (those the sampler's ring already lost).
    """
    by_gpu: dict[int, list[TelemetrySample]] = {}
    for s in sorted(samples, key=lambda s: (s.t_s, s.gpu)):
        by_gpu.setdefault(s.gpu, []).append(s)
    budget = max(1, max_samples // max(1, len(by_gpu)))
    kept: list[TelemetrySample] = []
    for series in by_gpu.values():
        if len(series) <= budget:
            kept.extend(series)
        else:
            picks = np.unique(np.round(np.linspace(0, len(series) - 1, budget)).astype(int))
            kept.extend(series[i] for i in picks)
    kept.sort(key=lambda s: (s.t_s, s.gpu))
    return Telemetry(
        available=True,
        sample_hz=sample_hz,
        samples=kept,
        samples_dropped=dropped + len(samples) - len(kept),
    )


def unavailable(reason: str, sample_hz: float | None = None) -> Telemetry:
    """The Telemetry of a run without GPU telemetry, saying why."""
    return Telemetry(available=False, reason=reason, sample_hz=sample_hz)
