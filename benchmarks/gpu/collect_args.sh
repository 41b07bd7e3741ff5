# Sourced by device_check.sh (and by tests/benchmarks/test_gpu_check.py, which parses and validates
# these arguments with the real `inferboard collect` options): the two collect invocations of the GPU check.
# Needs PY (the device's python), PORT (a free loopback port) and OUT (the output folder).
# shellcheck shell=bash disable=SC2034

# Small and short: 2 levels of 4 s each (>= the 5 samples at 10 Hz the energy validity rule needs).
LOAD=(--random-weights --label gpu-check --concurrency 1,4 --duration 4 --warmup 2 --input-tokens 64
    --output-tokens 32 --no-quality --no-progress --out "$OUT/runs")

# The embedded engine as a managed local server: the collector samples the GPU and records energy per level.
LAUNCH=(--launch "$PY -m collector.server.engine --port $PORT --shape tiny"
    --endpoint "http://127.0.0.1:$PORT" --backend llama.cpp --ready-timeout 60 --label cpu-engine
    "${LOAD[@]}")

# The embedded engine in-process: hardware detection with a GPU visible; no telemetry (a CPU engine).
EMBEDDED=("${LOAD[@]}")
