"""Suite files: a matrix of servers x workloads x load levels, expanded into one run per (server, workload).

`load_suite()` validates the YAML (errors name the file and the key), `expand()` makes the cells, each
carrying the merged collect options it needs, `plan_text()` is what `--dry-run` prints and `run_cells()`
runs the cells one by one so that a failed cell is reported while the others still run. The suite text and
its sha256 go into every run (`collector.schema.Suite`) — which is why a suite file may not contain secret
values: write `${VAR}` and keep the value in the environment. Format: docs/suites.md.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from collector.config.options import CollectOptions, same_as
from collector.config.yamlguard import YamlRefused, check_size_and_aliases
from collector.errors import InferboardError
from collector.models import ModelSourceError, resolve_served
from collector.provenance.facts import (
    merge,
    normalize_dtype,
    normalize_format,
    quantization_from_argv,
    serving_from_argv,
)
from collector.schema import Quantization, Serving, Suite
from collector.secrets.redact import is_secret_name, known_secrets, redact_argv, redact_text

T = TypeVar("T")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ALLOWED_SECRET_KEYS = frozenset({"api_key_env"})
# A launch line's `${INFERBOARD_MODEL_PATH}`: the local path of the server's `model_source`.
MODEL_PATH_VAR = "INFERBOARD_MODEL_PATH"
_RUNNER_HELP = (
    "Label of the self-hosted runner whose hardware the cells need (the collect workflow runs them on "
    "[self-hosted, LABEL]); not recorded in the run."
)


class SuiteError(InferboardError, ValueError):
    """A suite file that cannot be used; the message names the file and the key."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkloadSpec(CollectOptions):
    name: str = Field(pattern=_NAME)


class EngineSpec(_Spec):
    """The embedded llama.cpp engine: a GGUF file, a model source, or a generated random-weight model of a
    named shape (with none of them: the default real-weight model)."""

    # The engine options of `collect` under the engine's own names: --gguf, --model-source, --shape,
    # --dtype, --engine-ctx, --engine-parallel, --engine-threads (same bounds and descriptions).
    gguf: str | None = same_as("gguf")  # a path relative to the suite file
    source: str | None = same_as("model_source")
    shape: str | None = same_as("shape")
    dtype: str | None = same_as("engine_dtype")
    n_ctx: int | None = same_as("engine_ctx")
    parallel: int | None = same_as("engine_parallel")
    threads: int | None = same_as("engine_threads")

    @model_validator(mode="after")
    def _one_model(self) -> EngineSpec:
        if sum(bool(x) for x in (self.gguf, self.source, self.shape)) > 1:
            raise ValueError("give one of gguf, source or shape")
        return self


class ServerSpec(_Spec):
    """One server of the suite; the keys that are `collect` options share their bounds and descriptions
    (`env` is launch_env, `gpus` is gpu_indices); `endpoint` and `launch` may hold `${VAR}` references."""

    name: str = Field(pattern=_NAME)
    backend: str = same_as("backend", "auto")
    launch: str | list[str] | None = Field(
        None, description="Command that starts the server, a string or an argv list; needs endpoint."
    )
    endpoint: str | None = same_as("endpoint")
    ready_url: str | None = same_as("ready_url")
    ready_timeout_s: float | None = same_as("ready_timeout_s")
    engine: EngineSpec | None = None
    model: str | None = same_as("model")
    model_source: str | None = Field(
        None,
        description="What a launched or external server loads (a source, or a path relative to the suite "
        "file); the run records its provenance.",
    )
    weights: Literal["real", "random"] | None = None
    env: dict[str, str] = same_as("launch_env", default_factory=dict)
    gpus: list[int] | None = same_as("gpu_indices")
    hardware_label: str | None = same_as("hardware_label")
    quantization: Quantization | None = None
    serving: Serving | None = None
    labels: list[str] = same_as("labels", default_factory=list)
    runner: str | None = Field(None, pattern=_NAME, description=_RUNNER_HELP)
    options: CollectOptions = Field(default_factory=CollectOptions)

    @model_validator(mode="after")
    def _one_target(self) -> ServerSpec:
        if self.engine is not None and (self.endpoint or self.launch):
            raise ValueError("an engine server takes no endpoint or launch line")
        if self.engine is None and not self.endpoint:
            raise ValueError("give an endpoint (with or without launch), or an engine")
        return self

    @property
    def launch_argv(self) -> list[str] | None:
        """The launch command as argv (a string is split with shlex), `${VAR}` not yet expanded."""
        if self.launch is None:
            return None
        return shlex.split(self.launch) if isinstance(self.launch, str) else list(self.launch)

    @property
    def mode(self) -> Literal["embedded", "managed", "external"]:
        return "embedded" if self.engine else "managed" if self.launch else "external"


