"""User-facing errors: one tree, so the command line can print any of them as one line and pick an exit code.

Every error that reaches the user is an `InferboardError` (its message is one readable line naming what and
where); `validation_message` turns a pydantic `ValidationError` into that line the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from collector.schema.errors import InferboardError

__all__ = ["InferboardError", "WorkloadError", "location", "validation_message"]


class WorkloadError(InferboardError, ValueError):
    """Prompts that cannot be made as asked (a preset, dataset or trace); the message names what and where."""


def location(loc: Sequence[int | str]) -> str:
    """'servers[0].engine.n_ctx' from pydantic's ('servers', 0, 'engine', 'n_ctx')."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validation_message(exc: ValidationError, *, more: bool = True) -> str:
    """The first problem as 'where: what' (plus how many more), without pydantic's 'Value error, ' prefix."""
    err = exc.errors()[0]
    where = location(err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    count = exc.error_count() - 1
    suffix = f" (and {count} more problem{'s' if count > 1 else ''})" if more and count else ""
    return f"{where + ': ' if where else ''}{msg}{suffix}"
