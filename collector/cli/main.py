"""The `inferboard` command line: thin click commands that parse, validate and call one entry point."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import sys
from pathlib import Path

import click

from collector import __version__
from collector.config.docs import suite_json_text
from collector.schema import RunFileError, json_schema, load_run
from collector.store import atomic_write_bytes, serialize


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="inferboard")
def main() -> None:
    """inferboard: reproducible benchmarks of LLM inference servers, and the leaderboard site.

    \b
    collect   measure a server (or the embedded llama.cpp engine) and write a run file
    build     validate runs/ and build the static site
    validate  check run files against the schema
    upgrade   rewrite run files to the current schema
    schema    print the run file (or suite file) JSON Schema
    suite     plan a suite's cells for a fleet of runners (ids, runner labels)
    runs      merge run files from several collections into runs/
    """


@main.command()
@click.option("--suite", is_flag=True, help="Print the JSON Schema of suite files instead.")
def schema(suite: bool) -> None:
    """Print the JSON Schema of run files (or, with --suite, of suite files)."""
    click.echo(suite_json_text() if suite else json.dumps(json_schema(), indent=2))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check run files (or folders of them) against the run schema."""
    files: list[Path] = []
    for p in paths:
        files.extend(sorted(p.glob("*.json")) if p.is_dir() else [p])
    bad = 0
    seen: dict[str, Path] = {}
    for f in files:
        try:
            run_id = load_run(f).run_id
        except RunFileError as exc:
            bad += 1
            click.echo(f"invalid: {exc}", err=True)
            continue
        if run_id in seen:  # the same rule as `inferboard build`, which keeps only the first
            bad += 1
            click.echo(
                f"invalid: {f}: field 'run_id': duplicate run id {run_id!r} (first in {seen[run_id]})",
                err=True,
            )
            continue
        seen[run_id] = f
        click.echo(f"ok: {f}")
    if bad:
        click.echo(f"{bad} of {len(files)} file(s) invalid", err=True)
        sys.exit(1)
    if not files:
        click.echo("no run files found", err=True)
        sys.exit(1)


# The commands of the `inferboard.commands` entry-point group as the package declares them (pyproject.toml);
# used when the installed metadata predates the group (an editable install made before it was added).
KNOWN_PLUGIN_COMMANDS = {"build": "generator.cli:build", "serve": "generator.cli:serve"}


def plugin_targets() -> dict[str, str]:
    """Command name -> 'module:attribute' from the `inferboard.commands` entry points, else the known list."""
    found = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="inferboard.commands")}
    return found or dict(KNOWN_PLUGIN_COMMANDS)


def load_command(target: str) -> click.Command | None:
    """The click command at 'module:attribute'; None when it cannot be imported (the site generator or one of
    its dependencies is not installed): `inferboard collect` still works without them."""
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    command = getattr(module, attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"entry point {target!r} is not a click command")
    return command


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def upgrade(paths: tuple[Path, ...]) -> None:
    """Rewrite run files (or folders of them) to the current schema, repairing what older versions wrote.

    Each file is replaced atomically and only when its content changes; running it again changes nothing.
    """
    files: list[Path] = []
    for p in paths:
        files.extend(sorted(p.glob("*.json")) if p.is_dir() else [p])
    bad = 0
    for f in files:
        try:
            record = load_run(f)
            before = f.read_bytes()
        except (RunFileError, OSError) as exc:
            bad += 1
            click.echo(f"invalid: {exc}", err=True)
            continue
        after = serialize(record)
        if after == before:
            click.echo(f"current: {f}")
            continue
        atomic_write_bytes(f, after)
        click.echo(f"upgraded: {f}")
    if bad:
        click.echo(f"{bad} of {len(files)} file(s) invalid (left as they were)", err=True)
        sys.exit(1)
    if not files:
        click.echo("no run files found", err=True)
        sys.exit(1)


def _register_optional_commands() -> None:
    # Commands owned by other modules; each module exposes click command objects.
    from collector.cli.collect import collect
    from collector.cli.fleet import runs, suite
    from collector.cli.models import models

    main.add_command(collect)
    main.add_command(models)
    main.add_command(suite)
    main.add_command(runs)
    for target in plugin_targets().values():
        command = load_command(target)
        if command is not None:
            main.add_command(command)
    try:
        from collector.importers.cli import import_cmd
    except ImportError:  # pragma: no cover
        pass
    else:
        main.add_command(import_cmd)
    from collector.exporters.cli import export_cmd

    main.add_command(export_cmd)


_register_optional_commands()

# click caches each command's help option the first time the command is invoked; a command invoked on its own
# (tests, `python -m`) would otherwise lose the group's `-h` alias for good.
for _command in main.commands.values():
    _command.context_settings.setdefault("help_option_names", ["-h", "--help"])
