"""The escaping rules every run string passes through."""

from __future__ import annotations

import json
import math

from generator.render.safe import (
    clean_text,
    csv_cell,
    html_text,
    json_for_script,
    plotly_text,
    run_slug,
    safe_url,
)


def test_html_text_escapes_markup_markdown_and_template_syntax() -> None:
    out = html_text("<script>alert(1)</script> {{ 7*7 }} {% x %} [a](javascript:b) *em* `c` \"q\" 's'")
    for raw in ("<", ">", "{", "}", "[", "]", "*", "`", '"', "'", "(", ")", ":"):
        assert raw not in out
    assert "&lt;script&gt;" in out


def test_control_characters_and_lone_surrogates_are_replaced() -> None:
    text = clean_text("a\x02b\x03c\x00d\ud800e\tf\ng")
    assert text == "a\ufffdb\ufffdc\ufffdd\ufffde\tf\ng"
    text.encode("utf-8")  # would raise on a surrogate


def test_json_for_script_cannot_close_the_script_and_has_no_nan() -> None:
    payload = {
        "name": "</script><script>alert(1)</script>&",
        "x": math.nan,
        "y": [math.inf, 1.5],
        "k\x02": "\u2028",
    }
    out = json_for_script(payload)
    assert "<" not in out and ">" not in out and "&" not in out and "\u2028" not in out
    assert json.loads(out) == {
        "name": "</script><script>alert(1)</script>&",
        "x": None,
        "y": [None, 1.5],
        "k\ufffd": "\u2028",
    }


def test_safe_url_allows_only_absolute_http_urls() -> None:
    assert safe_url("https://github.com/o/r/actions/runs/1") == "https://github.com/o/r/actions/runs/1"
    for bad in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:x",
        "data:text/html,x",
        "//evil.com",
        "/relative",
        "http://",
        "https://a b",
        "vbscript:x",
        "java\tscript:x",
    ):
        assert safe_url(bad) is None, bad


def test_run_slug_is_safe_and_stable() -> None:
    assert run_slug("a1B2c3d4") == "a1b2c3d4"
    hostile = run_slug("../../etc/passwd<script>")
    assert hostile.startswith("id-") and all(c.isalnum() or c == "-" for c in hostile)
    assert run_slug("../../etc/passwd<script>") == hostile


def test_plotly_text_and_csv_cells() -> None:
    assert plotly_text("<b>x</b>&") == "&lt;b&gt;x&lt;/b&gt;&amp;"
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_cell("-1+2") == "'-1+2"
    assert csv_cell(-1.5) == -1.5
    assert csv_cell(math.nan) is None


def test_json_text_fast_path_equals_the_cleaning_walk() -> None:
    """json_text skips the Python walk when the C encoding shows nothing to clean: same text either way."""
    import random

    from generator.render.safe import _jsonable, json_text

    rng = random.Random(7)
    alphabet = [*range(0, 0x250), *range(0x2000, 0x2070), 0xFEFF, 0x061C, 0xD800, 0xDFFF]
    values: list[object] = ["a\rb", "\x85", "\u202e", "\ud800", "tab\tnl\n", "back\\rslash", float("nan")]
    values += ["".join(chr(rng.choice(alphabet)) for _ in range(rng.randrange(6))) for _ in range(3000)]
    for v in values:
        data = {str(v): [v, 1.5]}
        expected = json.dumps(_jsonable(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        assert json_text(data) == expected, repr(v)
