"""The site's stylesheet parses as written: a missing brace (an easy slip when two changes meet) silently
moves every later rule into the block before it, e.g. the focus ring into a phone-only media query."""

from __future__ import annotations

from pathlib import Path

CSS = Path(__file__).parents[2] / "generator" / "assets" / "inferboard.css"


def _depths(css: str) -> list[int]:
    depth, seen = 0, []
    for char in css:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        seen.append(depth)
    return seen


def test_every_block_of_the_stylesheet_is_closed() -> None:
    depths = _depths(CSS.read_text(encoding="utf-8"))
    assert min(depths) >= 0, "a '}' closes a block that was never opened"
    assert depths[-1] == 0, "a block of inferboard.css is never closed"


def test_the_focus_ring_is_a_top_level_rule() -> None:
    css = CSS.read_text(encoding="utf-8")
    start = css.index(":focus-visible,")
    assert _depths(css[:start])[-1] == 0, "the focus ring sits inside another block (a media query?)"


def test_the_depth_count_sees_an_unclosed_block() -> None:
    assert _depths("@media (x) { a { b: c; }\nd { e: f; }")[-1] == 1
