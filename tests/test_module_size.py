"""Modules stay short enough to hold in one's head: no .py file in collector/, generator/ or benchmarks/
runs over MAX_LINES lines (issue 22 follow-up: two modules grew past the limit in merges unnoticed).

A module that could not be split yet goes in ALLOWED, by path, with a comment saying why; an entry that no
longer exceeds the limit (or no longer exists) fails too, so the list only shrinks.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("collector", "generator", "benchmarks")
MAX_LINES = 500

# Modules allowed over the limit, each with the reason it could not be split. Empty: none today.
ALLOWED: frozenset[str] = frozenset()


def module_sizes() -> dict[str, int]:
    """Lines of every .py file in SOURCES, keyed by its path from the repository root. Hidden folders are
    skipped: benchmarks/.venv-peers (peers_setup.sh) is a virtualenv of other projects' code, not ours."""
    sizes: dict[str, int] = {}
    for source in SOURCES:
        for path in sorted((ROOT / source).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if any(part.startswith(".") for part in rel.parts):
                continue
            sizes[rel.as_posix()] = len(path.read_text(encoding="utf-8").splitlines())
    return sizes


def test_no_module_runs_over_the_limit() -> None:
    too_long = {
        path: size for path, size in module_sizes().items() if size > MAX_LINES and path not in ALLOWED
    }
    assert not too_long, (
        f"modules over {MAX_LINES} lines: split them where a module name explains a part: "
        + ", ".join(f"{path} ({size})" for path, size in sorted(too_long.items()))
    )


def test_the_allow_list_holds_only_modules_still_too_long() -> None:
    sizes = module_sizes()
    stale = sorted(path for path in ALLOWED if sizes.get(path, 0) <= MAX_LINES)
    assert not stale, f"remove from ALLOWED in {__file__} (split, renamed or gone): {', '.join(stale)}"


def test_the_walk_sees_the_largest_modules() -> None:
    # Guards the walk itself: an empty or mis-rooted walk would pass the limit test vacuously.
    sizes = module_sizes()
    assert sizes["collector/config/suite.py"] > 400
    assert "benchmarks/client_capacity_report.py" in sizes
