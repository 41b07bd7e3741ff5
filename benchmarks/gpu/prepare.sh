#!/usr/bin/env bash
# Run HERE (with access to the package registry), once, before the device `run` call: downloads into
# .device-wheels/ (git-ignored) the wheels that benchmarks/gpu/device_check.sh installs on the GPU machine,
# which has no network. Each distribution in benchmarks/gpu/wheels.txt is pinned to the version installed in
# this checkout's virtualenv, for the device's Python (3.12, x86-64 manylinux). See docs/telemetry.md,
# "Running the GPU check".
#
#   bash benchmarks/gpu/prepare.sh            # uses .venv/bin/python for the pins
#   PYTHON=/path/to/python DEVICE_PY=3.12 DEST=.device-wheels bash benchmarks/gpu/prepare.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
DEVICE_PY="${DEVICE_PY:-3.12}"
DEST="${DEST:-$ROOT/.device-wheels}"
LIST="$ROOT/benchmarks/gpu/wheels.txt"
# The carry limit is 64 MiB for the working tree and the carried paths together; the tree is ~4 MiB.
LIMIT_MIB="${LIMIT_MIB:-55}"

if [[ ! -x "$PYTHON" ]]; then
    echo "error: $PYTHON not found; create the venv first:" \
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]'" >&2
    exit 2
fi

mapfile -t names < <(grep -v '^[[:space:]]*#' "$LIST" | sed 's/[[:space:]]//g' | grep -v '^$')
pins=()
for name in "${names[@]}"; do
    get='import importlib.metadata as m, sys; print(m.version(sys.argv[1]))'
    version="$("$PYTHON" -c "$get" "$name" 2>/dev/null)" || {
        echo "error: $name (benchmarks/gpu/wheels.txt) is not installed in $PYTHON's environment" >&2
        exit 2
    }
    pins+=("$name==$version")
done

rm -rf "$DEST"
mkdir -p "$DEST"
platforms=()
for tag in manylinux_2_35 manylinux_2_34 manylinux_2_31 manylinux_2_28 manylinux_2_27 manylinux_2_24 \
    manylinux_2_17 manylinux2014 manylinux1; do
    platforms+=(--platform "${tag}_x86_64")
done
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --python-version "$DEVICE_PY" \
    --implementation cp "${platforms[@]}" -d "$DEST" "${pins[@]}"

count="$(find "$DEST" -name '*.whl' | wc -l)"
if [[ "$count" -ne "${#pins[@]}" ]]; then
    echo "error: expected ${#pins[@]} wheels in $DEST, found $count" >&2
    exit 1
fi
bytes="$(du -cb "$DEST"/*.whl | tail -1 | cut -f1)"
mib=$(( (bytes + 1048575) / 1048576 ))
printf '%s\n' "${pins[@]}" > "$DEST/PINS.txt"
echo "downloaded $count wheels, $mib MiB, into $DEST:"
ls -1 "$DEST"
if (( mib > LIMIT_MIB )); then
    echo "error: $mib MiB of wheels is over the $LIMIT_MIB MiB budget" \
        "(the run call carries 64 MiB in all)" >&2
    exit 1
fi
