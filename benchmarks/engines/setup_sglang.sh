#!/usr/bin/env bash
# Create a virtualenv holding SGLang's real server on a CPU-only host, to check inferboard's SGLang adapter
# (tests/test_sglang_live.py, marker `sglang`). This is a WORKAROUND setup, not a supported SGLang install:
#
# - sglang itself goes in with --no-deps: its declared dependencies pull CUDA torch and the CUDA-only
#   sglang-kernel / flashinfer / deep-ep wheels, none of which run (or exist for) a CPU host;
# - its pure-Python dependencies are then installed from its own metadata, minus the CUDA/GPU-kernel ones;
# - torch is the CPU build (torch==2.13.0+cpu, a local wheel pip finds on these machines; elsewhere add
#   --extra-index-url https://download.pytorch.org/whl/cpu); torchvision's matching build gets its
#   _meta_registrations.py emptied (it registers meta kernels for ops the CPU build lacks and fails on import);
# - the CPU build of sgl_kernel is not on any package index (its source needs GitHub), so a stub package is
#   installed whose attributes are functions that raise: the server must be started with
#   --attention-backend torch_native so that no stubbed kernel is ever called on the paths we exercise.
#
# Anything measured with this setup checks the adapter against SGLang's real HTTP server and scheduler, not
# SGLang's CPU performance. Idempotent: a second run only checks. ~10-15 minutes on 2 busy cores, ~3.4 GB.
#
# Usage: bash benchmarks/engines/setup_sglang.sh   (SGLANG_VENV=dir PYTHON=python3.11 to override)
set -euo pipefail

SGLANG_VERSION="${SGLANG_VERSION:-0.5.23}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
VENV="${SGLANG_VENV:-/work/venvs/sglang}"
PY="${PYTHON:-python3}"
PIP=(--quiet --disable-pip-version-check)

installed() { "$VENV/bin/python" -m pip show "$1" 2>/dev/null | sed -n 's/^Version: \([^+]*\).*/\1/p'; }
have() { [[ "$(installed "$1")" == "$2" ]]; }

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "creating $VENV" >&2
  "$PY" -m venv "$VENV"
fi
if ! have sglang "$SGLANG_VERSION"; then
  "$VENV/bin/python" -m pip install "${PIP[@]}" --no-deps "sglang==$SGLANG_VERSION"
fi
if ! have torch "$TORCH_VERSION" || [[ -z "$(installed torchvision)" ]]; then
  echo "installing torch==$TORCH_VERSION (CPU) + torchvision" >&2
  "$VENV/bin/python" -m pip install "${PIP[@]}" "torch==$TORCH_VERSION" torchvision
fi

# sglang's own requirements (no extras), evaluated for this platform, minus CUDA/GPU-only packages and the
# torch family (installed above, pinned to the CPU build).
REQS="$("$VENV/bin/python" - <<'PY'
import re
from importlib.metadata import requires
from pip._vendor.packaging.requirements import Requirement

SKIP = re.compile(
    r"^(torch|torchvision|torchaudio|torchcodec|torch[-_]memory[-_]saver|cuda-python|nvidia-.*|nvshmem4py.*"
    r"|flash[-_]attn.*|flashinfer.*|sglang-kernel|sgl-.*|humming-kernels|quack-kernels|tilelang"
    r"|deepseek-recipe|apache-tvm-ffi)$",
    re.I,
)
for line in requires("sglang") or []:
    req = Requirement(line)
    if SKIP.match(req.name):
        continue
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue
    req.marker = None
    req.extras = set()
    print(str(req))
PY
)"
missing=()
while IFS= read -r req; do
  name="${req%%[<>=!~ ;[]*}"
  [[ -n "$(installed "$name")" ]] || missing+=("$req")
done <<<"$REQS"
if ((${#missing[@]})); then
  echo "installing ${#missing[@]} of sglang's pure-Python dependencies" >&2
  "$VENV/bin/python" -m pip install "${PIP[@]}" "torch==$TORCH_VERSION" "${missing[@]}"
fi

SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
META="$SITE/torchvision/_meta_registrations.py"
if [[ -s "$META" ]]; then
  echo "emptying $META (meta kernels for ops the CPU torch build lacks)" >&2
  : >"$META"
fi
if [[ ! -f "$SITE/sgl_kernel/__init__.py" ]]; then
  echo "installing the sgl_kernel stub (the CPU build is not on any index)" >&2
  mkdir -p "$SITE/sgl_kernel"
  cat >"$SITE/sgl_kernel/__init__.py" <<'PY'
"""Stub of sgl_kernel for running SGLang's server on CPU with --attention-backend torch_native.

Written by inferboard's benchmarks/engines/setup_sglang.sh: the CPU build of sgl_kernel is not on any package
index. Every attribute is a function that raises, so a code path that really needs a kernel fails loudly
instead of computing something wrong.
"""

__version__ = "0.0.0+inferboard-stub"


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)

    def _missing(*args, **kwargs):
        raise NotImplementedError(f"sgl_kernel.{name} is stubbed (inferboard setup_sglang.sh)")

    _missing.__name__ = name
    return _missing
PY
fi
"$VENV/bin/python" -c 'import sglang, torch; print(f"sglang {sglang.__version__} on torch {torch.__version__}")'
