#!/usr/bin/env bash
# Re-measures how each CPU engine starts (issue 25): the servers of benchmarks/suites/cpu-backends.yaml,
# each launched once more by the current collector, which records launch.startup_s (process start to the
# first ready answer), launch.first_token_s (process start to the first served token), the number of launch
# flags and the engine package's installed size. The load is a short probe (chat workload, one user, 14
# requests, one trial, no quality pass): the run files it writes into runs/ are labelled `startup-probe`, and
# with 14 requests a level never decides a verdict (40 are needed). Run it ALONE on a quiet machine; about
# 5 minutes on 2 cores (vLLM's CPU build takes 1-2 minutes to start). Needs .venv and .venv-vllm.
#
#   bash benchmarks/remeasure_startup.sh         # writes runs/ and benchmarks/out/startup-<time>/
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
log=benchmarks/out/startup-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$log" "${HF_HOME:-$HOME/.cache/huggingface}/hub"
uptime | tee "$log/load-before.txt"
# The probe suite is the CPU suite with its load, workloads and labels replaced: the servers are defined once.
python - "$log/cpu-startup.yaml" <<'PY'
import sys
from pathlib import Path

import yaml

suite = yaml.safe_load(Path("benchmarks/suites/cpu-backends.yaml").read_text())
suite["name"] = "cpu-startup"
suite["description"] = (
    "Startup probe of the cpu-backends servers (benchmarks/remeasure_startup.sh): one launch each, a short "
    "load (1 user, 14 requests, one trial, no quality pass) so that the launch figures are recorded."
)
suite["defaults"].update({"repeats": 1, "warmup": 1, "quality": False})
suite["load"] = {"concurrency": [1], "requests": 14}
suite["workloads"] = [w for w in suite["workloads"] if w["name"] == "chat"]
for server in suite["servers"]:
    server["labels"] = [*server.get("labels", []), "startup-probe"]
Path(sys.argv[1]).write_text(yaml.safe_dump(suite, sort_keys=False))
PY
# Relative paths in the suite (none today) would resolve against the copy's folder.
inferboard collect "$log/cpu-startup.yaml" --out runs/ 2>&1 | tee "$log/suite.txt"
uptime | tee "$log/load-after.txt"
