"""Deployment figures recorded at launch: the engine's installed size, the launch line's option count, and
the startup clock both launch paths share (collector/server/startup.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from collector.schema import load_run
from collector.server.startup import (
    StartupClock,
    engine_install,
    launch_flags,
    launched_distribution,
    seconds,
)


def fake_distribution(site: Path) -> None:
    """A distribution 'fake-engine' 1.2 whose RECORD lists three files (10 + 2048 bytes, and one absent)."""
    info = site / "fake_engine-1.2.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-engine\nVersion: 1.2\n")
    (site / "fake_engine").mkdir()
    (site / "fake_engine" / "__init__.py").write_bytes(b"x" * 10)
    (site / "fake_engine" / "lib.so").write_bytes(b"y" * 2048)
    (info / "RECORD").write_text(
        "fake_engine/__init__.py,,10\nfake_engine/lib.so,,2048\nfake_engine/__pycache__/gone.pyc,,\n"
    )


def test_install_size_sums_the_files_its_record_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_distribution(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    found = engine_install("fake-engine")
    assert found is not None
    assert (found.distribution, found.version, found.files) == ("fake-engine", "1.2", 3)
    assert found.size_mib == round(2058 / 1048576, 3)  # 10 + 2048 bytes; the absent .pyc counts 0


def test_install_size_of_an_installed_engine_and_of_none() -> None:
    found = engine_install("xllamacpp")  # the embedded engine's wheel, a dependency of the collector
    assert found is not None and found.distribution == "xllamacpp"
    assert found.size_mib > 1 and found.files > 0
    assert engine_install("no-such-distribution-anywhere") is None


def test_launch_flags_count_options_not_values() -> None:
    argv = ["vllm", "serve", "m", "--max-num-seqs", "4", "--enforce-eager", "--port=8000", "-tp", "2"]
    assert launch_flags(argv) == 4
    assert launch_flags(["llama-server", "-m", "x.gguf", "--temp", "-1", "-"]) == 2  # -1 is a value
    assert launch_flags(["--weird-program-name"]) == 0  # argv[0] is the program
    assert launch_flags(["python", "-m", "sglang.launch_server", "--model-path", "m", "--tp-size", "2"]) == 2


def test_the_launched_distribution_is_read_only_from_this_environment() -> None:
    here = sys.executable
    assert launched_distribution([here, "-m", "collector.server.engine", "--gguf", "x"]) == "xllamacpp"
    assert launched_distribution([here, "-m", "pytest", "-q"]) == "pytest"
    assert launched_distribution([str(Path(here).parent / "pytest"), "-q"]) == "pytest"
    assert launched_distribution(["/nonexistent/venv/bin/python", "-m", "vllm.entrypoints"]) is None
    assert launched_distribution([]) is None


def test_the_clock_counts_from_start_to_ready_in_milliseconds() -> None:
    clock = StartupClock(started_ns=1_000_000_000)
    assert clock.startup_s is None  # not ready yet: not measured, never 0
    clock.ready_ns = 3_500_400_000
    assert clock.startup_s == 2.5
    assert clock.since_start_s(4_000_000_000) == 3.0
    assert seconds(1_234_567) == 0.001


def test_old_run_files_stay_valid_without_the_new_fields() -> None:
    old = Path(__file__).resolve().parents[2] / "fixtures" / "v2" / "embedded-tiny-v2.json"
    launch = load_run(old).launch
    assert launch.startup_s is not None
    assert launch.first_token_s is None and launch.launch_flags is None and launch.engine_install is None
