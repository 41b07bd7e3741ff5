"""The prepared GPU check (benchmarks/gpu/) is runnable as it stands, checked without a GPU.

- both shell scripts parse (`bash -n`);
- every carried wheel name is a distribution installed here (prepare.sh pins it to this version);
- the carried wheels plus the image's numpy cover every third-party import of the collect path, in a fresh
  interpreter where the site generator's packages cannot be imported (the device has no mkdocs);
- the two collect invocations in collect_args.sh parse with the real `collect` options and validate as a
  CollectConfig (one managed launch, one embedded).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import click
import pytest

from collector.cli.collect import config_from_args

REPO = Path(__file__).resolve().parents[2]
GPU = REPO / "benchmarks" / "gpu"
# On the device image and deliberately not carried (too big); docs/telemetry.md says so.
FROM_IMAGE = {"numpy"}
# Loaded here but not needed: httpx imports its optional CLI extras (rich, pygments) when present, and
# setuptools' distutils hook is a .pth file of the environment, not an import of the collect path.
INCIDENTAL = {"pygments", "rich", "setuptools"}

CLOSURE = """
import importlib.metadata as md, json, sys
# the generator's packages (absent or unused on the device), and torch: nvml_check imports the image's PyTorch
# only if it is there (its GPU load window), so torch and what it imports are never carried
for blocked in ("mkdocs", "pandas", "plotly", "jinja2", "torch"):
    sys.modules[blocked] = None
from collector.cli import main
import collector.measure.telemetry, collector.provenance.hardware, collector.run.runner
import collector.server.engine, collector.server.launch, xllamacpp
import nvml_check  # found through PYTHONPATH (benchmarks/gpu), as the device script runs it
top = {name.split(".")[0] for name, module in sys.modules.items() if module is not None}
dists = sorted({d for t in top for d in md.packages_distributions().get(t, [])})
print(json.dumps({"commands": sorted(main.commands), "dists": dists}))
"""


def _wheel_names() -> list[str]:
    lines = (GPU / "wheels.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


@pytest.mark.parametrize("script", ["prepare.sh", "device_check.sh", "collect_args.sh"])
def test_script_parses(script: str) -> None:
    result = subprocess.run(["bash", "-n", str(GPU / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_wheel_list_is_installed_and_unique() -> None:
    names = _wheel_names()
    assert len({_canonical(n) for n in names}) == len(names)
    for name in names:
        assert metadata.version(name)  # raises PackageNotFoundError: prepare.sh could not pin it


@pytest.mark.slow
def test_wheels_cover_the_collect_import_path() -> None:
    # nvml_check lives in benchmarks/gpu (found through PYTHONPATH), the collector in the working directory.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(GPU)])}
    result = subprocess.run(
        [sys.executable, "-c", CLOSURE], capture_output=True, text=True, cwd=REPO, check=True, env=env
    )
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert "collect" in seen["commands"] and "validate" in seen["commands"]
    carried = {_canonical(n) for n in _wheel_names()} | FROM_IMAGE | INCIDENTAL | {"inferboard"}
    missing = {_canonical(d) for d in seen["dists"]} - carried
    assert not missing, f"imported on the collect path but neither carried nor on the image: {missing}"


def _collect_args(array: str) -> list[str]:
    script = f'PY=python3 PORT=18089 OUT=/tmp/gpu-check; source "$1"; printf "%s\\0" "${{{array}[@]}}"'
    out = subprocess.run(
        ["bash", "-c", script, "bash", str(GPU / "collect_args.sh")], capture_output=True, check=True
    ).stdout.decode()
    return out.split("\0")[:-1]


@pytest.mark.parametrize(("array", "embedded"), [("LAUNCH", False), ("EMBEDDED", True)])
def test_collect_invocations_validate(array: str, embedded: bool) -> None:
    args = _collect_args(array)
    assert args, f"{array} is empty"
    try:
        config = config_from_args(args)
    except click.UsageError as exc:  # pragma: no cover - the message is the point on failure
        pytest.fail(f"{array}: {exc.format_message()}")
    assert config.embedded is embedded
    assert "random-weights" in config.labels and "gpu-check" in config.labels
    assert config.concurrency == [1, 4] and config.duration_s == 4
