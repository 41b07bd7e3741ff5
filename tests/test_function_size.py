"""Functions stay short enough to read: no function in collector/, generator/ or benchmarks/ runs over
MAX_LINES lines, counted from its `def` line to its last line (decorators not counted, docstring counted),
the way issue 22 counted `_collect_with_server` at 115.

A function that could not be split yet goes in ALLOWED, by file and qualified name, with a comment saying
why; an entry that no longer exceeds the limit (or no longer exists) fails too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("collector", "generator", "benchmarks")
MAX_LINES = 80

# Functions allowed over the limit, each with the reason it could not be split. Empty: none today.
ALLOWED: frozenset[str] = frozenset()


def _functions(
    tree: ast.AST, prefix: str = ""
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def function_sizes() -> dict[str, int]:
    """Lines of every function in SOURCES, keyed `path::qualified.name`."""
    sizes: dict[str, int] = {}
    for source in SOURCES:
        for path in sorted((ROOT / source).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if any(part.startswith(".") for part in path.relative_to(ROOT).parts):
                continue  # a local virtualenv such as benchmarks/.venv-peers is not our code
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for name, node in _functions(tree):
                end = node.end_lineno or node.lineno
                sizes[f"{rel}::{name}"] = end - node.lineno + 1
    return sizes


def test_no_function_runs_over_the_limit() -> None:
    too_long = {
        name: size for name, size in function_sizes().items() if size > MAX_LINES and name not in ALLOWED
    }
    assert not too_long, (
        f"functions over {MAX_LINES} lines: split them where a name explains a part: "
        + ", ".join(f"{name} ({size})" for name, size in sorted(too_long.items()))
    )


def test_the_allow_list_holds_only_functions_still_too_long() -> None:
    sizes = function_sizes()
    stale = sorted(name for name in ALLOWED if sizes.get(name, 0) <= MAX_LINES)
    assert not stale, f"remove from ALLOWED in {__file__} (split, renamed or gone): {', '.join(stale)}"


def test_the_count_matches_a_hand_counted_function() -> None:
    source = (
        "def f(x):\n    '''Doc.'''\n    y = x\n\n    return y\n\n\n"
        "class C:\n    async def g(self):\n        pass\n"
    )
    tree = ast.parse(source)
    found = {name: (node.end_lineno or 0) - node.lineno + 1 for name, node in _functions(tree)}
    assert found == {"f": 5, "C.g": 2}
