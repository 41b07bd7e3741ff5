#!/usr/bin/env bash
# Create benchmarks/.venv-peers with guidellm and aiperf (pinned) and build a tiny offline tokenizer
# under benchmarks/out/tokenizer that HF AutoTokenizer loads from a local path.
#
# The peers live in their own virtualenv so their (heavy, fast-moving) dependencies never leak into
# inferboard's environment. Idempotent: re-running skips what is already installed.
#
# Usage: bash benchmarks/peers_setup.sh            (PYTHON=python3.11 to choose the interpreter)
set -euo pipefail

GUIDELLM_VERSION="${GUIDELLM_VERSION:-0.8.1}"
AIPERF_VERSION="${AIPERF_VERSION:-0.13.0}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv-peers"
OUT="$HERE/out"
PY="${PYTHON:-python3}"

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "creating $VENV" >&2
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
fi

have() { "$VENV/bin/pip" show "$1" 2>/dev/null | grep -q "^Version: $2\$"; }
if ! have guidellm "$GUIDELLM_VERSION" || ! have aiperf "$AIPERF_VERSION"; then
  echo "installing guidellm==$GUIDELLM_VERSION aiperf==$AIPERF_VERSION into $VENV" >&2
  "$VENV/bin/pip" install --quiet "guidellm==$GUIDELLM_VERSION" "aiperf==$AIPERF_VERSION" tokenizers
fi

mkdir -p "$OUT"
"$VENV/bin/python" "$HERE/make_tokenizer.py" "$OUT/tokenizer"
"$VENV/bin/pip" freeze > "$OUT/peers-freeze.txt"
echo "guidellm: $("$VENV/bin/guidellm" --version 2>/dev/null || echo '?')" >&2
echo "aiperf:   $("$VENV/bin/pip" show aiperf | sed -n 's/^Version: //p')" >&2
echo "tokenizer: $OUT/tokenizer" >&2
