"""The page script: generator/assets/js/*.js joined, in a fixed order, into the one assets/ib/inferboard.js
that every page loads (mkdocs.yml extra_javascript), so the browser sees one file as before.

The modules are fragments of one closure, not ES modules: each declares its functions and constants at
the top level, and the bundle wraps them all in one strict-mode function. Order matters only for what runs
while the script loads: core.js first (VIEWS, which the view modules fill in), main.js last (it renders).
The bundle is deterministic: the same sources give the same bytes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

JS_DIR = Path(__file__).parents[1] / "assets" / "js"
BUNDLE_NAME = "inferboard.js"

# The join order: the shared core, shared figure drawing, one module per view, then the dispatcher.
MODULES: tuple[str, ...] = (
    "core.js",
    "readouts.js",
    "figures.js",
    "legend.js",
    "charts.js",
    "leaderboard-data.js",
    "leaderboard-controls.js",
    "leaderboard-table.js",
    "leaderboard-views.js",
    "compare.js",
    "runsindex.js",
    "decide.js",
    "home.js",
    "runpage.js",
    "main.js",
)

_OPEN = """(function () {
"use strict";
if (window.__inferboard) return; // a re-evaluated script must not subscribe twice
window.__inferboard = true;
"""
_CLOSE = "})();\n"


def module_marker(name: str) -> str:
    """The line that opens a module's text in the bundle."""
    return f"// ---- js/{name} " + "-" * max(3, 90 - len(name))


def bundle_text(js_dir: Path = JS_DIR) -> str:
    """The joined page script: a banner naming the sources, then each module in MODULES order."""
    names = textwrap.wrap(
        ", ".join(MODULES) + ".",
        width=100,
        break_on_hyphens=False,
        initial_indent=" * ",
        subsequent_indent=" * ",
    )
    banner = (
        "/* inferboard page script, written by `inferboard build` (edit the sources, not this file): the\n"
        " * modules of generator/assets/js/, joined by generator/build/jsbundle.py in this order:\n"
        + "\n".join(names)
        + " */\n"
    )
    parts = [banner, _OPEN]
    for name in MODULES:
        parts.append("\n" + module_marker(name) + "\n")
        parts.append((js_dir / name).read_text(encoding="utf-8").rstrip("\n") + "\n")
    parts.append(_CLOSE)
    return "".join(parts)


def write_bundle(target_dir: Path) -> Path:
    """Writes the bundle into target_dir (the site's assets/ib/) and returns its path."""
    path = target_dir / BUNDLE_NAME
    path.write_text(bundle_text(), encoding="utf-8")
    return path
