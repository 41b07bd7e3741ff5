"""inferboard's model cache: where fetched and converted weights live, with what is known about them.

Every model in the cache has a JSON sidecar beside it (`NAME.source.json`) that records its provenance
(source, sha256, licence, conversions). The sha256 in a sidecar is trusted only while the file's size and
modification time match what the sidecar recorded, so a replaced file is hashed again, never misreported.
Files are written under a temporary name in the same folder and renamed into place: an interrupted fetch
or conversion leaves no half-written model behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import click

from collector.errors import InferboardError
from collector.store import atomic_write_bytes

SIDECAR_SUFFIX = ".source.json"
_CHUNK = 1 << 20

Format = Literal["gguf", "hf"]


def default_cache_dir() -> Path:
    """`$INFERBOARD_CACHE` when set (models go directly in it), else ~/.cache/inferboard/models."""
    override = os.environ.get("INFERBOARD_CACHE")
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "inferboard" / "models"


class ModelSourceError(InferboardError, RuntimeError):
    """A model could not be resolved, fetched or converted; the message is one readable line."""


@dataclass(frozen=True)
class ResolvedModel:
    """A model on local disk and everything known about where it came from."""

    path: Path
    format: Format
    name: str
    source: str
    sha256: str | None = None
    license: str | None = None
    upstream: str | None = None
    quantization: str | None = None
    conversions: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["conversions"] = list(self.conversions)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path) -> ResolvedModel:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["path"] = path
        fields["conversions"] = tuple(fields.get("conversions") or ())
        return cls(**fields)


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: `override`, else $INFERBOARD_CACHE, else ~/.cache/inferboard/models."""
    return user_path(override) if override is not None else default_cache_dir()


def user_path(text: str | os.PathLike[str]) -> Path:
    """`text` with a leading `~` or `~user` expanded; an unknown user is one line, not a RuntimeError."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        raise ModelSourceError(
            f"{text}: no home folder for {str(text).split('/', 1)[0]!r} (unknown user)"
        ) from None


@contextlib.contextmanager
def cache_errors(source: str, cache: Path | None = None) -> Iterator[None]:
    """A read-only, full or unreadable cache (or model file) as one line naming the file and the cache."""
    try:
        yield
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise ModelSourceError(
            f"{source}: {exc.strerror or exc}{where}; the model cache is {cache_dir(cache)} "
            "(set INFERBOARD_CACHE to a writable folder with room)"
        ) from None


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _weights_file(model: Path) -> Path | None:
    """The one file whose hash identifies a model: the GGUF itself, or a directory's only safetensors."""
    if model.is_file():
        return model
    shards = sorted(model.glob("*.safetensors"))
    return shards[0] if len(shards) == 1 else None


def write_sidecar(model: ResolvedModel) -> None:
    target = _weights_file(model.path)
    stat = target.stat() if target is not None else None
    record = {
        "model": model.to_json(),
        "size": stat.st_size if stat else None,
        "mtime_ns": stat.st_mtime_ns if stat else None,
    }
    atomic_write_bytes(sidecar_path(model.path), (json.dumps(record, indent=2) + "\n").encode())


def read_sidecar(path: Path) -> ResolvedModel | None:
    """The recorded provenance of a cached model, or None when absent or stale (file changed since)."""
    try:
        record = json.loads(sidecar_path(path).read_text())
        if not isinstance(record, dict) or not isinstance(record.get("model"), dict):
            return None  # a corrupted sidecar: the model is described from its own headers instead
        target = _weights_file(path)
        if target is not None:
            stat = target.stat()
            if record["size"] != stat.st_size or record["mtime_ns"] != stat.st_mtime_ns:
                return None
        return ResolvedModel.from_json(record["model"], path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def cached_models(directory: Path) -> list[ResolvedModel]:
    """Every model with a valid sidecar under the cache folder (random-weight models are not sources)."""
    found: list[ResolvedModel] = []
    if not directory.is_dir():
        return found
    for sidecar in sorted(directory.rglob("*" + SIDECAR_SUFFIX)):
        model = read_sidecar(sidecar.with_name(sidecar.name.removesuffix(SIDECAR_SUFFIX)))
        if model is not None:
            found.append(model)
    return found


def show_progress() -> bool:
    """Progress bars only on an interactive terminal: logs and CI output stay quiet."""
    return sys.stderr.isatty()


def sha256_file(path: Path, label: str | None = None) -> str:
    digest = hashlib.sha256()
    size = path.stat().st_size
    with path.open("rb") as handle, progress_bar(size, label or f"hashing {path.name}") as bar:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


def weights_sha256(path: Path) -> str | None:
    target = _weights_file(path)
    return sha256_file(target) if target is not None else None


class _NoBar:
    def update(self, n: int) -> None:
        pass


@contextlib.contextmanager
def progress_bar(total: int, label: str) -> Iterator[Any]:
    if not show_progress():
        yield _NoBar()
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar


@contextlib.contextmanager
def staging_file(final: Path) -> Iterator[Path]:
    """A temporary path beside `final`; renamed onto it when the block succeeds, deleted otherwise."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        tmp.chmod(0o644)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """A temporary folder beside `final`; it replaces `final` when the block succeeds, else is removed."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent))
    try:
        yield tmp
        tmp.chmod(0o755)
        for item in tmp.rglob("*"):
            item.chmod(0o755 if item.is_dir() else 0o644)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
