"""`inferboard collect SUITE.yaml`: one run file per suite cell, a failed cell reported while the others run.

Each cell (a server x a workload, see `collector.config.suite`) becomes a `CollectConfig`: the cell's merged
options, its server (embedded engine, managed launch with the server's extra environment, or an external
endpoint), the quantization/serving facts the suite states, and the suite itself (path, text, sha256 and
cell name) so every run file says where it came from. Flags given explicitly on the command line override
every cell (e.g. `--requests 8` for a quick pass, `--out`, `--api-key`); flags that name a server are
rejected because the suite names its servers.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from collector.config.collect import CollectConfig
from collector.config.flags import parse_request_params, parse_slo, provenance_options
from collector.config.plan import find_cell
from collector.config.suite import Cell, SuiteError, expand, expand_env_refs, load_suite, plan_text, run_cells
from collector.errors import InferboardError, validation_message
from collector.load import aio
from collector.provenance.facts import merge
from collector.run.progress import Progress, result_lines
from collector.run.runner import CollectError, collect
from collector.secrets.scrub import scrub

# Flags that pick the server: a suite names its own, so these make no sense beside one.
SERVER_FLAGS = (
    "endpoint",
    "backend",
    "model",
    "launch",
    "ready_url",
    "gguf",
    "model_source",
    "shape",
    "engine_dtype",
    "engine_parallel",
    "engine_threads",
    "engine_ctx",
)


class CellFailed(InferboardError, RuntimeError):
    """A cell ran but did not finish cleanly (its run file, if any, is still written)."""


@dataclass(frozen=True)
class CellRun:
    path: Path | None
    exit_code: int


def _option_values(cell: Cell) -> dict[str, Any]:
    """CollectConfig fields from the cell's merged options: the same names, None = the command's default."""
    return dict(cell.options.model_dump(exclude_none=True, exclude={"api_key_env"}))


def _server_values(cell: Cell, environ: Mapping[str, str]) -> dict[str, Any]:
    server = cell.server
    values: dict[str, Any] = {
        "backend": server.backend,
        "model": server.model,
        "gpu_indices": server.gpus,
        "hardware_label": server.hardware_label,
        "ready_timeout_s": server.ready_timeout_s,
    }
    if server.engine is not None:
        engine = server.engine
        values.update(
            gguf=Path(engine.gguf) if engine.gguf else None,
            model_source=engine.source,
            shape=engine.shape,
            engine_dtype=engine.dtype,
            engine_ctx=engine.n_ctx,
            engine_parallel=engine.parallel,
            engine_threads=engine.threads,
        )
    else:
        variables = {**environ, **cell.environ(environ)}
        values["endpoint"] = expand_env_refs(server.endpoint, variables) if server.endpoint else None
        values["model_source"] = server.model_source
        if server.model:
            # `transformers serve PATH` answers only requests naming that PATH.
            values["model"] = expand_env_refs(server.model, cell.variables(environ))
        argv = cell.launch_argv(environ)
        if argv is not None:
            values.update(
                launch=shlex.join(argv), launch_env=cell.environ(environ), ready_url=server.ready_url
            )
    return {k: v for k, v in values.items() if v is not None}


def _api_key(cell: Cell, environ: Mapping[str, str]) -> str | None:
    name = cell.options.api_key_env
    if name is None:
        return None
    value = environ.get(name)
    if not value:
        raise SuiteError(f"cell {cell.name}: api_key_env names {name}, which is not set in the environment")
    return value


def _cli_values(cli_options: Mapping[str, object]) -> dict[str, Any]:
    """Explicit command-line flags as CollectConfig fields (they override the suite)."""
    opts = dict(cli_options)
    clashing = [name for name in SERVER_FLAGS if name in opts]
    if clashing:
        flag = "--" + clashing[0].replace("engine_dtype", "dtype").replace("_", "-")
        raise click.UsageError(f"{flag} cannot be used with a suite file: the suite names its servers")
    values: dict[str, Any] = {}
    if {"quant", "serving", "tp"} & opts.keys():
        provenance = provenance_options(
            opts.pop("quant", ()),  # type: ignore[arg-type]
            opts.pop("serving", ()),  # type: ignore[arg-type]
            opts.pop("tp", None),  # type: ignore[arg-type]
        )
        values["cli_quantization"], values["cli_serving"] = provenance["quantization"], provenance["serving"]
    if opts.pop("random_weights", False):
        values["random_weights"] = True
    if "labels" in opts:
        values["cli_labels"] = list(opts.pop("labels"))  # type: ignore[call-overload]
    if "slo" in opts:
        values["slo"] = parse_slo(opts.pop("slo"))  # type: ignore[arg-type]
    if "request_params" in opts:
        values["request_params"] = parse_request_params(opts.pop("request_params"))  # type: ignore[arg-type]
    if "gpu_indices" in opts:
        values["gpu_indices"] = opts.pop("gpu_indices") or None
    for name, value in opts.items():
        values[name] = value  # the collect options are named after CollectConfig's fields
    return values


def cell_config(
    cell: Cell, cli_options: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None
) -> CollectConfig:
    """The CollectConfig of one cell; explicit CLI options override the suite. SuiteError when unusable."""
    env = dict(os.environ if environ is None else environ)
    cli = _cli_values(cli_options or {})
    labels = list(cell.server.labels) + list(cli.pop("cli_labels", []))
    if cell.server.weights == "random" or cli.pop("random_weights", False):
        labels.append("random-weights")
    quantization = merge(cell.quantization, cli.pop("cli_quantization", cell.quantization))
    serving = merge(cell.serving, cli.pop("cli_serving", cell.serving))
    options = _option_values(cell)
    # A load mode given on the command line replaces the suite's.
    if "concurrency" in cli or "request_rate" in cli:
        options.pop("concurrency", None)
        options.pop("request_rate", None)
    values: dict[str, Any] = {
        **options,
        **_server_values(cell, env),
        "quantization": quantization,
        "serving": serving,
        "labels": list(dict.fromkeys(labels)),
        "suite": cell.suite,
        "command": ["inferboard", *sys.argv[1:]],
        **cli,
    }
    if "api_key" not in values:
        values["api_key"] = _api_key(cell, env)
    try:
        return CollectConfig.model_validate(values)
    except ValidationError as exc:
        raise SuiteError(f"cell {cell.name}: {validation_message(exc, more=False)}") from None


def _run_cell(cell: Cell, config: CollectConfig, progress: Progress) -> CellRun:
    result = aio.run(collect(config, progress))
    for line in result_lines(result.record.results, result.path):
        click.echo(line)
    if result.exit_code == 130:
        raise KeyboardInterrupt  # the runner kept what it had; the user asked to stop the whole suite
    if result.exit_code != 0:
        raise CellFailed(result.message or f"exit status {result.exit_code}")
    return CellRun(result.path, result.exit_code)


def run_suite(
    path: Path | str,
    dry_run: bool = False,
    cli_options: Mapping[str, object] | None = None,
    show_progress: object = None,
    cell: str | None = None,
) -> int:
    """Run (or with dry_run, plan) every cell of a suite, or with `cell` only the cell of that id, exactly
    as the whole suite would run it; returns the exit status: 0 when every cell produced a complete run, 1
    when any failed, 2 for an unusable suite, flags or cell id, 130 when interrupted."""
    try:
        cells = expand(load_suite(path))
        if cell is not None:
            cells = [find_cell(cells, cell)]
    except SuiteError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    if dry_run:
        click.echo(scrub(plan_text(cells)), nl=False)  # an endpoint's password, a key-shaped value
        return 0
    try:
        _cli_values(cli_options or {})  # bad flags are the user's error, not one cell's
    except (click.UsageError, click.BadParameter) as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return 2
    progress = Progress(enabled=None if show_progress is None else bool(show_progress))

    def run_one(cell: Cell) -> CellRun:
        click.echo(f"== cell {cell.index + 1}/{len(cells)}: {cell.name}")
        return _run_cell(cell, cell_config(cell, cli_options), progress)

    def on_error(cell: Cell, exc: Exception) -> None:
        kind = "could not run" if isinstance(exc, SuiteError | CollectError) else "failed"
        click.echo(scrub(f"error: cell {cell.name} {kind}: {str(exc).strip().splitlines()[0]}"), err=True)

    try:
        outcomes = run_cells(cells, run_one, on_error)
    except KeyboardInterrupt:
        click.echo("suite interrupted: the cells that finished kept their run files", err=True)
        return 130
    failed = [o for o in outcomes if o.error is not None]
    click.echo(f"suite {Path(path).name}: {len(outcomes) - len(failed)} of {len(outcomes)} cells complete")
    for outcome in failed:
        click.echo(scrub(f"  failed: {outcome.cell.name}: {outcome.error}"), err=True)
    return 1 if failed else 0
