"""Commands for running a suite as a fleet of jobs: `inferboard suite plan` (the cells, their ids and runner
labels) and `inferboard runs merge` (the cells' run files into runs/). `.github/workflows/collect.yml` wires
them together; docs/publishing.md describes it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from collector.config.plan import PLAN_FORMATS, PlanFormat, render_plan
from collector.config.suite import SuiteError, expand, load_suite
from collector.run.merge import merge_runs


@click.group()
def suite() -> None:
    """Suite files: plan their cells for a fleet of runners."""


@suite.command()
@click.argument("suite_file", metavar="SUITE", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(PLAN_FORMATS),
    default="text",
    show_default=True,
    help="text: one line per cell; json: every cell with its options; github-matrix: "
    '{"include": [{"cell", "runner", "name"}, ...]} on one line, for fromJSON in a workflow.',
)
@click.option(
    "--default-runner",
    metavar="LABEL",
    help="Runner label of the cells whose server (or the suite defaults) names no `runner:`.",
)
def plan(suite_file: Path, fmt: PlanFormat, default_runner: str | None) -> None:
    """Print a suite's cells: a stable id each (run one with `inferboard collect SUITE --cell ID`), the
    runner label its hardware needs, and what it runs. Nothing is started or contacted.

    \b
    Examples:
      inferboard suite plan docs/examples/suite-cpu.yaml
      inferboard suite plan suite.yaml --format github-matrix --default-runner gpu-h100
    """
    try:
        text = render_plan(expand(load_suite(suite_file)), fmt, default_runner)
    except SuiteError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(text, nl=False)


@click.group()
def runs() -> None:
    """Run files: merge the run files of several collections into one folder."""


@runs.command()
@click.argument("sources", metavar="DIR...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--into",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="The runs folder to copy into (e.g. runs/).",
)
def merge(sources: tuple[Path, ...], into: Path) -> None:
    """Copy run files (*.json in each DIR, or files) into a runs folder, each validated strictly.

    A run already there with the same content is skipped (merging twice changes nothing); two different
    files with one run id are refused, naming both; a file already in the folder is never overwritten.
    Exit status 1 when anything was refused or no run file was found.

    \b
    Example:
      inferboard runs merge artifacts/* --into runs/
    """
    try:
        outcome = merge_runs(sources, into)
    except OSError as exc:
        click.echo(f"error: {into}: cannot write the runs folder ({exc.strerror or exc})", err=True)
        sys.exit(1)
    for source, target in outcome.copied:
        click.echo(f"copied:  {source} -> {target}")
    for source, there in outcome.skipped:
        click.echo(f"skipped: {source} (the same run as {there})")
    for line in outcome.refused:
        click.echo(f"refused: {line}", err=True)
    click.echo(
        f"merged into {into}: {len(outcome.copied)} copied, {len(outcome.skipped)} already there, "
        f"{len(outcome.refused)} refused ({outcome.found} run file(s) found)"
    )
    if not outcome.found:
        click.echo("error: no run files found", err=True)
    if outcome.refused or not outcome.found:
        sys.exit(1)
