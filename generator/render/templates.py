"""The jinja2 environment: every `{{ value }}` from a template is escaped for HTML *and* Markdown.

Templates produce Markdown whose run-derived parts are raw HTML blocks, so Markdown never re-reads a run
string; `finalize` escapes every expression that is not already trusted `Markup`, so forgetting a filter
cannot leak markup. Output is never fed to jinja again, so `{{ }}` in a run string stays text.
"""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup

from generator.render.safe import html_text, json_for_script, safe_url

TEMPLATES = Path(__file__).parents[1] / "templates"


def _finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return value
    return Markup(html_text(value))


def data_script(kind: str, payload: Any) -> Markup:
    """A JSON payload the page script reads; `<`, `>` and `&` are \\u-escaped inside it.

    Material's instant navigation re-creates every inline <script> of the new page as a plain script
    (dropping its type and class) and runs it. So the payload is wrapped in a one-element array, which is
    also an inert JavaScript literal, and the marker class sits on a wrapper element that survives."""
    return Markup(
        f'<div class="ib-data" data-kind="{html_text(kind)}" hidden>'
        f'<script type="application/json">[{json_for_script(payload)}]</script></div>'
    )


def link(url: Any, text: Any) -> Markup:
    """An external link when `url` is http(s); otherwise the text alone."""
    target = safe_url(url) if url is not None else None
    if target is None:
        return Markup(html_text(text))
    return Markup(f'<a href="{html_text(target)}" rel="nofollow noopener">{html_text(text)}</a>')


def kv_table(rows: Iterable[tuple[object, object]]) -> Markup:
    """A two-column key/value table; both sides escaped (keys can come from run files too)."""
    body = "".join(f"<tr><th>{html_text(k)}</th><td>{html_text(v)}</td></tr>\n" for k, v in rows)
    return Markup(f'<table class="ib-kv"><tbody>\n{body}</tbody></table>')


FRAGMENT = re.compile(r"<!--ib-fragment:(\d+)-->")


class FragmentStore:
    """Large HTML blocks kept out of the Markdown: a template wraps them in
    `{% call fragments.wrap() %}...{% endcall %}`, which leaves a comment placeholder; build.engines puts the
    HTML back into the written pages after the engine (MkDocs or Zensical) ran. Markdown's raw-HTML parser
    is the slowest step of a build otherwise, and run strings inside fragments are never seen by Markdown."""

    def __init__(self) -> None:
        self._html: dict[str, str] = {}
        self._ids = itertools.count()

    def wrap(self, caller: Callable[[], str]) -> Markup:
        key = str(next(self._ids))
        self._html[key] = str(caller())
        return Markup(f"\n<!--ib-fragment:{key}-->\n")

    def expand(self, html: str) -> str:
        return FRAGMENT.sub(lambda m: self._html.get(m.group(1), ""), html)


def badges(items: list[str]) -> Markup:
    return Markup("".join(f'<span class="ib-badge">{html_text(b)}</span>' for b in items))


def trials_requests(trials: int, requests: int | None) -> str:
    """'3 × 14': n trials of m counted requests each; when the trials counted different numbers, the total
    is said in words ('3 trials, 41 requests'), so the × never invites a wrong product."""
    if requests is None:
        return str(trials)
    if trials > 0 and requests % trials == 0:
        return f"{trials} × {requests // trials}"
    return f"{trials} trials, {requests} requests"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        data_script=data_script, link=link, badges=badges, kv_table=kv_table, trials_requests=trials_requests
    )
    return env


def template(name: str) -> Template:
    return environment().get_template(name)


def page_url(md_path: str, dir_urls: bool) -> str:
    """The URL MkDocs gives a Markdown page, relative to the site root (e.g. 'runs/abc/')."""
    stem = md_path[:-3]
    if not dir_urls:
        return stem + ".html"
    if stem == "index" or stem.endswith("/index"):
        return stem[:-5]
    return stem + "/"


def md_link(from_md: str, to_md: str) -> str:
    """A Markdown link target from one generated page to another; MkDocs rewrites it to the page URL."""
    return posixpath.relpath(to_md, posixpath.dirname(from_md) or ".")


def relative_url(from_md: str, to_md_or_file: str, dir_urls: bool) -> str:
    """A link from one generated page to another page (`*.md`) or file, as MkDocs would resolve it."""
    here = page_url(from_md, dir_urls)
    base = here if here.endswith("/") or here == "" else posixpath.dirname(here)
    target = page_url(to_md_or_file, dir_urls) if to_md_or_file.endswith(".md") else to_md_or_file
    rel = posixpath.relpath(target or ".", base or ".")
    if (target == "" or target.endswith("/")) and not rel.endswith("/"):
        rel += "/"
    return rel
