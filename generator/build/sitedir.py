"""Guarding the site output folder: only a folder inferboard built (or an empty one) is ever replaced, and
only one build at a time writes into it."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from collector.schema import InferboardError

# Written into every built site. Its presence is what lets a later build replace the folder: without it,
# `--site docs` (a typo, a wrong folder) would delete whatever was there.
SITE_MARK = ".inferboard-site"
# Sites built before the marker existed are still recognised by the asset only inferboard puts there.
_LEGACY_MARK = Path("assets") / "ib" / "plotly.min.js"


class SiteDirError(InferboardError):
    """The site folder must not be used; the message says why in one line."""


def check_replaceable(site: Path) -> None:
    """Refuse a site folder that exists, is not empty and was not built by inferboard."""
    if not site.exists() and not site.is_symlink():
        return
    if not site.is_dir() or site.is_symlink():
        raise SiteDirError(f"{site}: not a folder inferboard built; refusing to replace it")
    try:
        empty = not any(site.iterdir())
    except OSError as exc:
        raise SiteDirError(f"{site}: cannot be read: {exc.strerror or exc}") from None
    if empty or (site / SITE_MARK).is_file() or (site / _LEGACY_MARK).is_file():
        return
    raise SiteDirError(
        f"{site}: not empty and not built by inferboard (no {SITE_MARK} file); refusing to replace it "
        "- choose another --site folder or empty this one"
    )


def mark(built: Path) -> None:
    (built / SITE_MARK).write_text(
        "built by `inferboard build`; the whole folder is replaced on every build\n", encoding="utf-8"
    )


@contextlib.contextmanager
def build_lock(site: Path) -> Iterator[None]:
    """An exclusive, non-blocking lock beside the site folder: a second build into the same site fails at
    once in one line instead of racing the first one's swap. The kernel drops the lock if we die."""
    lock_path = site.parent / f".{site.name}.build-lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SiteDirError(
                f"{site}: another `inferboard build` is writing this site; try again when it has finished"
            ) from None
        yield
    finally:
        os.close(fd)
