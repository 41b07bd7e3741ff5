"""`guidellm export` output (guidellm 0.8.1): its JSON is the report byte for byte, its YAML the same report;
both import to the same run. Its CSV (summaries only) is refused with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.importers import ImportFormatError, ImportOptions, import_files

GUIDELLM = Path(__file__).resolve().parents[2] / "fixtures" / "imports" / "guidellm"


@pytest.mark.slow
def test_yaml_export_imports_as_the_report() -> None:
    report = import_files("guidellm", [GUIDELLM / "benchmarks.json"], ImportOptions())
    exported = import_files("guidellm", [GUIDELLM / "export.yaml"], ImportOptions())
    assert exported.results == report.results
    assert exported.origin.foreign_metrics == report.origin.foreign_metrics
    assert exported.origin.tool_version == "0.8.1"
    assert exported.origin.source_files[0].name == "export.yaml"


def test_csv_export_is_refused(tmp_path: Path) -> None:
    csv = tmp_path / "export.csv"
    csv.write_text("Run Info,Benchmark\nRun ID,Type\n")
    with pytest.raises(ImportFormatError, match="CSV export holds summaries only"):
        import_files("guidellm", [csv], ImportOptions())
