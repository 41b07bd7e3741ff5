#!/usr/bin/env bash
# Re-measures what docs/ publishes about the CPU engines (issue 18): the peer comparison with vLLM's own
# client, the cpu-backends suite into runs/, and the report pages generated from both. Run it ALONE on a
# quiet machine (no tests, builds or other benchmarks beside it: they share the cores and you would measure
# them); the suite records the host's load before every level and waits, bounded, for quiet. ~50 minutes on
# 2 cores. Needs .venv (bash tests/run.sh or pip install -e .) and .venv-vllm
# (bash benchmarks/engines/setup_vllm.sh).
#
#   bash benchmarks/remeasure_cpu.sh            # writes runs/, benchmarks/results/, docs/benchmarks-*.md
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
log=benchmarks/out/remeasure-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$log"
uptime | tee "$log/load-before.txt"
python benchmarks/peer_vllm.py --levels 1,4 --requests 32 --trials 2 --write-docs >"$log/peer.txt" 2>&1
# transformers serve answers /v1/models by scanning the Hugging Face hub cache and fails (HTTP 500) when the
# folder does not exist, as on a fresh machine.
mkdir -p "${HF_HOME:-$HOME/.cache/huggingface}/hub"
# A failed cell is reported by the suite (and its exit status); the report below still covers the others.
inferboard collect benchmarks/suites/cpu-backends.yaml --out runs/ 2>&1 | tee "$log/suite.txt" || true
python benchmarks/agreement_report.py --extra benchmarks/results/cpu-backends/broken --write-docs \
  >"$log/agreement.txt" 2>&1
uptime | tee "$log/load-after.txt"
