"""Typed and standard downloads of the Data page: the level table as Parquet, each run's llm-d reports.

Each run's own files (raw JSON, llm-d zip) are made as the run is read (build/runpages.py) and put into
the site from the build cache; this module says what they hold and where they go.

Both come from `collector.schema` (the only collector package the generator may import): the table's
columns and rows from `collector.schema.table`, the reports from `collector.schema.llmd`, so the site and
`inferboard export` publish the same files.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from collector.schema import SCHEMA_VERSION, RunRecord, json_schema
from collector.schema.llmd import FORMAT, run_reports
from collector.schema.table import Column, level_table_columns, level_table_rows
from generator.data.columns import LEVEL_METRICS
from generator.pages.common import SiteContext, write_page
from generator.render.safe import csv_cell, json_text
from generator.render.templates import relative_url, template

PARQUET = "data/levels.parquet"
LLMD_DIR = "data/llmd"
# Arrow type of a column -> the pandas dtype that writes it (nullable, so absent figures stay null).
_PANDAS_DTYPES = {
    "string": "string", "int64": "Int64", "double": "Float64", "bool": "boolean",
    "timestamp[us, tz=UTC]": "datetime64[us, UTC]",
}  # fmt: skip
# The same zip for the same reports: fixed timestamps, sorted names.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# The Data page lists each run's files up to this many runs (~0.6 KB a row); beyond, it gives the file-name
# patterns instead, so the page stays under 1.5 MB at 10,000 runs (issue 24).
DATA_PAGE_RUN_ROWS = 1000


def level_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One typed row per run x level x trial (`level_table_rows` of each run), in the columns' order."""
    columns = level_table_columns()
    frame = pd.DataFrame(rows, columns=[c.name for c in columns])
    return frame.astype({c.name: _PANDAS_DTYPES[c.type] for c in columns})


def write_level_parquet(rows: list[dict[str, Any]], docs: Path) -> str | None:
    """Write data/levels.parquet; returns why not when pyarrow (the Parquet engine) is missing."""
    try:
        import pyarrow  # noqa: F401  (pandas' Parquet engine)
    except ImportError:
        return "pyarrow is not installed where the site was built, so levels.parquet was not written"
    target = docs / PARQUET
    target.parent.mkdir(parents=True, exist_ok=True)
    level_table(rows).to_parquet(target, engine="pyarrow", index=False)
    return None


def llmd_file_name(slug: str) -> str:
    return f"{LLMD_DIR}/{slug}.{FORMAT}.zip"


def raw_run_file(slug: str) -> str:
    return f"data/runs/{slug}.json"


def llmd_zip_bytes(record: RunRecord) -> bytes:
    """The run's llm-d Benchmark Reports (one JSON file per level and trial) in one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, report in sorted(run_reports(record)):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
            # Level 1: a tenth of the default level's time on thousands of runs, for a few % more bytes.
            archive.writestr(info, text, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    return buffer.getvalue()


def raw_run_bytes(record: RunRecord) -> bytes:
    """The run as loaded (local paths made public, generator/data/publicpaths.py), not the file's bytes."""
    # Pydantic's own JSON (compact, UTF-8, NaN and infinities as null, as json_text writes them): a tenth
    # of the time of dumping to Python objects and encoding those.
    return record.model_dump_json().encode("utf-8")


def column_rows(columns: list[Column] | None = None) -> list[dict[str, Any]]:
    """The Data page's table of the Parquet columns (name, type, description)."""
    return [
        {"name": c.name, "type": c.type, "description": c.description}
        for c in columns or level_table_columns()
    ]


def results_csv(levels: pd.DataFrame) -> str:
    columns = [
        "run_id",
        "model",
        "backend",
        "backend_version",
        "hardware",
        "quant",
        "workload",
        "klass",
        "level",
        "concurrency",
        "request_rate",
        "trials",
        "status",
        "saturated",
        *LEVEL_METRICS,
        "completed",
        "failed",
        "created",
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    if not levels.empty:
        frame = (
            levels.reindex(columns=columns)
            .astype(object)
            .where(levels.reindex(columns=columns).notna(), None)
        )
        for values in frame.itertuples(index=False):
            writer.writerow([csv_cell(v) for v in values])
    return buffer.getvalue()


def write_data_files(ctx: SiteContext, docs: Path) -> str | None:
    """Every download of the Data page; returns why levels.parquet is missing, when it is."""
    write_page(docs, "data/results.csv", results_csv(ctx.levels))
    runs = ctx.runs_frame.drop(columns=["created_ts"]).to_dict("records")
    rows = [] if ctx.levels.empty else ctx.levels.drop(columns=["badges"]).to_dict("records")
    write_page(
        docs, "data/results.json", json_text({"schema_version": SCHEMA_VERSION, "runs": runs, "levels": rows})
    )
    write_page(docs, "data/run-schema.json", json_text(json_schema()))
    rows = ctx.table_rows
    if rows is None:
        rows = [row for run in ctx.runs for row in level_table_rows(run.record)]
    return write_level_parquet(rows, docs)


def data_page(ctx: SiteContext, docs: Path) -> str:
    """The Data page, after every file it links is written."""
    parquet_problem = write_data_files(ctx, docs)
    return template("data.md.j2").render(
        fragments=ctx.fragments,
        schema_version=SCHEMA_VERSION,
        links={
            "csv": "data/results.csv",
            "json": "data/results.json",
            "schema": "data/run-schema.json",
            "runs": "runs/index.md",
            "parquet": PARQUET,
        },
        parquet_problem=parquet_problem,
        columns=column_rows(),
        downloads=[
            {
                "slug": run.slug,
                "run": relative_url("data.md", raw_run_file(run.slug), ctx.dir_urls),
                "llmd": relative_url("data.md", llmd_file_name(run.slug), ctx.dir_urls),
            }
            for run in (ctx.runs if len(ctx.runs) <= DATA_PAGE_RUN_ROWS else [])
        ],
        run_count=len(ctx.runs),
        llmd_format=FORMAT,
    )
