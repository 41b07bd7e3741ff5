"""The validated configuration of one `inferboard collect` invocation."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from collector.schema import SLO, Quantization, Serving, Suite
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


def _bounded(name: str, low: float, high: float, *, low_open: bool = False, why: str = "") -> AfterValidator:
    """A finite number in [low, high] ((low, high] with low_open), else one line naming the option."""

    def check(value: float | None) -> float | None:
        if value is None:
            return value
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
        if value < low or (low_open and value == low):
            raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {value:g}")
        if value > high:
            raise ValueError(f"{name} must be <= {high:g}{' (' + why + ')' if why else ''}, got {value:g}")
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


Seconds = Annotated[float, _bounded("a timeout", 0, MAX_SECONDS, low_open=True, why="a week")]


class CollectConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)

    # What to hit
    endpoint: str | None = Field(None, description="Base URL of a running server; None = embedded engine.")
    backend: str = Field("auto", description="Backend adapter name, or 'auto' to identify the server.")
    model: str | None = Field(None, description="Model id to request; None = the first the server lists.")
    api: Literal["completions", "chat"] = "completions"
    api_key: SecretStr | None = Field(None, description="Bearer token; never written anywhere.")
    launch: str | None = Field(None, description="Command line that starts the server (managed launch).")
    launch_env: dict[str, str] = Field(
        default_factory=dict, description="Variables added to the launched server's environment."
    )
    ready_url: str | None = Field(
        None, description="URL that answers 200 once a launched server is ready (default: the backend's)."
    )
    ready_timeout_s: Seconds = 900.0

    # Embedded engine
    gguf: Path | None = None
    shape: str = "tiny"
    engine_dtype: str = "f32"
    engine_ctx: int | None = Field(
        None, ge=16, description="Total context of the engine, split across its slots; None = sized to fit."
    )
    engine_parallel: Annotated[int, _bounded("engine parallel slots", 1, MAX_USERS, why="memory")] = 4
    engine_threads: Annotated[int | None, _bounded("engine threads", 1, 4096)] = None

    # Load
    concurrency: Annotated[
        list[int], _each("concurrency", 1, MAX_USERS, why="each user is a live connection; memory")
    ] = Field(default_factory=list)
    request_rates: Annotated[
        list[float], _each("request rate", 0, MAX_RATE, low_open=True, why="req/s one collector can send")
    ] = Field(default_factory=list)
    burstiness: Annotated[float, _bounded("burstiness", 0, 1000, low_open=True)] = 1.0
    max_concurrency: Annotated[int | None, _bounded("max concurrency", 1, MAX_USERS, why="memory")] = None
    requests: Annotated[int | None, _bounded("requests", 1, MAX_REQUESTS, why="memory per level")] = None
    duration_s: Annotated[float | None, _bounded("duration", 0, MAX_SECONDS, low_open=True, why="a week")] = (
        None
    )
    warmup: Annotated[int, _bounded("warmup", 0, MAX_REQUESTS)] = 2
    repeats: Annotated[int, _bounded("repeats", 1, 1000)] = 1
    workers: Annotated[int, _bounded("workers", 1, 1024, why="load-generating processes")] = 1
    retries: int = Field(0, ge=0, description="Retries of HTTP 429/503 answers per request (off by default).")

    # Workload
    input_tokens: Annotated[int | None, _bounded("input tokens", 1, MAX_TOKENS, why="no model's context")] = (
        None
    )
    output_tokens: Annotated[
        int | None, _bounded("output tokens", 1, MAX_TOKENS, why="no model's context")
    ] = None
    length_jitter: float = Field(0.0, ge=0.0, lt=1.0)
    ignore_eos: bool = True
    dataset: Path | None = None
    seed: int = 0
    slo: SLO | None = None
    request_params: dict[str, Scalar] = Field(
        default_factory=dict, description="Extra body fields sent with every request (suite files)."
    )

    # Timeouts
    connect_timeout_s: Seconds = 10.0
    read_timeout_s: Seconds = 60.0
    request_timeout_s: Seconds = 600.0

    # Provenance
    quantization: Quantization = Field(
        default_factory=Quantization, description="Given by flags or a suite; wins over detected facts."
    )
    serving: Serving = Field(default_factory=Serving, description="Given by flags or a suite.")
    hardware_label: str | None = None
    gpu_indices: list[int] | None = None
    telemetry_hz: Annotated[float, _bounded("telemetry rate", 0, 1000, low_open=True, why="Hz")] = 10.0
    labels: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    command: list[str] = Field(default_factory=list)
    suite: Suite | None = None

    # Output
    out: Path = Path("runs")
    max_request_records: int = Field(500, ge=0)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return check_endpoint(value)

    @field_validator("slo")
    @classmethod
    def _slo(cls, value: SLO | None) -> SLO | None:
        for name, limit in (value.model_dump() if value else {}).items():
            if limit is not None and (not math.isfinite(limit) or limit <= 0):
                raise ValueError(
                    f"SLO {name.removesuffix('_ms')} must be a finite number of ms > 0, got {limit}"
                )
        return value

    @property
    def embedded(self) -> bool:
        return self.endpoint is None

    @property
    def mode(self) -> Literal["concurrency", "rate"]:
        return "rate" if self.request_rates else "concurrency"

    @model_validator(mode="after")
    def _defaults(self) -> CollectConfig:
        defaults = EMBEDDED_DEFAULTS if self.embedded else ENDPOINT_DEFAULTS
        if self.concurrency and self.request_rates:
            raise ValueError("give either --concurrency or --request-rate, not both")
        if not self.concurrency and not self.request_rates:
            self.concurrency = list(defaults["concurrency"])  # type: ignore[call-overload]
        if any(c < 1 for c in self.concurrency):
            raise ValueError("concurrency levels must be >= 1")
        if any(r <= 0 for r in self.request_rates):
            raise ValueError("request rates must be > 0")
        if self.requests is None and self.duration_s is None:
            self.requests = int(defaults["requests"])  # type: ignore[call-overload]
        if self.dataset is None and self.input_tokens is None:
            self.input_tokens = int(defaults["input_tokens"])  # type: ignore[call-overload]
        if self.output_tokens is None:
            self.output_tokens = int(defaults["output_tokens"])  # type: ignore[call-overload]
        if self.launch and not self.endpoint:
            raise ValueError("--launch needs --endpoint (the URL the launched server will answer on)")
        if self.embedded and self.backend not in ("auto", "llama.cpp", "llamacpp"):
            raise ValueError("the embedded engine is llama.cpp; pass --endpoint to benchmark another backend")
        return self

    def levels(self) -> list[tuple[int | None, float | None]]:
        if self.request_rates:
            return [(None, r) for r in self.request_rates]
        return [(c, None) for c in self.concurrency]
