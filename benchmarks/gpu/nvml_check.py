"""Live check of the collector's NVML path on a real GPU (run by benchmarks/gpu/device_check.sh).

Uses the collector's own code, not a copy: `detect_hardware()` (driver, CUDA version, GPU name, memory,
power limit, max clocks, MIG mode) and `GPUSampler` (10 Hz samples, per-window energy). Three windows on
the sampler's clock:

- idle: nothing running on the GPU;
- load: a bf16 matrix-product loop through PyTorch on GPU 0 when torch can use the GPU (the device image
  has it), else a second idle window, said so in the output;
- short: 0.2 s, fewer samples than the validity rule needs: it must come out `valid: false`.

For each window the energy is computed twice from the same samples: with the total-energy counter (the
collector's preferred method) and by integrating power (the energy readings dropped), and the relative
difference is printed. Writes one JSON file (--out) and prints a summary; exit status 1 when NVML is
unavailable or a check fails.

  python benchmarks/gpu/nvml_check.py --out nvml_check.json [--idle-s 3] [--load-s 4]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from collector.measure.telemetry import GPUSampler, level_energy
from collector.provenance.hardware import detect_hardware
from collector.schema import Energy, TelemetrySample

try:  # optional: only to put load on the GPU; the device image has it, this machine need not
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

SHORT_WINDOW_S = 0.2


def _wait_until(sampler: GPUSampler, t_end: float) -> None:
    # The sampler thread does the work; this thread only has to let the wall clock pass.
    while sampler.now() < t_end:
        time.sleep(min(0.05, max(0.0, t_end - sampler.now())))


def _gpu_load(sampler: GPUSampler, seconds: float) -> str:
    """Keep GPU 0 busy for `seconds`; returns what was run."""
    if torch is None or not torch.cuda.is_available():
        _wait_until(sampler, sampler.now() + seconds)
        return "none (torch with CUDA not importable): a second idle window"
    a = torch.randn(8192, 8192, device="cuda:0", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda:0", dtype=torch.bfloat16)
    end = sampler.now() + seconds
    products = 0
    while sampler.now() < end:
        for _ in range(20):
            torch.matmul(a, b)
        torch.cuda.synchronize()
        products += 20
    return f"torch {torch.__version__}: {products} bf16 8192x8192x8192 matmuls on cuda:0"


def _without_counter(samples: list[TelemetrySample]) -> list[TelemetrySample]:
    return [s.model_copy(update={"energy_mj": None}) for s in samples]


def _compare(sampler: GPUSampler, name: str, t0: float, t1: float) -> dict[str, Any]:
    pad = 2.0 / sampler.hz
    samples = sampler.window(t0 - pad, t1 + pad)
    tokens = 1  # no tokens here: joules_per_output_token is meaningless and not reported below
    counter = level_energy(samples, t0, t1, tokens, sampler.gpu_indices)
    power = level_energy(_without_counter(samples), t0, t1, tokens, sampler.gpu_indices)
    diff = None
    if counter.joules and power.joules is not None:
        diff = (power.joules - counter.joules) / counter.joules

    def brief(e: Energy) -> dict[str, Any]:
        return e.model_dump(exclude={"joules_per_output_token"})

    return {
        "window": name,
        "t_start_s": round(t0, 3),
        "t_end_s": round(t1, 3),
        "counter": brief(counter),
        "power_integration": brief(power),
        "relative_difference": diff,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--idle-s", type=float, default=3.0, help="idle window length")
    parser.add_argument("--load-s", type=float, default=4.0, help="GPU load window length")
    parser.add_argument("--hz", type=float, default=10.0, help="sampling rate")
    args = parser.parse_args()

    hardware = detect_hardware()
    report: dict[str, Any] = {"hardware": hardware.model_dump(mode="json", exclude={"host"}), "checks": []}
    print(f"NVML available: {hardware.nvml_available} ({hardware.nvml_reason or 'ok'})")
    print(f"driver {hardware.driver_version}, CUDA {hardware.cuda_version}, {hardware.gpu_count} GPU(s)")
    for gpu in hardware.gpus:
        print(
            f"  GPU {gpu.index}: {gpu.name}, {gpu.memory_mib} MiB, power limit {gpu.power_limit_w} W, "
            f"max SM {gpu.max_sm_clock_mhz} MHz, max mem {gpu.max_mem_clock_mhz} MHz, MIG {gpu.mig_mode}"
        )
    failures: list[str] = []
    if not hardware.nvml_available or not hardware.gpus:
        failures.append(f"NVML unavailable or no GPU: {hardware.nvml_reason}")
    else:
        sampler = GPUSampler([g.index for g in hardware.gpus], hz=args.hz).start()
        try:
            if not sampler.available:
                failures.append(f"sampler unavailable: {sampler.reason}")
            else:
                t_idle0 = sampler.mark("idle-start")
                _wait_until(sampler, t_idle0 + args.idle_s)
                t_idle1 = sampler.mark("idle-end")
                t_load0 = sampler.mark("load-start")
                report["load"] = _gpu_load(sampler, args.load_s)
                t_load1 = sampler.mark("load-end")
                _wait_until(sampler, t_load1 + 0.5)  # samples past the edge, as the runner has
                t_short0 = t_idle0 + 1.0
                report["checks"] = [
                    _compare(sampler, "idle", t_idle0, t_idle1),
                    _compare(sampler, "load", t_load0, t_load1),
                    _compare(sampler, "short", t_short0, t_short0 + SHORT_WINDOW_S),
                ]
                record = sampler.record()
                report["telemetry"] = {
                    "samples": len(record.samples),
                    "samples_dropped": record.samples_dropped,
                    "first": record.samples[0].model_dump() if record.samples else None,
                    "last": record.samples[-1].model_dump() if record.samples else None,
                }
        finally:
            sampler.stop()
        for check in report["checks"]:
            c, p = check["counter"], check["power_integration"]
            print(
                f"{check['window']:>5}: counter {c['joules']} J ({c['method']}, valid {c['valid']}"
                f"{', ' + c['invalid_reason'] if c['invalid_reason'] else ''}); power-integrated "
                f"{p['joules']} J; difference {check['relative_difference']}; avg {c['avg_power_w']} W, "
                f"util {c['avg_utilization_pct']} %, peak mem {c['peak_memory_mib']} MiB, "
                f"{c['samples']} samples"
            )
        by_name = {c["window"]: c for c in report["checks"]}
        if by_name and not by_name["idle"]["counter"]["valid"]:
            failures.append("idle window not valid")
        if by_name and by_name["short"]["counter"]["valid"]:
            failures.append("the 0.2 s window should be invalid (too few samples)")
        print(f"load: {report.get('load')}")
    report["failures"] = failures
    args.out.write_text(json.dumps(report, indent=2))
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
