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
from collections.abc import Iterable, Iterator
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


def write_level_parquet(batches: Iterable[list[dict[str, Any]]], docs: Path) -> str | None:
    """Write data/levels.parquet, one row group per batch of rows (a large site's rows are never all in
    memory); returns why not when pyarrow (the Parquet engine) is missing."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return "pyarrow is not installed where the site was built, so levels.parquet was not written"
    target = docs / PARQUET
    target.parent.mkdir(parents=True, exist_ok=True)
    # The typed empty table gives the schema (with pandas' metadata, so pandas reads the nullable types
    # back); each batch is converted to it by Arrow directly, without a pandas frame per batch.
    schema = pa.Table.from_pandas(level_table([]), preserve_index=False).schema
    with pq.ParquetWriter(target, schema) as writer:
        for rows in batches:
            if not rows:
                continue
            try:
                table = pa.Table.from_pylist(rows, schema=schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # a value Arrow will not cast (3.0 for an int)
                table = pa.Table.from_pandas(level_table(rows), schema=schema, preserve_index=False)
            writer.write_table(table)
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


CSV_COLUMNS = [
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
# Rows converted to Python objects at a time: the whole level table of a large site as dicts would be
# gigabytes.
_ROWS_AT_A_TIME = 5000


def _chunks(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), _ROWS_AT_A_TIME):
        yield frame.iloc[start : start + _ROWS_AT_A_TIME]


def write_results_csv(levels: pd.DataFrame, target: Path) -> None:
    """data/results.csv: one row per run and level, written a slice of the frame at a time."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", errors="replace", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for part in _chunks(levels.reindex(columns=CSV_COLUMNS)):
            frame = part.astype(object).where(part.notna(), None)
            for values in frame.itertuples(index=False):
                writer.writerow([csv_cell(v) for v in values])


def _nulls_as_none(part: pd.DataFrame) -> pd.DataFrame:
    """Missing figures as None rather than NaN: json_text then encodes the rows in C at once instead of
    walking them in Python to turn each NaN into null (the same bytes either way)."""
    nullable = [c for c in part.columns if part[c].dtype.kind in "fO" and part[c].isna().any()]
    if not nullable:
        return part
    out = part.astype({c: object for c in nullable})
    for column in nullable:
        out[column] = out[column].where(part[column].notna(), None)
    return out


def write_results_json(ctx: SiteContext, target: Path) -> None:
    """data/results.json, {"schema_version", "runs", "levels"}, the levels a slice at a time (the same
    bytes as encoding the whole object at once)."""
    runs = ctx.runs_frame.drop(columns=["created_ts"]).to_dict("records")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", errors="replace") as out:
        out.write(f'{{"schema_version":{json_text(SCHEMA_VERSION)},"runs":{json_text(runs)},"levels":[')
        levels = ctx.levels.drop(columns=["badges"]) if not ctx.levels.empty else ctx.levels
        for n, part in enumerate(_chunks(levels)):
            # A slice's list without its brackets: the same bytes as the whole list's, encoded at once.
            out.write(("," if n else "") + json_text(_nulls_as_none(part).to_dict("records"))[1:-1])
        out.write("]}")


def write_data_files(ctx: SiteContext, docs: Path) -> str | None:
    """Every download of the Data page; returns why levels.parquet is missing, when it is."""
    write_results_csv(ctx.levels, docs / "data" / "results.csv")
    write_results_json(ctx, docs / "data" / "results.json")
    write_page(docs, "data/run-schema.json", json_text(json_schema()))
    if ctx.table_batches is not None:
        return write_level_parquet(ctx.table_batches(), docs)
    return write_level_parquet([[row for run in ctx.runs for row in level_table_rows(run.record)]], docs)


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
