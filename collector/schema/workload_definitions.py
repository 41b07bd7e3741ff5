"""Workload and capacity-search definitions: the single source for the site's methodology page.

The generator imports only `collector.schema`, so the published description of each workload lives here;
`tests/schema/test_workload_definitions.py` checks the preset table against `collector.workloads.presets`
so the page cannot drift from the generator that sends the load.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.schema.definitions import MetricDefinition


@dataclass(frozen=True)
class PresetDefinition:
    name: str
    input_tokens: int
    output_tokens: int
    range_ratio: float
    prompts_per_user: int
    warmup_per_user: int


# Mirrors collector.workloads.presets.PRESETS (checked by a test).
PRESET_DEFINITIONS: tuple[PresetDefinition, ...] = (
    PresetDefinition("1k/1k", 1024, 1024, 0.8, 10, 2),
    PresetDefinition("1k/8k", 1024, 8192, 0.8, 10, 2),
    PresetDefinition("8k/1k", 8192, 1024, 0.8, 10, 2),
    PresetDefinition("long-context", 32768, 1024, 0.8, 10, 2),
)

_PRESET_LIST = "; ".join(
    f"{p.name} = {p.input_tokens} in / {p.output_tokens} out" for p in PRESET_DEFINITIONS
)

WORKLOAD_DEFINITIONS: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        "fixed",
        "Fixed synthetic lengths",
        "-",
        "workload",
        "Every request asks for the same input and output length (optionally jittered); prompts are random "
        "text made exact through the server's tokenize endpoint and salted (see cache salting).",
        "input = L_in (± jitter), max_tokens = L_out, ignore_eos",
    ),
    MetricDefinition(
        "preset",
        "Sequence-length presets",
        "-",
        "workload",
        "Named presets matching the public dashboards (InferenceX runs vLLM's random dataset this way): each "
        "request's input and output length is a uniform integer in [floor(ratio x L), L] with ratio 0.8; "
        "10 x concurrency measured requests and 2 x concurrency warm-up requests per level; ignore_eos. "
        "Presets: " + _PRESET_LIST + ".",
        "length ~ U[floor(0.8 L), L]; requests = 10 x users; warm-up = 2 x users",
    ),
    MetricDefinition(
        "shared-prefix",
        "Shared prefix",
        "-",
        "workload",
        "G groups, each with its own system prompt of S tokens, then a unique suffix per request (SGLang's "
        "generated-shared-prefix, vLLM's prefix_repetition). Groups and suffixes are salted, so the only "
        "reuse a prefix cache can find is the group's prefix; the run records the server's prefix-cache "
        "hit rate per level where the server reports one.",
        "prompt = prefix[g] (S tokens) + salted suffix",
    ),
    MetricDefinition(
        "multi-turn",
        "Multi-turn chat",
        "-",
        "workload",
        "Sessions of N turns through the chat API: every request carries the whole history so far (earlier "
        "user messages and the server's own replies), with a think time between a reply and the next turn. "
        "Only a session's first message is salted, so its history is reusable on purpose; TTFT is reported "
        "per turn position, beside the prefix-cache hit rate.",
        "request k = history(turns 1..k-1) + user message k",
    ),
    MetricDefinition(
        "trace",
        "Trace replay",
        "-",
        "workload",
        "A Mooncake-format JSONL trace (timestamp ms, input_length, output_length, hash_ids) is replayed at "
        "its own timestamps divided by a time scale. Block h's text is generated from (seed, h) alone, "
        "block_tokens long, so requests naming the same hash_id carry the same text at the same place and "
        "the trace's cache behaviour is reproduced; a prompt is its blocks in order, cut to exactly "
        "input_length tokens; requests without hash_ids get salted text of their own. The trace file's "
        "SHA-256 is recorded, and the send error against the schedule is reported per level.",
        "send time = timestamp / time_scale; prompt = blocks(hash_ids)[:input_length]",
    ),
    MetricDefinition(
        "salting",
        "Cache salting",
        "-",
        "workload",
        "By default every prompt begins with a unique random salt, so a prefix cache cannot reuse one "
        "request's work for another and inflate results; the shared-prefix and multi-turn workloads (and "
        "trace blocks) opt into reuse on purpose. The run records whether prompts were salted.",
        "prompt = salt + text (salted workloads)",
    ),
    MetricDefinition(
        "reasoning",
        "Reasoning models",
        "-",
        "workload",
        "Any workload: when a stream carries reasoning_content (or reasoning) deltas, the level records time "
        "to first reasoning token, time to first answer token and reasoning tokens separately.",
        "TTFR, TTFA, reasoning tokens per request",
    ),
)

CAPACITY_DEFINITIONS: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        "capacity_search",
        "Capacity search",
        "-",
        "run",
        "`--find-capacity concurrency|rate --slo ttft=MS[,tpot=MS,e2e=MS] [--slo-attainment 0.99] "
        "[--capacity-max N]`: levels are probed from the lowest, doubling until one misses the attainment "
        "target, then bisecting between the last pass and the first miss. Integer concurrency is resolved "
        "exactly; a rate to a stated relative precision. A server still meeting the SLO at the maximum "
        "reports that maximum as a lower bound; one missing at the lowest level reports zero capacity. "
        "Every probe is also a normal level of the run; an interrupted search keeps the probes done.",
        "expand: x2 until fail; bisect(last pass, first fail)",
    ),
    MetricDefinition(
        "capacity_ranking",
        "Ranking by capacity",
        "-",
        "site",
        "Runs are ranked by capacity only inside one comparable set (same class, model, hardware and "
        "workload) and only against runs with the same search mode, SLO and attainment target; each such "
        "combination is its own ranking. Concurrency capacities are exact, so equal values are a tie; a "
        "rate capacity lies between the capacity and the first failing rate, and two runs whose ranges "
        "overlap are a tie. A lower-bound capacity is shown as 'at least', and a runner-up that is a lower "
        "bound leaves the order open (its true capacity may be higher).",
        "rank by capacity; tie when [capacity, next failing level) ranges overlap",
    ),
)
