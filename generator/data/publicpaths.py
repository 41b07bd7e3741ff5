"""Local paths stay local: the site publishes run files, and run files record where things were on the
collecting machine (the model under the user's cache, the `--out` folder, the suite file). Every string of a
run passes through `public_run` when it is loaded, so no page, chart or published run file can show a home
folder or a user name: a home folder becomes `~`, inferboard's model cache `<model cache>`, and the value of
`--out` on the recorded command line `<out>`. File names (which say what was served) are kept."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from collector.schema import RunFileError, RunRecord

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
    if isinstance(value, str):
        return public_text(value)
    if isinstance(value, dict):
        return {k: _public_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_public_tree(v) for v in value]
    return value


def public_run(record: RunRecord, source: str = "<run>") -> RunRecord:
    """The run as the site may publish it (validated again: the rewrite keeps every field's type)."""
    data = record.model_dump(mode="json")
    quality = data.get("quality")
    # The model's own answers are what it said (a path in an answer is not this machine's): kept verbatim.
    answers = quality.pop("answers", None) if isinstance(quality, dict) else None
    data = _public_tree(data)
    if answers is not None:
        data["quality"]["answers"] = answers
    if isinstance(data.get("command"), list):
        data["command"] = public_command(data["command"])
    try:
        return RunRecord.model_validate(data)
    except ValidationError as exc:  # not seen: every rewrite keeps a string a string
        raise RunFileError(source, f"cannot be published: {exc.errors()[0]['msg']}") from None
