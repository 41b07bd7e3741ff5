"""The site commands reach the `inferboard` group through the `inferboard.commands` entry points (or the
known list when the installed metadata predates them), so the collector never imports the generator."""

from __future__ import annotations

import importlib
import importlib.metadata

import click
import pytest

# `collector.cli.main` the attribute is the click group; the module holds the loader.
cli_main = importlib.import_module("collector.cli.main")


def test_build_and_serve_are_commands_of_the_group() -> None:
    assert {"build", "serve"} <= set(cli_main.main.commands)


def test_without_entry_points_the_known_list_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: importlib.metadata.EntryPoints(()))
    assert cli_main.plugin_targets() == cli_main.KNOWN_PLUGIN_COMMANDS


def test_declared_entry_points_win_over_the_known_list(monkeypatch: pytest.MonkeyPatch) -> None:
    declared = importlib.metadata.EntryPoints(
        (importlib.metadata.EntryPoint("check", "collector.cli.main:validate", "inferboard.commands"),)
    )
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: declared)
    assert cli_main.plugin_targets() == {"check": "collector.cli.main:validate"}
    command = cli_main.load_command("collector.cli.main:validate")
    assert isinstance(command, click.Command)
    assert command.name == "validate"


def test_known_list_matches_pyproject() -> None:
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).parents[3] / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["inferboard.commands"] == cli_main.KNOWN_PLUGIN_COMMANDS


def test_an_absent_package_leaves_its_command_out() -> None:
    assert cli_main.load_command("inferboard_absent_site_package.cli:build") is None


def test_a_target_that_is_not_a_command_is_refused() -> None:
    with pytest.raises(TypeError, match="not a click command"):
        cli_main.load_command("collector.cli.main:plugin_targets")
