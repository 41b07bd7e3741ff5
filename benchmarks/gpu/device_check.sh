#!/usr/bin/env bash
# Runs ON the GPU machine, offline, in the repository root (the device `run` call; see docs/telemetry.md,
# "Running the GPU check"). Needs the wheels that benchmarks/gpu/prepare.sh downloaded into .device-wheels/
# (carried). The step timeouts add up to about 4 minutes (about 1 minute expected); the script goes on after
# a failed step, so one call shows everything it can. Writes under $OUT (default benchmarks/out/gpu-check):
#   device_check.log   everything printed
#   nvidia-smi.txt     nvidia-smi and nvidia-smi -q (power, clocks, MIG, performance)
#   nvml_check.json    the collector's own NVML path live: hardware detection, GPUSampler, energy per window
#   runs/*.json        two run files: a managed launch (GPU telemetry, energy per level) and the embedded
#                      engine in-process; runs/server-*.log is the launched server's log
#   summary.txt        what the run files say about hardware, telemetry and energy
# The llama.cpp in the xllamacpp wheel is a CPU build: both runs serve a random-weight model on the CPU. They
# check NVML, energy plumbing and hardware detection with a GPU present, not a GPU engine's speed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 2
OUT="${OUT:-$ROOT/benchmarks/out/gpu-check}"
WHEELS="${WHEELS:-$ROOT/.device-wheels}"
SITE="${SITE:-/tmp/inferboard-site}"
PY="${PYTHON:-python3}"
PORT="${PORT:-18089}"
mkdir -p "$OUT/runs"
exec > >(tee -a "$OUT/device_check.log") 2>&1

failed=()
step() { echo; echo "=== $1 ($(date -u +%H:%M:%S))"; }
check() {  # check NAME SECONDS CMD...: run with a timeout, remember a failure
    local name="$1" limit="$2"
    shift 2
    timeout --kill-after=10 "$limit" "$@"
    local rc=$?
    [[ $rc -eq 0 ]] || { echo "--- $name failed (exit $rc)"; failed+=("$name:$rc"); }
    return 0
}

step "machine"
uname -a; "$PY" --version; nproc; free -g | head -2
step "nvidia-smi"
QUERY=name,driver_version,mig.mode.current,power.limit,clocks.max.sm,clocks.max.mem
{ timeout 5 nvidia-smi; timeout 5 nvidia-smi -q -d POWER,CLOCK,PERFORMANCE,MEMORY
  timeout 5 nvidia-smi --query-gpu="$QUERY" --format=csv; } \
    > "$OUT/nvidia-smi.txt" 2>&1 || failed+=("nvidia-smi")
head -20 "$OUT/nvidia-smi.txt"

step "install the carried wheels"
if ! ls "$WHEELS"/*.whl >/dev/null 2>&1; then
    echo "no wheels in $WHEELS: run benchmarks/gpu/prepare.sh before the call and carry .device-wheels"
    exit 2
fi
timeout 60 "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$SITE" "$WHEELS"/*.whl || { echo "wheel install failed"; exit 3; }
# The carried wheels shadow the image's versions; numpy (not carried) comes from the image.
export PYTHONPATH="$ROOT:$SITE" PYTHONNOUSERSITE=1 PYTHONUNBUFFERED=1
export INFERBOARD_CACHE="/tmp/inferboard-cache"
"$PY" -c 'import numpy, pydantic, pynvml, xllamacpp, collector; print("numpy", numpy.__version__)'
IB=("$PY" -c 'import sys; from collector.cli import main; sys.argv[0] = "inferboard"; main()')

step "NVML live check (collector.measure.telemetry.GPUSampler)"
check nvml_check 50 "$PY" benchmarks/gpu/nvml_check.py --out "$OUT/nvml_check.json"

source "$ROOT/benchmarks/gpu/collect_args.sh"

step "collect: managed launch of the embedded engine as a local server (GPU telemetry, energy per level)"
check collect_launch 60 "${IB[@]}" collect "${LAUNCH[@]}"

step "collect: embedded engine in-process (hardware detection with a GPU visible; no telemetry by design)"
check collect_embedded 35 "${IB[@]}" collect "${EMBEDDED[@]}"

step "validate and summarise the run files"
check validate 15 "${IB[@]}" validate "$OUT/runs"
check summary 15 "$PY" - "$OUT/runs" "$OUT/summary.txt" <<'PY'
import sys
from pathlib import Path
from collector.schema import load_run
lines = []
for path in sorted(Path(sys.argv[1]).glob("*.json")):
    r = load_run(path)
    hw, tel = r.hardware, r.telemetry
    lines.append(f"{path.name}: labels {r.labels}")
    lines.append(f"  hardware: accelerator {hw.accelerator}, gpu_count {hw.gpu_count}, "
                 f"driver {hw.driver_version}, CUDA {hw.cuda_version}, "
                 f"NVML {hw.nvml_available} {hw.nvml_reason or ''}")
    for g in hw.gpus:
        lines.append(f"  GPU {g.index}: {g.name}, {g.memory_mib} MiB, limit {g.power_limit_w} W, "
                     f"max SM {g.max_sm_clock_mhz} MHz, max mem {g.max_mem_clock_mhz} MHz, MIG {g.mig_mode}")
    lines.append(f"  telemetry: available {tel.available if tel else None}, "
                 f"reason {tel.reason if tel else None}, samples {len(tel.samples) if tel else 0}")
    for level in r.results:
        e = level.energy
        lines.append(f"  level {level.concurrency or level.request_rate}: " + (
            "no energy" if e is None else f"{e.joules} J, {e.joules_per_output_token} J/token, "
            f"{e.avg_power_w} W, {e.method}, valid {e.valid} {e.invalid_reason or ''}, {e.samples} samples"))
text = "\n".join(lines)
print(text)
Path(sys.argv[2]).write_text(text + "\n")
PY

step "done"
ls -l "$OUT" "$OUT/runs"
if ((${#failed[@]})); then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "all steps passed"
