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

if [ ! -x /usr/bin/chromium ] && [ -z "${INFERBOARD_CHROMIUM:-}" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "notice: no /usr/bin/chromium and no root: browser tests will be skipped" >&2
  fi
fi

.venv/bin/ruff check collector generator tests benchmarks
.venv/bin/ruff format --check collector generator tests benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
