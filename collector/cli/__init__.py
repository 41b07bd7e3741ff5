"""The `inferboard` command line (click only)."""

from collector.cli.main import main

__all__ = ["main"]