class SuiteDefaults(CollectOptions):
    """The options of every cell, and the runner label of every server that names none."""

    runner: str | None = Field(None, pattern=_NAME, description=_RUNNER_HELP)

    def options(self) -> CollectOptions:
        return CollectOptions.model_validate(self.model_dump(exclude_none=True, exclude={"runner"}))


class SuiteFile(_Spec):
    name: str = Field(pattern=_NAME)
    description: str | None = None
    defaults: SuiteDefaults = Field(default_factory=SuiteDefaults)
    load: CollectOptions = Field(default_factory=CollectOptions)
    workloads: list[WorkloadSpec] = Field(default_factory=list)
    servers: list[ServerSpec] = Field(min_length=1)


@dataclass(frozen=True)
class LoadedSuite:
    spec: SuiteFile
    path: Path
    text: str
    sha256: str


@dataclass(frozen=True)
class Cell:
    """One run of a suite: a server with one workload, every level of the load matrix."""

    index: int
    name: str
    server: ServerSpec
    workload: str | None
    options: CollectOptions
    quantization: Quantization
    serving: Serving
    suite: Suite
    runner: str | None = None  # the runner label: the server's, else the suite defaults'

    def launch_argv(self, environ: Mapping[str, str] | None = None) -> list[str] | None:
        """The launch command with `${VAR}` replaced from the environment (server env over `environ`)."""
        argv = self.server.launch_argv
        if argv is None:
            return None
        variables = self.variables(environ)
        return [expand_env_refs(arg, variables) for arg in argv]

    def variables(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """What `${VAR}` in a launch line or model name can name: the environment, the server's env and,
        with a `model_source`, `${INFERBOARD_MODEL_PATH}` (the cached model, wherever the user's cache is)."""
        variables = {**(os.environ if environ is None else environ), **self.environ(environ)}
        if self.server.model_source is not None:
            try:
                variables[MODEL_PATH_VAR] = str(resolve_served(self.server.model_source).path)
            except ModelSourceError as exc:
                raise SuiteError(f"servers[{self.server.name}].model_source: {exc}") from None
        return variables

    def environ(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The server's extra variables, with `${VAR}` references resolved from `environ`."""
        base = dict(os.environ if environ is None else environ)
        return {name: expand_env_refs(value, base) for name, value in self.server.env.items()}


@dataclass(frozen=True)
class CellOutcome(Generic[T]):
    cell: Cell
    result: T | None
    error: str | None


def expand_env_refs(text: str, environ: Mapping[str, str]) -> str:
    """Replace `${NAME}` with the variable's value; a missing variable is an error naming it."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise SuiteError(f"environment variable {name} is referenced by the suite but not set")
        return environ[name]

    return _ENV_REF.sub(value, text)


def _location(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _find_secrets(node: Any, path: str = "", shaped_only: bool = False) -> Iterator[str]:
    """Keys of the raw YAML holding a literal secret (a `${VAR}` reference is fine). shaped_only: only
    values that look like a secret whatever their key (`sk-…`, `hf_…`, a bearer token)."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            literal = isinstance(value, str | int | float) and not _ENV_REF.fullmatch(str(value).strip())
            shaped = not shaped_only or redact_text(str(value)) != str(value)
            if (
                is_secret_name(str(key))
                and key not in _ALLOWED_SECRET_KEYS
                and literal
                and str(value)
                and shaped
            ):
                yield here
            elif key == "launch" and isinstance(value, str | list):
                argv = shlex.split(value) if isinstance(value, str) else [str(v) for v in value]
                if any(not _ENV_REF.fullmatch(s) for s in known_secrets(argv=argv)):
                    yield f"{here} (a secret value in the launch line)"
            else:
                yield from _find_secrets(value, here, shaped_only)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _find_secrets(item, f"{path}[{i}]", shaped_only)


MAX_SUITE_RUNS = 1000  # servers x workloads: every cell is a whole collection


def _secret_error(path: Path | str, key: str) -> SuiteError:
    return SuiteError(
        f"{path}: {key}: secret values must not be written in a suite file (its text is saved in every "
        "run); write ${VARIABLE} and set it in the environment"
    )


def parse_suite(text: str, path: Path | str = "<suite>") -> LoadedSuite:
    """Validate suite text; SuiteError names `path` and the offending key."""
    try:
        check_size_and_aliases(text)
        raw = yaml.safe_load(text)
    except YamlRefused as exc:
        raise SuiteError(f"{path}: {exc}") from None
    except RecursionError:
        raise SuiteError(f"{path}: YAML nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise SuiteError(f"{path}: {where}invalid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(raw, dict):
        raise SuiteError(f"{path}: a suite file must be a YAML mapping with 'name' and 'servers'")
    # The schema first: an unknown key that merely has a secret-like name (`cache_key: warm`) is reported
    # as unknown; a value shaped like a secret is still reported as one. Nothing is run or saved before
    # the full secrets check below has passed too.
    try:
        spec = SuiteFile.model_validate(raw)
    except ValidationError as exc:
        for key in _find_secrets(raw, shaped_only=True):
            raise _secret_error(path, key) from None
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise SuiteError(f"{path}: {_location(first['loc'])}: {first['msg']}{more}") from None
    for key in _find_secrets(raw):
        raise _secret_error(path, key)
    names = [s.name for s in spec.servers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SuiteError(f"{path}: servers: duplicate name {duplicates[0]!r}")
    workload_names = [w.name for w in spec.workloads]
    if len(set(workload_names)) != len(workload_names):
        raise SuiteError(f"{path}: workloads: duplicate workload names")
    runs = len(spec.servers) * max(1, len(spec.workloads))
    if runs > MAX_SUITE_RUNS:
        shape = f"{len(spec.servers):,} servers x {max(1, len(spec.workloads)):,} workloads"
        raise SuiteError(
            f"{path}: {shape} = {runs:,} runs; "
            f"a suite holds at most {MAX_SUITE_RUNS:,} (each run is a whole collection: a server start and a "
            "sweep, days of work beyond that); split it into several suites"
        )
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedSuite(spec=spec, path=Path(path), text=text, sha256=digest)


def load_suite(path: str | Path) -> LoadedSuite:
    """Read and validate a suite file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SuiteError(f"{path}: cannot read suite file ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SuiteError(f"{path}: suite file is not UTF-8 text") from None
    loaded = parse_suite(text, path)
    # Hash the exact bytes on disk, so `sha256sum suite.yaml` matches what the runs record.
    return LoadedSuite(loaded.spec, loaded.path, text, hashlib.sha256(data).hexdigest())


def _resolve(path: str | None, base: Path) -> str | None:
    if path is None or Path(path).is_absolute():
        return path
    return str((base / path).resolve())


def _resolve_source(source: str | None, base: Path) -> str | None:
    """A path source is relative to the suite file, like gguf; pypi: and hf: sources are names."""
    if source is None or source.startswith(("pypi:", "hf:")):
        return source
    return _resolve(source, base)


def _suite_quantization(spec: Quantization | None) -> Quantization:
    if spec is None:
        return Quantization()
    return Quantization(
        format=normalize_format(spec.format),
        weights_dtype=normalize_dtype(spec.weights_dtype),
        activation_dtype=normalize_dtype(spec.activation_dtype),
        kv_cache_dtype=normalize_dtype(spec.kv_cache_dtype),
        checkpoint=spec.checkpoint,
        source="suite",
    )


def expand(suite: LoadedSuite) -> list[Cell]:
    """One cell per (server, workload), in file order. Options merge: defaults < load < workload < server."""
    spec = suite.spec
    base_dir = suite.path.parent
    workloads: list[WorkloadSpec | None] = list(spec.workloads) or [None]
    cells: list[Cell] = []
    for server in spec.servers:
        argv = server.launch_argv or []
        quantization = merge(quantization_from_argv(argv), _suite_quantization(server.quantization))
        serving = merge(serving_from_argv(argv), server.serving or Serving())
        if server.model_source is not None:
            server = server.model_copy(
                update={"model_source": _resolve_source(server.model_source, base_dir)}
            )
        if server.engine is not None:
            server = server.model_copy(
                update={
                    "engine": server.engine.model_copy(
                        update={
                            "gguf": _resolve(server.engine.gguf, base_dir),
                            "source": _resolve_source(server.engine.source, base_dir),
                        }
                    )
                }
            )
        for workload in workloads:
            options = spec.defaults.options().overlaid(spec.load)
            if workload is not None:
                options = options.overlaid(
                    CollectOptions.model_validate(workload.model_dump(exclude={"name"}))
                )
            options = options.overlaid(server.options)
            where = f"{suite.path}: servers[{server.name}]"
            if options.concurrency and options.request_rate:
                raise SuiteError(f"{where}: give concurrency or request_rate levels, not both")
            if options.dataset:
                options = options.model_copy(update={"dataset": (base_dir / options.dataset).resolve()})
            name = server.name if workload is None else f"{server.name}/{workload.name}"
            cells.append(
                Cell(
                    index=len(cells),
                    name=name,
                    server=server,
                    workload=None if workload is None else workload.name,
                    options=options,
                    quantization=quantization,
                    serving=serving,
                    suite=Suite(path=str(suite.path), sha256=suite.sha256, text=suite.text, cell=name),
                    runner=server.runner or spec.defaults.runner,
                )
            )
    return cells


def levels_text(options: CollectOptions) -> str:
    if options.request_rate:
        levels = "request rate " + ", ".join(f"{r:g}" for r in options.request_rate) + " req/s"
    elif options.concurrency:
        levels = "concurrency " + ", ".join(str(c) for c in options.concurrency)
    else:
        levels = "the command's default levels"
    if options.repeats and options.repeats > 1:
        levels += f" (x {options.repeats} repeats)"
    parts = [levels]
    if options.requests:
        parts.append(f"{options.requests} requests per level")
    if options.duration_s:
        parts.append(f"at most {options.duration_s:g} s per level")
    if options.warmup:
        parts.append(f"{options.warmup} warm-up")
    return ", ".join(parts)


def workload_text(options: CollectOptions) -> str:
    source = f"dataset {options.dataset}" if options.dataset else "synthetic"
    lengths = f"{options.input_tokens or '?'} -> {options.output_tokens or '?'} tokens"
    flags = ", ignore_eos" if options.ignore_eos else ""
    return f"{options.api or 'default api'}, {source}, {lengths}{flags}"


def _describe(model: BaseModel) -> str:
    fields = {k: v for k, v in model.model_dump(exclude={"source"}).items() if v not in (None, {}, [])}
    return ", ".join(f"{k}={v}" for k, v in fields.items()) or "not given"


def plan_text(cells: Sequence[Cell]) -> str:
    """The `--dry-run` plan: every run the suite would make, nothing contacted or started."""
    if not cells:
        return "no runs planned\n"
    suite = cells[0].suite
    total_levels = sum(c.options.level_count() for c in cells)
    lines = [
        f"suite {suite.path} (sha256 {suite.sha256[:12]}): {len(cells)} runs, {total_levels} load levels",
    ]
    for cell in cells:
        server = cell.server
        lines.append(f"{cell.index + 1:>3}. {cell.name}  [{server.mode}, backend {server.backend}]")
        if server.launch is not None:
            lines.append(f"       launch:   {shlex.join(redact_argv(server.launch_argv or []))}")
        if server.engine is not None:
            lines.append(f"       engine:   {_describe(server.engine)}")
        if server.endpoint:
            lines.append(f"       endpoint: {server.endpoint}")
        engine = server.engine
        model = server.model or (engine.gguf or engine.source or engine.shape if engine else None)
        lines.append(f"       model:    {model or 'as the server reports it'}")
        lines.append(f"       quant:    {_describe(cell.quantization)}")
        lines.append(f"       serving:  {_describe(cell.serving)}")
        lines.append(f"       workload: {workload_text(cell.options)}")
        lines.append(f"       load:     {levels_text(cell.options)}")
    return "\n".join(lines) + "\n"


def select(cells: Sequence[Cell], names: Sequence[str]) -> list[Cell]:
    """The cells whose name or server name is in `names` (all when empty); unknown names are an error."""
    if not names:
        return list(cells)
    known = {c.name for c in cells} | {c.server.name for c in cells}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SuiteError(f"no suite cell named {unknown[0]!r} (cells: {', '.join(c.name for c in cells)})")
    return [c for c in cells if c.name in names or c.server.name in names]


def run_cells(
    cells: Sequence[Cell],
    run_one: Callable[[Cell], T],
    on_error: Callable[[Cell, Exception], None] | None = None,
) -> list[CellOutcome[T]]:
    """Run every cell; a cell that raises is recorded (one-line error) and the next one runs.

    KeyboardInterrupt and SystemExit are not caught: stopping the suite is the user's call.
    """
    outcomes: list[CellOutcome[T]] = []
    for cell in cells:
        try:
            outcomes.append(CellOutcome(cell, run_one(cell), None))
        except Exception as exc:
            if on_error is not None:
                on_error(cell, exc)
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            outcomes.append(CellOutcome(cell, None, redact_text(f"{type(exc).__name__}: {message}")))
    return outcomes
