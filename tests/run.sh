#!/usr/bin/env bash
# The test command (README, .ci/run and .github/workflows/ci.yml all run exactly this).
# On a fresh machine it installs what it needs: a virtualenv in .venv with the package and its test extra,
# and Debian's chromium for the browser tests (root or sudo; skipped with a notice when impossible).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
# Ray for the --cluster tests (the `cluster` extra, ~100 MB). INFERBOARD_NO_RAY=1 leaves it out; when it cannot
# install, its tests (marker `ray`) skip, saying why.
if [ -z "${INFERBOARD_NO_RAY:-}" ]; then
  ray_log=$(mktemp)
  if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,cluster]' >"$ray_log" 2>&1; then
    tail -n 5 "$ray_log" >&2
    echo "notice: the cluster extra (Ray) did not install (above): the Ray tests will be skipped" >&2
  fi
  rm -f "$ray_log"
fi

# Zensical for `inferboard build --engine zensical` (the `zensical` extra); when it cannot install, the test
# that builds the site with both engines skips its Zensical half, saying why.
zensical_log=$(mktemp)
if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,zensical]' >"$zensical_log" 2>&1; then
  tail -n 3 "$zensical_log" >&2
  echo "notice: the zensical extra did not install (above): the Zensical build test will be skipped" >&2
fi
rm -f "$zensical_log"

# The second real engine (Hugging Face transformers serve on CPU PyTorch) and the GGUF -> HF conversion when a
# CPU torch wheel is available
# without a download of CUDA builds (a local wheel in pip's find-links); otherwise their tests skip, saying why.
probe=$(mktemp -d)
if .venv/bin/python -m pip download --quiet --no-deps --no-index -d "$probe" 'torch==2.13.0' >/dev/null 2>&1; then
  rm -rf "$probe"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check 'torch==2.13.0' -e '.[test,engine2,convert]'
  # vLLM's CPU build in its own virtualenv (.venv-vllm; its pins differ from ours). ~5 min the first time,
  # a version check afterwards. INFERBOARD_NO_VLLM=1 skips it (its tests then skip, saying why).
  if [ -z "${INFERBOARD_NO_VLLM:-}" ]; then
    vllm_log=$(mktemp)
    if ! bash benchmarks/engines/setup_vllm.sh >"$vllm_log" 2>&1; then
      tail -n 5 "$vllm_log" >&2
      echo "notice: the vLLM setup failed (above): the vLLM tests will be skipped" >&2
    fi
    rm -f "$vllm_log"
  fi
else
  rm -rf "$probe"
  echo "notice: no local CPU torch wheel: the transformers (second engine) and vLLM tests will be skipped" >&2
fi

if [ ! -x /usr/bin/chromium ] && [ -z "${INFERBOARD_CHROMIUM:-}" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "notice: no /usr/bin/chromium and no root: browser tests will be skipped" >&2
  fi
fi

# As if the virtualenv were activated: launch lines in tests and suite examples say `python -m ...`.
export PATH="$PWD/.venv/bin:$PATH"
.venv/bin/ruff check collector generator tests benchmarks
.venv/bin/ruff format --check collector generator tests benchmarks
.venv/bin/mypy
# Dead code cannot come back (settings and whitelist: [tool.vulture] in pyproject.toml).
.venv/bin/vulture
.venv/bin/python -m pytest "$@"
