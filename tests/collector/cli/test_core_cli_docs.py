"""docs/cli.md is generated from the live --help text; fail when it drifts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click
from click.testing import CliRunner

from collector.cli.main import main

SCRIPT = Path(__file__).resolve().parents[2] / "update_cli_docs.py"


def test_cli_reference_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("update_cli_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.DOC.read_text() == module.render(), "run: python tests/update_cli_docs.py"


def test_every_command_has_help() -> None:
    assert isinstance(main, click.Group)
    for name in main.commands:
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, name
