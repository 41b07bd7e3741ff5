"""Regenerate docs/cli.md from the live `--help` of every inferboard command, and the suite option table
of docs/suites.md from the options model.

    python tests/update_cli_docs.py

tests/collector/cli/test_cli_docs.py fails when docs/cli.md is out of date, so the published CLI
reference and the suite reference cannot drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.testing import CliRunner

HERE = Path(__file__).resolve().parent
DOC = HERE.parent / "docs" / "cli.md"
SUITES_DOC = HERE.parent / "docs" / "suites.md"
# Run as a script, tests/ would be sys.path[0] and tests/collector would shadow the collector package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def render() -> str:
    from collector.cli.main import main

    runner = CliRunner()
    parts = [
        "# CLI reference",
        "",
        "Generated from the code by `python tests/update_cli_docs.py`; a test keeps it in sync.",
        "",
    ]
    commands: list[tuple[str, list[str]]] = [("inferboard", [])]
    assert isinstance(main, click.Group)
    for name in sorted(main.commands):
        commands.append((f"inferboard {name}", [name]))
        group = main.commands[name]
        if isinstance(group, click.Group):  # `inferboard suite plan`, `runs merge`, ...: their own options
            commands += [(f"inferboard {name} {sub}", [name, sub]) for sub in sorted(group.commands)]
    for title, args in commands:
        result = runner.invoke(main, [*args, "--help"], terminal_width=100, prog_name="inferboard")
        parts += [f"## `{title}`", "", "```text", result.output.rstrip(), "```", ""]
    return "\n".join(parts)


def render_suites(current: str) -> str:
    """docs/suites.md with its generated option table replaced by the one the model gives now."""
    from collector.config.docs import OPTIONS_END, OPTIONS_START, options_table

    start, end = current.index(OPTIONS_START), current.index(OPTIONS_END) + len(OPTIONS_END)
    return current[:start] + options_table() + current[end:]


if __name__ == "__main__":
    DOC.write_text(render())
    SUITES_DOC.write_text(render_suites(SUITES_DOC.read_text()))
    sys.stdout.write(f"wrote {DOC} and {SUITES_DOC}\n")
