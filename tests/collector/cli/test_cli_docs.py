"""docs/cli.md is generated from the live --help text; fail when it drifts."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner

from collector.cli.main import main
from collector.config.suite import CollectOptions

SCRIPT = Path(__file__).resolve().parents[2] / "update_cli_docs.py"


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("update_cli_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_up_to_date() -> None:
    module = _script()
    assert module.DOC.read_text() == module.render(), "run: python tests/update_cli_docs.py"


def test_suite_option_table_is_generated_from_the_model() -> None:
    module = _script()
    current = module.SUITES_DOC.read_text()
    assert current == module.render_suites(current), "run: python tests/update_cli_docs.py"


def test_schema_suite_prints_the_suite_json_schema_with_descriptions() -> None:
    result = CliRunner().invoke(main, ["schema", "--suite"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["title"] == "inferboard suite file"
    options = schema["$defs"]["CollectOptions"]["properties"]
    assert set(options) == set(CollectOptions.model_fields)
    assert all(field.get("description") for field in options.values())
    run = json.loads(CliRunner().invoke(main, ["schema"]).output)
    assert run.get("title") != "inferboard suite file"


def test_every_command_has_help() -> None:
    assert isinstance(main, click.Group)
    for name in main.commands:
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, name
