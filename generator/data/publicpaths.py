"""Local paths stay local: the site publishes run files, and run files record where things were on the
collecting machine (the model under the user's cache, the `--out` folder, the suite file). Every string of a
run passes through `public_run` when it is loaded, so no page, chart or published run file can show a home
folder or a user name: a home folder becomes `~`, inferboard's model cache `<model cache>`, and the value of
`--out` on the recorded command line `<out>`. File names (which say what was served) are kept."""

from __future__ import annotations

import json
import re
from typing import Any

_POSIX_HOME = re.compile(
    r"(?<![\w.~/-])(?:/home/[^/\s\"'<>,;:)\]]+|/Users/[^/\s\"'<>,;:)\]]+|/root)(?=/|$|[\s\"'<>,;:)\]])"
)
_WINDOWS_HOME = re.compile(r"(?i)(?<![\w])[a-z]:[\\/]+Users[\\/]+[^\\/\s\"'<>,;:)\]]+")
_MODEL_CACHE = re.compile(r"~[\\/]\.cache[\\/]inferboard[\\/]models(?=[\\/]|$|[\s\"'])")
_OUT_FLAGS = ("--out",)


def public_text(text: str) -> str:
    """`text` with home folders as `~` and inferboard's model cache as `<model cache>`."""
    if "/" not in text and "\\" not in text:
        return text
    text = _POSIX_HOME.sub("~", _WINDOWS_HOME.sub("~", text))  # Windows first: C:/Users/x is not POSIX
    return _MODEL_CACHE.sub("<model cache>", text)


def public_command(argv: list[str]) -> list[str]:
    """The recorded command line with the `--out` folder replaced (it says only where files were kept)."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append("<out>")
            hide_next = False
        elif arg in _OUT_FLAGS:
            out.append(arg)
            hide_next = True
        elif any(arg.startswith(flag + "=") for flag in _OUT_FLAGS):
            out.append(arg.split("=", 1)[0] + "=<out>")
        else:
            out.append(public_text(arg))
    return out


def _public_tree(value: Any) -> Any:
    """`value` with every string made public. A list or mapping whose JSON holds none of the markers below
    is returned as it is, unwalked: json.dumps runs in C; walking thousands of request figures does not."""
    if isinstance(value, str):
        return public_text(value)
    if isinstance(value, dict | list):
        if not _has_marker(json.dumps(value, ensure_ascii=False).lower().encode("utf-8", "replace")):
            return value
        if isinstance(value, dict):
            return {k: _public_tree(v) for k, v in value.items()}
        return [_public_tree(v) for v in value]
    return value


def _has_marker(lowered: bytes) -> bool:
    return any(m in lowered for m in _MARKERS)


# Every match of the patterns above contains one of these ASCII words as written (lower-cased here, as the
# Windows pattern ignores case); in a file's bytes they appear the same unless JSON escaped one of their
# characters (`\/`, or `\u00XX` for an ASCII one), so a file with none of them has nothing to rewrite and is
# not walked (walking every per-request figure of a run took longer than validating it).
_MARKERS = (b"/home/", b"users", b"/root", b".cache", b"\\/")
_ASCII_ESCAPE = re.compile(rb"\\u00[0-7][0-9a-fA-F]")


def _may_hold_paths(raw: bytes) -> bool:
    return _has_marker(raw.lower()) or _ASCII_ESCAPE.search(raw) is not None


def public_data(data: dict[str, Any], raw: bytes) -> dict[str, Any]:
    """The decoded, upgraded run dict as the site may publish it (before it is validated, so a run is
    validated once). raw: the file's bytes, which say cheaply whether any string needs rewriting."""
    if _may_hold_paths(raw):
        quality = data.get("quality")
        # The model's own answers are what it said (a path in an answer is not this machine's): verbatim.
        answers = quality.pop("answers", None) if isinstance(quality, dict) else None
        data = _public_tree(data)
        if answers is not None:
            data["quality"]["answers"] = answers
    command = data.get("command")
    if isinstance(command, list) and all(isinstance(arg, str) for arg in command):  # else: invalid anyway
        data["command"] = public_command(command)
    return data
