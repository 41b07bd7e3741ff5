"""The root of inferboard's one exception tree.

It lives in the schema package, the lowest layer, so that every package can derive from it: the generator
(which imports only `collector.schema`) as well as the collector. `collector.errors` re-exports it.
"""

from __future__ import annotations

__all__ = ["InferboardError"]


class InferboardError(Exception):
    """Base of every error the user sees; `exit_code` is what the command line exits with."""

    exit_code: int = 1
