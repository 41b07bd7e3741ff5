"""`inferboard import` through click's CliRunner: the written file, its name, its labels, errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from collector.cli.main import main
from collector.schema import load_run

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "imports"


def test_import_writes_one_valid_labelled_run(tmp_path: Path) -> None:
    report = FIXTURES / "guidellm" / "benchmarks.json"
    result = CliRunner().invoke(
        main, ["import", "guidellm", str(report), "--out", str(tmp_path), "--backend", "llama.cpp",
               "--random-weights"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob("*.json")
    assert path.name.split("_")[1:4] == ["llama.cpp", "tiny.gguf", "unknown"]
    assert not list(tmp_path.glob(".import-*"))  # no temp file left behind
    record = load_run(path)
    assert record.origin.kind == "imported"
    assert {"imported", "random-weights", "hardware-unknown"} <= set(record.labels)
    assert record.hardware.accelerator == "unknown" and record.hardware.nvml_available is False
    assert record.hardware.nvml_reason == "imported: hardware not stated"
    assert record.command[:3] == ["inferboard", "import", "guidellm"]
    assert json.loads(path.read_text())["origin"]["source_files"][0]["name"] == "benchmarks.json"


def test_gpu_flag_names_the_hardware(tmp_path: Path) -> None:
    files = [str(p) for p in sorted((FIXTURES / "aiperf").glob("*.json"))]
    args = ["import", "aiperf", *files, "--out", str(tmp_path), "--gpu", "H100 80GB", "--gpu-count", "2"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob("*.json")
    assert "h100-80gbx2" in path.name
    record = load_run(path)
    assert record.hardware.accelerator == "gpu" and record.hardware.gpu_count == 2
    assert "hardware-unknown" not in record.labels


def test_bad_file_is_a_one_line_error_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["import", "aiperf", str(bad), "--out", str(out)])
    assert result.exit_code != 0
    assert "bad.json" in result.output and "Traceback" not in result.output
    assert not out.exists() or not list(out.iterdir())


def test_help_lists_formats() -> None:
    result = CliRunner().invoke(main, ["import", "--help"])
    assert result.exit_code == 0
    for fmt in ("vllm", "aiperf", "guidellm", "--gpu", "--out"):
        assert fmt in result.output
