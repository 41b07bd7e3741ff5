"""Metric definitions: the single source for the collector's math docs and the site's methodology page.

`collector.metrics` implements exactly these; tests check every key here has an implementation and
the generator renders this list verbatim, so the published definitions cannot drift from the code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricDefinition:
    key: str
    name: str
    unit: str
    scope: str  # "request" or "level"
    definition: str
    formula: str


METRIC_DEFINITIONS: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        "t0",
        "Send time",
        "ns",
        "request",
        "When the request is handed to the connection. In open-loop (request-rate) mode latency is measured "
        "from the *scheduled* send time instead, so a backed-up client cannot hide queueing "
        "(coordinated omission).",
        "t0 = scheduled send time (rate mode) or actual send time (concurrency mode)",
    ),
    MetricDefinition(
        "ttft_ms",
        "Time to first token (TTFT)",
        "ms",
        "request",
        "Arrival of the first SSE chunk that carries generated content (choices[].text, delta.content or "
        "delta.reasoning_content) minus t0. Role-only or empty chunks are not tokens. Timestamps are taken "
        "when the bytes arrive, before JSON decoding.",
        "TTFT = t(first content chunk) - t0",
    ),
    MetricDefinition(
        "e2e_ms",
        "End-to-end latency (E2E)",
        "ms",
        "request",
        "Arrival of the last content chunk minus t0.",
        "E2E = t(last content chunk) - t0",
    ),
    MetricDefinition(
        "output_tokens",
        "Output tokens",
        "tokens",
        "request",
        "usage.completion_tokens reported by the server (stream_options.include_usage is always requested). "
        "When the server sends no usage, content chunks are counted instead and the request is flagged.",
        "n = usage.completion_tokens, else number of content chunks",
    ),
    MetricDefinition(
        "tpot_ms",
        "Time per output token (TPOT)",
        "ms",
        "request",
        "Mean time per output token after the first. Undefined for n <= 1 (such requests do not enter the "
        "TPOT distribution).",
        "TPOT = (E2E - TTFT) / (n - 1)",
    ),
    MetricDefinition(
        "itl_ms",
        "Inter-chunk latency (ITL)",
        "ms",
        "request",
        "Each gap between consecutive content chunks, pooled over all requests of a level. Servers may pack "
        "several tokens in one chunk; tokens per chunk is recorded beside it so ITL stays interpretable "
        "(ITL ~ TPOT x tokens per chunk).",
        "ITL_i = t(chunk i) - t(chunk i-1)",
    ),
    MetricDefinition(
        "tokens_per_chunk",
        "Tokens per chunk",
        "tokens",
        "request",
        "Output tokens divided by content chunks, per request.",
        "n / chunks",
    ),
    MetricDefinition(
        "per_user_tok_s",
        "Per-user tokens/s (interactivity)",
        "tok/s",
        "request",
        "Decode speed one user sees.",
        "1000 / TPOT_ms",
    ),
    MetricDefinition(
        "failed",
        "Failed requests",
        "requests",
        "level",
        "Requests that did not complete, by reason: http_<status>, timeout, disconnected (stream ended "
        "before [DONE] or usage), malformed (unparseable stream), connect. Failed requests never enter "
        "latency statistics.",
        "count by reason",
    ),
    MetricDefinition(
        "duration_s",
        "Measurement window",
        "s",
        "level",
        "From the first counted send (t0) to the last completion of the counted requests.",
        "window = max(t_end) - min(t0)",
    ),
    MetricDefinition(
        "output_throughput_tok_s",
        "Output throughput",
        "tok/s",
        "level",
        "Output tokens of completed requests divided by the measurement window.",
        "sum(n) / window",
    ),
    MetricDefinition(
        "request_throughput_rps",
        "Request throughput",
        "req/s",
        "level",
        "Completed requests divided by the measurement window.",
        "completed / window",
    ),
    MetricDefinition(
        "output_throughput_per_gpu_tok_s",
        "Output throughput per GPU",
        "tok/s/GPU",
        "level",
        "Output throughput divided by the number of GPUs serving the model (absent on CPU runs).",
        "output throughput / GPUs",
    ),
    MetricDefinition(
        "goodput",
        "Goodput",
        "req/s",
        "level",
        "Completed requests meeting every SLO given (e.g. TTFT <= 500 ms and TPOT <= 50 ms), as a rate over "
        "the window and as a fraction of all requests sent (failed requests count as misses).",
        "good / window; good / (completed + failed)",
    ),
    MetricDefinition(
        "length_mismatches",
        "Length mismatches",
        "requests",
        "level",
        "With ignore_eos and a fixed output length, completed requests whose completion_tokens differ from "
        "max_tokens (servers that silently ignore ignore_eos/min_tokens are caught this way).",
        "count(n != max_tokens)",
    ),
    MetricDefinition(
        "joules_per_output_token",
        "Energy per output token",
        "J/token",
        "level",
        "Energy of the serving GPUs over the level's window (NVML total-energy counter where the GPU has "
        "one, else power integrated over samples) divided by the level's output tokens.",
        "J(window) / sum(n)",
    ),
    MetricDefinition(
        "summary",
        "Distribution summary",
        "-",
        "level",
        "Every distribution is summarised as count, mean, population std, min, max and p50/p90/p95/p99 by "
        "linear interpolation between closest ranks (numpy's default).",
        "percentile(values, q, method='linear')",
    ),
)


def definition(key: str) -> MetricDefinition:
    for item in METRIC_DEFINITIONS:
        if item.key == key:
            return item
    raise KeyError(key)


# Headline metrics: "<LevelResult field>" or "<Summary field>.<statistic>". The collector puts a confidence
# interval on each of these across repeated trials and the site shows exactly these, so the two can never
# disagree on which figures are "the" numbers of a level.
HEADLINE_METRICS: tuple[str, ...] = (
    "ttft_ms.p50",
    "ttft_ms.p99",
    "tpot_ms.p50",
    "e2e_ms.p50",
    "output_throughput_tok_s",
    "per_user_tok_s.p50",
)
