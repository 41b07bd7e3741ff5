"""`inferboard collect`: parse flags into a CollectConfig and call `collector.run.runner.collect`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.core import ParameterSource
from pydantic import ValidationError

from collector.cli.options import model_options, parse_int_list
from collector.config.collect import CollectConfig
from collector.config.flags import parse_request_params, parse_slo, provenance_options
from collector.errors import validation_message
from collector.load import aio
from collector.run.progress import Progress, result_lines
from collector.run.runner import CollectError
from collector.run.runner import collect as run_collect
from collector.run.suites import run_suite
from collector.secrets.scrub import scrub


@click.command()
@click.argument("suite", required=False, type=click.Path(path_type=Path, dir_okay=False))
@model_options(CollectConfig)
@click.option("--slo", help="SLOs for goodput, in ms, e.g. ttft=500,tpot=50.")
@click.option(
    "--request-param",
    "request_params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Extra body field sent with every request (repeatable); JSON scalars keep their type, e.g. "
    "temperature=0.7.",
)
@click.option(
    "--quantization",
    "quant",
    multiple=True,
    metavar="KEY=VALUE",
    help="Quantization facts: format=AWQ, weights_dtype=int4, kv_cache_dtype=fp8, checkpoint=ID ...",
)
@click.option(
    "--serving",
    multiple=True,
    metavar="KEY=VALUE",
    help="Serving facts: tensor_parallel=2, max_batch=256, prefix_caching=true ...",
)
@click.option("--tp", type=int, help="Tensor-parallel size (same as --serving tensor_parallel=N).")
@click.option(
    "--gpus", "gpu_indices", callback=parse_int_list, help="GPU indices serving the model (default: all)."
)
@click.option("--label", "labels", multiple=True, help="Extra label shown with the run (repeatable).")
@click.option(
    "--random-weights",
    is_flag=True,
    help="Label the run as random weights; with the embedded engine and no --gguf, serve a generated "
    "random-weight model (--shape, --dtype) instead of the default real one.",
)
@click.option("--progress/--no-progress", default=None, help="Live progress (default: only on a terminal).")
@click.option("--dry-run", is_flag=True, help="With a suite file: print the plan and exit.")
@click.option(
    "--cell",
    "cell_id",
    metavar="ID",
    help="With a suite file: run only the cell with this id (`inferboard suite plan` lists them), exactly "
    "as the whole suite would.",
)
@click.pass_context
def collect(ctx: click.Context, /, suite: Path | None, **opts: object) -> None:
    """Measure an OpenAI-compatible server (or the embedded llama.cpp engine) and write one run file.

    \b
    Examples:
      inferboard collect
      inferboard collect --endpoint http://gpu-host:8000 --backend vllm \\
          --model meta-llama/Llama-3.1-8B-Instruct --concurrency 1,10,50,100 \\
          --requests 200 --input-tokens 512 --output-tokens 256 --out runs/
      inferboard collect --launch "python -m collector.server.engine --port 8089" \\
          --endpoint http://127.0.0.1:8089 --backend llama.cpp
      inferboard collect suite.yaml --dry-run
      inferboard collect suite.yaml --requests 8 --out runs/   (flags override every cell)
      inferboard collect suite.yaml --cell vllm-bf16+chat      (one cell, e.g. one job of a fleet)
    """
    show_progress = opts.pop("progress")
    dry_run = bool(opts.pop("dry_run"))
    cell = opts.pop("cell_id")
    cell_id = None if cell is None else str(cell)
    if suite is not None:
        # Only flags given explicitly (or through their environment variable) override the suite.
        given = {
            name: value
            for name, value in opts.items()
            if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)
        }
        sys.exit(
            run_suite(suite, dry_run=dry_run, cli_options=given, show_progress=show_progress, cell=cell_id)
        )
    if dry_run:
        raise click.UsageError("--dry-run needs a suite file")
    if cell_id is not None:
        raise click.UsageError("--cell needs a suite file")
    config = config_from_options(opts)
    sys.exit(run_config(config, show_progress=show_progress))


# Parameters of `collect` that say how the command runs, not what it measures (not options of the model).
CONTROL_PARAMS = ("suite", "progress", "dry_run", "cell_id")


def config_from_args(args: list[str]) -> CollectConfig:
    """The options model a `collect` command line without a suite stands for (checks of recorded lines:
    the GPU check's arguments, the RayJob example); bad flags raise click.UsageError, as typed."""
    ctx = collect.make_context("collect", list(args))
    return config_from_options({k: v for k, v in ctx.params.items() if k not in CONTROL_PARAMS})


def config_from_options(opts: dict[str, object]) -> CollectConfig:
    opts = dict(opts)
    labels = list(opts.pop("labels"))  # type: ignore[call-overload]
    if opts.pop("random_weights"):
        labels.append("random-weights")
    provenance = provenance_options(
        opts.pop("quant"),  # type: ignore[arg-type]
        opts.pop("serving"),  # type: ignore[arg-type]
        opts.pop("tp"),  # type: ignore[arg-type]
    )
    renamed = {
        **provenance,
        "labels": labels,
        "slo": parse_slo(opts.pop("slo")),  # type: ignore[arg-type]
        "request_params": parse_request_params(opts.pop("request_params")),  # type: ignore[arg-type]
        "gpu_indices": opts.pop("gpu_indices") or None,
        "command": ["inferboard", *sys.argv[1:]],
    }
    values = {**opts, **renamed}
    try:
        return CollectConfig.model_validate(values)
    except ValidationError as exc:
        raise click.UsageError(validation_message(exc, more=False)) from None


def run_config(config: CollectConfig, show_progress: object = None) -> int:
    """Run one collection and print its outcome; returns the exit status."""
    progress = Progress(enabled=None if show_progress is None else bool(show_progress))
    try:
        result = aio.run(run_collect(config, progress))
    except CollectError as exc:
        click.echo(scrub(f"error: {exc}"), err=True)
        return exc.exit_code
    for line in result_lines(result.record.results, result.path):
        click.echo(line)
    if result.message:
        click.echo(scrub(f"error: {result.message}" if result.exit_code else result.message), err=True)
    return result.exit_code
