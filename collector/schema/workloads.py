"""Run-record models of the workload generators (shared prefix, multi-turn, trace, reasoning) and of the
capacity search. Part of the run-record contract; `models.py` uses them in Workload, LevelResult, RunRecord.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from collector.schema.base import SLO, Strict, Summary


class SharedPrefixSettings(Strict):
    """The shared-prefix workload: G groups, each with its own system prompt, then a unique suffix."""

    groups: int = Field(description="Number of distinct shared prefixes (groups).", ge=1)
    prefix_tokens: int = Field(description="Tokens of each group's shared prefix.", ge=1)
    suffix_tokens: int = Field(description="Tokens of the unique suffix of every request.", ge=1)
    prompts_per_group: int = Field(description="Requests generated per group.", ge=1)


class MultiTurnSettings(Strict):
    """The multi-turn chat workload: sessions whose every request carries the whole history so far."""

    sessions: int = Field(description="Chat sessions generated.", ge=1)
    turns: int = Field(description="User turns per session.", ge=1)
    turn_input_tokens: int = Field(description="Tokens of each new user message.", ge=1)
    turn_output_tokens: int = Field(description="max_tokens of each assistant reply.", ge=1)
    think_time_s: float = Field(
        description="Pause between a reply's end and the session's next user turn, in seconds.", ge=0
    )


class TraceSettings(Strict):
    """A replayed Mooncake-format trace (JSONL: timestamp ms, input_length, output_length, hash_ids)."""

    path: str = Field(description="Trace file as given.")
    sha256: str = Field(description="SHA-256 of the trace file's bytes.")
    requests: int = Field(description="Requests in the trace (after any limit).", ge=0)
    block_tokens: int = Field(
        description="Tokens per hash_id block (512 in the Mooncake convention); requests sharing a "
        "hash_id share that block of prompt text.",
        ge=1,
    )
    time_scale: float = Field(
        description="Replay speed: send times are the trace timestamps divided by this (1 = as recorded).",
        gt=0,
    )
    span_s: float = Field(description="Scheduled span of the replay (last send time), in seconds.", ge=0)
    unique_blocks: int = Field(0, description="Distinct hash_ids in the trace.", ge=0)
    generated_by: str | None = Field(
        None, description="For traces inferboard generated itself: the generator and its parameters."
    )


class TurnLatency(Strict):
    """TTFT of one turn position across the sessions of a multi-turn level."""

    turn: int = Field(description="Turn number within a session (1 = the first user message).", ge=1)
    ttft_ms: Summary | None = Field(description="TTFT of the completed requests at this turn.")
    input_tokens_mean: float | None = Field(
        None, description="Mean server-reported prompt tokens at this turn (history included).", ge=0
    )


class PrefixCache(Strict):
    """Prefix-cache reuse over a level, from the server's own counters."""

    hit_rate: float | None = Field(
        description="Cached prompt tokens / all prompt tokens of the level (server counters); null when "
        "the server reports no cached-token counter.",
        ge=0,
        le=1,
    )
    cached_tokens: float | None = Field(None, description="Prompt tokens served from the cache.", ge=0)
    prompt_tokens: float | None = Field(
        None, description="All prompt tokens of the level, cached or evaluated.", ge=0
    )
    source: str | None = Field(
        None, description="Where the figures came from, e.g. 'llamacpp:prompt_tokens_cached_total'."
    )


class TraceTiming(Strict):
    """How closely the replay kept the trace's schedule: actual minus scheduled send time."""

    send_error_ms: Summary | None = Field(description="Send time minus scheduled time, per request (>= 0).")
    late_over_10ms: int = Field(0, description="Requests sent more than 10 ms after their scheduled time.")


class Reasoning(Strict):
    """Reasoning-model figures, for streams that carried `reasoning_content` (or `reasoning`) deltas."""

    requests: int = Field(description="Completed requests that streamed reasoning content.", ge=0)
    ttfr_ms: Summary | None = Field(description="Time to first reasoning token (first reasoning chunk - t0).")
    ttfa_ms: Summary | None = Field(
        description="Time to first answer token (first `content` chunk - t0), reasoning included."
    )
    reasoning_tokens: Summary | None = Field(
        description="Reasoning tokens per request: usage.completion_tokens_details.reasoning_tokens when "
        "the server reports it, else the number of reasoning chunks."
    )
    reasoning_tokens_total: int = Field(0, description="Sum of reasoning tokens of the level.", ge=0)
    counted_from_chunks: int = Field(
        0, description="Requests whose reasoning tokens were counted from chunks (no server figure).", ge=0
    )


class CapacityProbe(Strict):
    """One level measured by the capacity search (each is also a normal entry of `results`)."""

    level: float = Field(description="Concurrency (users) or request rate (req/s) probed.", gt=0)
    attainment: float = Field(
        description="Fraction of the level's requests that completed and met every SLO.", ge=0, le=1
    )
    passed: bool = Field(description="attainment >= the attainment asked for.")
    phase: Literal["expand", "bisect"] = Field(description="Search phase that chose this level.")


class Capacity(Strict):
    """The largest load meeting the SLO for the attainment asked (`--find-capacity`)."""

    mode: Literal["concurrency", "rate"] = Field(description="What was searched: users or arrival rate.")
    capacity: float = Field(
        description="Largest level that met the SLO (0 with zero_capacity). Concurrency is exact; a rate "
        "is within rate_precision of the first failing rate.",
        ge=0,
    )
    slo: SLO = Field(description="The latency limits every request had to meet.")
    attainment_target: float = Field(
        description="Fraction of requests asked to meet the SLO (e.g. 0.99).", gt=0, le=1
    )
    attainment_at_capacity: float | None = Field(
        description="Fraction reached at the capacity; null with zero capacity.", ge=0, le=1
    )
    next_level: float | None = Field(
        description="Smallest probed level above the capacity that missed; null when none did."
    )
    attainment_at_next_level: float | None = Field(description="Fraction reached at next_level.", ge=0, le=1)
    lower_bound: bool = Field(
        description="True when the SLO was still met at the maximum searched: the capacity is at least this."
    )
    zero_capacity: bool = Field(description="True when the lowest level already missed the SLO.")
    interrupted: bool = Field(False, description="True when the search was stopped before it resolved.")
    start: float = Field(description="Lowest level probed first.", gt=0)
    maximum: float = Field(description="Highest level the search could probe (--capacity-max).", gt=0)
    rate_precision: float | None = Field(
        None, description="Rate search: stop when (first fail - last pass) / last pass <= this."
    )
    probes: list[CapacityProbe] = Field(description="Every level probed, in the order probed.")
    note: str = Field(description="One-line reading of the result (lower bound, zero capacity, ...).")
