"""Writing run files: deterministic names, atomic writes, and a fallback so results are never lost."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from pathlib import Path

from collector.errors import InferboardError
from collector.schema import RunRecord
from collector.secrets.scrub import scrub_lower, scrubbed_json


class StoreError(InferboardError, OSError):
    """The run could not be written where asked. `saved_to` names where it was kept instead, if anywhere."""

    def __init__(self, message: str, saved_to: Path | None) -> None:
        self.saved_to = saved_to
        super().__init__(message)


def slug(text: str, limit: int = 48) -> str:
    s = re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-.").lower()
    return (s or "unknown")[:limit].rstrip("-.")


def hardware_slug(record: RunRecord) -> str:
    hw = record.hardware
    if hw.label:
        return slug(hw.label + (f"x{hw.gpu_count}" if hw.gpu_count > 1 else ""), 32)
    if hw.gpus:
        count = hw.gpu_count or len(hw.gpus)
        return slug(f"{count}x-{hw.gpus[0].name}", 32)
    if hw.accelerator != "cpu":  # e.g. an imported run whose hardware nobody stated
        return "unknown"
    return slug(f"cpu-{hw.host.cpu_cores_logical or 0}c", 32)


def run_filename(record: RunRecord) -> str:
    """`<UTC timestamp>_<backend>_<model slug>_<hardware slug>_<short id>.json`."""
    ts = record.created_at.strftime("%Y%m%dT%H%M%SZ")
    # Names come from the server (a model id can hold anything, a key included): scrubbed before they are
    # slugged, which lower-cases and cuts them past recognition.
    model = slug(scrub_lower(record.model.name).rsplit("/", 1)[-1])
    backend = slug(scrub_lower(record.backend.name), 24)
    return f"{ts}_{backend}_{model}_{slug(scrub_lower(hardware_slug(record)), 32)}_{record.run_id[:8]}.json"


def serialize(record: RunRecord) -> bytes:
    """The run file's bytes: every registered secret scrubbed from every string, whatever put it there."""
    return (scrubbed_json(record.model_dump(mode="json")) + "\n").encode("utf-8")


def _synced_temp(path: Path, data: bytes) -> str:
    """`data` in a fsynced temp file beside `path` (same folder, so a rename or link stays on one disk)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates 0600; a run file is ordinary shared data, so honour the umask like open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, then rename: readers never see a partial file."""
    tmp = _synced_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_create_bytes(path: Path, data: bytes) -> None:
    """Like atomic_write_bytes, but never replaces a file: FileExistsError when `path` exists.

    The temp file is hard-linked to `path`, which fails when the name is taken, so the check and the write
    are one step; a file system without hard links falls back to a check, then a rename."""
    tmp = _synced_temp(path, data)
    try:
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:
            if path.exists():
                raise FileExistsError(errno.EEXIST, "file exists", str(path)) from None
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def fallback_dir() -> Path:
    base = os.environ.get("INFERBOARD_FALLBACK_DIR")
    if base:
        return Path(base)
    return Path(tempfile.gettempdir()) / "inferboard-unsaved"


def write_run(record: RunRecord, out_dir: Path) -> Path:
    """Write the record into out_dir atomically. On failure, keep it in a fallback folder and raise
    StoreError naming both places."""
    data = serialize(record)
    name = run_filename(record)
    target = out_dir / name
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, data)
        return target
    except OSError as exc:
        reason = exc.strerror or str(exc)
        saved: Path | None = None
        for place in (fallback_dir(), Path.home() / ".cache" / "inferboard" / "unsaved"):
            try:
                place.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(place / name, data)
                saved = place / name
                break
            except OSError:
                continue
        where = (
            f"; the results were saved to {saved} instead" if saved else "; no fallback location was writable"
        )
        raise StoreError(f"cannot write run file into {out_dir}: {reason}{where}", saved) from None
