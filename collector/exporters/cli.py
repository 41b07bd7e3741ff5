"""The `inferboard export` command."""

from __future__ import annotations

from pathlib import Path

import click

from collector.exporters import FORMATS, ExportError, export_runs


@click.command(name="export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="The llm-d Benchmark Report v0.2.1 (one file per level and trial).")  # fmt: skip
@click.argument("runs", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder the reports are written to (created if missing).")  # fmt: skip
def export_cmd(fmt: str, runs: tuple[Path, ...], out_dir: Path) -> None:
    """Write each RUN file's results in another tool's format (see docs/export.md).

    \b
    llmd-br-0.2.1: one report per load level and trial, named
    <run id>_<index>_<load>_t<trial>.llmd-br-0.2.1.json, valid against the standard's JSON Schema.
    """
    try:
        written = export_runs(fmt, runs, out_dir)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {len(written)} report{'s' if len(written) != 1 else ''} to {out_dir}")
