"""`inferboard export`: run records -> other tools' formats (the llm-d Benchmark Report v0.2.1)."""

from collector.exporters.llmd import FORMATS, ExportError, export_runs

__all__ = ["FORMATS", "ExportError", "export_runs"]
