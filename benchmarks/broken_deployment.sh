#!/usr/bin/env bash
# A deliberately broken deployment for the agreement check (issue 14): a generated random-weight model served
# by an external llama.cpp server under the real model's name, so the collector cannot tell and records the
# weights as real. Its run file goes to benchmarks/results/cpu-backends/broken/ (never into runs/);
# `benchmarks/agreement_report.py --extra benchmarks/results/cpu-backends/broken` shows it flagged.
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/results/cpu-backends/broken
port=${PORT:-18450}
rm -rf "$out"
log=$(mktemp)
.venv/bin/python -m collector.server.engine --shape tiny --alias SmolLM2-135M-Instruct --port "$port" \
  --threads 1 --n-parallel 1 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -f "$log"' EXIT
# The engine prints its base URL once /health answers.
for _ in $(seq 1 600); do
  grep -q "^http://" "$log" && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.5
done
.venv/bin/inferboard collect --endpoint "http://127.0.0.1:$port" --backend llama.cpp \
  --model SmolLM2-135M-Instruct --concurrency 1 --requests 2 --repeats 1 --warmup 0 \
  --input-tokens 16 --output-tokens 4 --out "$out" --no-progress
