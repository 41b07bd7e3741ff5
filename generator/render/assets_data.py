"""Shared data assets: the payloads of the leaderboard, charts and compare pages written once as cached
script files under assets/ib/data/, loaded by the page script on demand.

Pages used to embed the data they show, so at 3,000 runs the compare page alone was 11.6 MB. Now every
page carries a small pointer and the browser fetches (and caches) only the file for the view in use: the
charts page loads one file per comparable set, the compare page loads each run's metadata when that run is
picked. The files are JavaScript (`window.__ibData[name] = {...}`), not JSON, because a <script src> loads
from file:// where fetch() is refused, and the site must also work opened from disk. File names carry a
hash of their content, so they can be cached for ever and a rebuilt site never shows stale data.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from markupsafe import Markup

from generator.render.safe import html_text, json_for_script

DATA_DIR = "assets/ib/data"


class DataAssets:
    """Writes payload files into the generated docs folder and hands out their site-relative paths."""

    def __init__(self, docs: Path) -> None:
        self.folder = docs / DATA_DIR
        self.folder.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, payload: Any) -> str:
        """Write one payload; returns its path relative to the site root (e.g. assets/ib/data/x-ab12.js)."""
        body = json_for_script(payload)
        digest = hashlib.sha256(body.encode("ascii")).hexdigest()[:10]
        file_name = f"{name}-{digest}.js"
        key = json_for_script(file_name)
        text = f"(window.__ibData = window.__ibData || {{}})[{key}] = {body};\n"
        (self.folder / file_name).write_text(text, encoding="ascii")
        return f"{DATA_DIR}/{file_name}"


def data_ref(kind: str, src: str) -> Markup:
    """The page's pointer to its payload: the page script loads `src` (relative to the site root)."""
    return Markup(
        f'<div class="ib-data" data-kind="{html_text(kind)}" data-src="{html_text(src)}" hidden></div>'
    )
