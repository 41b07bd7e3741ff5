"""Escaping for everything that comes from a run file: HTML, Markdown, JSON-in-HTML, URLs and file names.

Run files are untrusted input. Every string from one reaches a page through exactly one of these
functions, so the rules live in one place and are tested in one place.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any
from urllib.parse import urlsplit

# C0/C1 control characters other than tab and newline. Python-Markdown uses STX/ETX as placeholders
# for stashed HTML, so a run string must never carry them into a page.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Invisible characters that change how text reads: bidirectional overrides/isolates/marks (a model name
# that displays reversed, "Trojan Source") and zero-width characters (two names that look identical).
# Shown as U+FFFD so a reader sees that something was there.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

# Characters that Markdown, its extensions (emoji shortcodes, attr lists, tables) or a template engine
# could give meaning to. Encoding them as numeric entities leaves the visible text unchanged.
_MARKDOWN_SPECIAL = {c: f"&#{ord(c)};" for c in "`*_[]{}()|\\~#!:^=+$%"}
_HTML_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_ESCAPE_TABLE = str.maketrans({**_MARKDOWN_SPECIAL, **_HTML_SPECIAL})

_SAFE_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")


def clean_text(value: object) -> str:
    """A run-file value as displayable text: no control characters, no lone surrogates."""
    text = value if isinstance(value, str) else str(value)
    if text.isascii() and text.isprintable():
        return text  # the common case, checked at C speed: none of the characters replaced below
    text = _CONTROL.sub("\ufffd", text)
    text = _INVISIBLE.sub("\ufffd", text)
    return _SURROGATE.sub("\ufffd", text)


def html_text(value: object) -> str:
    """Escape a value for HTML text or a quoted attribute, and make it inert to Markdown and jinja."""
    if value is None:
        return "&mdash;"
    return clean_text(value).translate(_ESCAPE_TABLE)


def finite_or_none(value: Any) -> Any:
    """NaN and infinities become None (JSON null): JSON.parse rejects NaN and Infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return finite_or_none(value)
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def json_for_script(value: Any) -> str:
    """JSON safe to place inside <script type="application/json">: `<`, `>` and `&` are \\u-escaped,
    so no run string can close the script element or open a comment; non-finite floats become null."""
    try:  # fast path: ensure_ascii already \\u-escapes control characters and lone surrogates
        text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a NaN or infinity somewhere: clean the whole value
        text = json.dumps(_jsonable(value), ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# In encoded JSON, a sign that some string holds what clean_text replaces: an escaped C0 control other than
# tab and newline, a raw C1 control, an invisible character or a surrogate. A false alarm only costs time.
_NEEDS_CLEANING = re.compile(
    r"\\u00[01][0-9a-fA-F]|\\[rbf]|\\u007[fF]|[\x7f-\x9f\ud800-\udfff]|" + _INVISIBLE.pattern
)


def json_text(value: Any) -> str:
    """Plain compact JSON (for downloadable data files), with non-finite floats as null."""
    # Compact: without `indent` the standard library encodes in C, ~10x faster on thousands of runs; the
    # value is walked in Python (_jsonable) only when the fast encoding shows something to clean.
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a NaN or infinity somewhere
        text = None
    if text is not None and not _NEEDS_CLEANING.search(text):
        return text
    return json.dumps(_jsonable(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def safe_url(value: object) -> str | None:
    """The URL if it is an absolute http(s) URL, else None (never `javascript:`, `data:` or the like)."""
    text = clean_text(value).strip()
    if any(ch.isspace() for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return text
    return None


def run_slug(run_id: str) -> str:
    """A file-name-safe, URL-safe page name for a run id (a hash when the id has other characters)."""
    if _SAFE_SLUG.match(run_id):
        return run_id.lower()
    digest = hashlib.sha256(clean_text(run_id).encode("utf-8", "replace")).hexdigest()
    return f"id-{digest[:16]}"


def plotly_text(value: object) -> str:
    """Text for a Plotly trace name or hover text: Plotly reads a small subset of HTML in these, so the
    markup characters are entity-encoded (Plotly shows them as the literal characters)."""
    return clean_text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def csv_cell(value: object) -> object:
    """Neutralise spreadsheet formula injection in exported CSV text cells."""
    if isinstance(value, str):
        text = clean_text(value)
        if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + text
        return text
    return finite_or_none(value)
