"""The `inferboard import` command: parse flags, call `import_files`, write the run file atomically."""

from __future__ import annotations

from pathlib import Path

import click

from collector.importers import FORMATS, ImportFormatError, ImportOptions, import_files
from collector.store import StoreError, write_run


@click.command(name="import")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(FORMATS, case_sensitive=False))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("runs"),
              show_default=True, help="Folder the run file is written to.")  # fmt: skip
@click.option("--gpu", help='GPU model the server ran on, e.g. "H100 80GB" (hardware is unknown without it).')
@click.option("--gpu-count", type=click.IntRange(min=1), help="Number of GPUs serving the model.")
@click.option("--backend", help="Serving backend, e.g. vllm, sglang (the files name the client, not it).")
@click.option("--backend-version", help="Backend version, when you know it (never guessed).")
@click.option("--model", help="Model id, overriding the one the files name.")
@click.option("--random-weights", is_flag=True, help="The served weights were random (speed-only runs).")
@click.option("--tool-version", help="Version of the tool that wrote the files, if they do not say.")
@click.option("--label", "labels", multiple=True, help="Extra label for the run (repeatable).")
def import_cmd(
    fmt: str,
    files: tuple[Path, ...],
    out_dir: Path,
    gpu: str | None,
    gpu_count: int | None,
    backend: str | None,
    backend_version: str | None,
    model: str | None,
    random_weights: bool,
    tool_version: str | None,
    labels: tuple[str, ...],
) -> None:
    """Turn another tool's result FILES into one inferboard run (origin: imported).

    \b
    FORMAT is one of:
      vllm      `vllm bench serve --save-result` JSON (one file per level; --save-detailed arrays used),
                or a `vllm bench sweep serve` output folder (one level per run=N.json)
      aiperf    `profile_export_aiperf.json` (one file per level), or a --num-profile-runs artifact folder
                (runs as trials, the aggregate's confidence intervals as the repeat summary)
      guidellm  guidellm benchmark report JSON, or `guidellm export` JSON/YAML (one level per benchmark)
      llmd      llm-d Benchmark Report v0.2.x, YAML or JSON (one level per report)

    All FILES of one call become the levels of one run. Figures whose definition matches inferboard's
    are mapped; the rest are kept under the tool's own names (origin.foreign_metrics) with notes.
    """
    opts = ImportOptions(
        backend=backend, backend_version=backend_version, model=model, gpu=gpu, gpu_count=gpu_count,
        random_weights=random_weights, tool_version=tool_version, labels=labels,
        command=_command_line(fmt, files, out_dir, gpu, gpu_count, backend, backend_version, model,
                              random_weights, tool_version, labels),
    )  # fmt: skip
    try:
        record = import_files(fmt.lower(), files, opts)
    except ImportFormatError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        path = write_run(record, out_dir)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    levels = len(record.results)
    click.echo(f"wrote {path} ({levels} level{'s' if levels != 1 else ''}, {record.origin.tool})")


def _command_line(
    fmt: str, files: tuple[Path, ...], out_dir: Path, gpu: str | None, gpu_count: int | None,
    backend: str | None, backend_version: str | None, model: str | None, random_weights: bool,
    tool_version: str | None, labels: tuple[str, ...],
) -> tuple[str, ...]:  # fmt: skip
    """The command as parsed (argv of a test runner or a wrapper script would mislead)."""
    argv = ["inferboard", "import", fmt, *(str(f) for f in files), "--out", str(out_dir)]
    for flag, value in (("--gpu", gpu), ("--gpu-count", gpu_count), ("--backend", backend),
                        ("--backend-version", backend_version), ("--model", model),
                        ("--tool-version", tool_version)):  # fmt: skip
        if value is not None:
            argv += [flag, str(value)]
    argv += ["--random-weights"] if random_weights else []
    for label in labels:
        argv += ["--label", label]
    return tuple(argv)
