"""One scrubbing boundary for everything the collector writes: run files, server logs, console lines.

The collector knows its secrets (the API key, secret-named environment variables, secret flags of the launch
line) but not where they will come back from: a server may quote the request's credentials in an error body
or an SSE error event, and that text travels into request records, level errors and messages. Rather than
special-casing each path, the secrets are registered once per process and every writer passes its text
through `scrub()` (or `scrub_tree()` for a whole record before it is serialised).
"""

from __future__ import annotations

import json
import os
import shlex
import threading
from collections.abc import Iterable
from typing import Any

from collector.secrets.redact import known_secrets, redact_text

_lock = threading.Lock()
_registered: set[str] = set()


def register(values: Iterable[str | None]) -> None:
    """Add secret values to scrub from every later write (they stay registered for the process)."""
    with _lock:
        _registered.update(v for v in values if v)


def register_run_secrets(api_key: str | None, launch: str | None, launch_env: dict[str, str]) -> None:
    """Register what one collection knows to be secret: its key, the secret-named variables of its
    environment (and the launched server's) and the secret flag values of its launch line."""
    argv: list[str] = []
    if launch:
        try:
            argv = shlex.split(launch)
        except ValueError:
            argv = launch.split()
    register(known_secrets({**os.environ, **launch_env}, argv, [api_key]))


def forget_all() -> None:
    """Forget every registered secret (between independent collections in one process, e.g. tests)."""
    with _lock:
        _registered.clear()


def registered() -> list[str]:
    with _lock:
        return sorted(_registered, key=len, reverse=True)


def scrub(text: str) -> str:
    """`text` with every registered secret and every secret-shaped string replaced by `<redacted>`."""
    return redact_text(text, registered())


def scrub_lower(text: str) -> str:
    """`text` lower-cased and scrubbed of every secret in any letter case (for names that are lower-cased
    anyway, such as a run file's name: `ORG/SK-ABC...` must not become `sk-abc...`)."""
    return redact_text(scrub(text).lower(), [s.lower() for s in registered()])


def scrub_tree(value: Any, secrets: list[str] | None = None) -> Any:
    """A JSON-like value with every string (keys included) scrubbed. Strings only: replacing a short
    numeric secret in serialised JSON could corrupt a number, so the text is never scrubbed after dumping."""
    secrets = registered() if secrets is None else secrets
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, dict):
        # Keys are field names: a whole secret is scrubbed from them, a cut-short start is not (six characters
        # of a key could match a field such as `tokens_per_chunk` and break the record).
        return {
            redact_text(str(k), secrets, prefixes=False): scrub_tree(v, secrets) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub_tree(v, secrets) for v in value]
    return value


def scrubbed_json(value: Any, indent: int | None = 1) -> str:
    """Scrubbed JSON text; NaN and infinities are refused (json.dumps would write invalid JSON)."""
    return json.dumps(scrub_tree(value), indent=indent, ensure_ascii=False, allow_nan=False)
