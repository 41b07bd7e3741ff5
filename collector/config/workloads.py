"""Cross-option rules of the workload and capacity options (docs/workloads.md, docs/capacity.md): which
workload runs, what each one needs, and what the capacity search decides for itself. Each rule fails with
one line naming the options involved."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, Protocol

from collector.errors import WorkloadError
from collector.schema import SLO
from collector.workloads.presets import PRESETS, get_preset
from collector.workloads.trace import MAX_TOKENS, load_trace, schedule_s

__all__ = ["capacity_levels_given", "resolve_workload"]


class WorkloadOptions(Protocol):
    """The options the workload rules read and settle: `CollectConfig` has them (typed here so that this
    module does not import the model that calls it)."""

    workload: Literal["synthetic", "preset", "shared-prefix", "multi-turn", "trace"] | None
    preset: str | None
    trace: Path | None
    trace_requests: int | None
    dataset: Path | None
    input_tokens: int | None
    output_tokens: int | None
    ignore_eos: bool
    prefix_tokens: int
    suffix_tokens: int
    turns: int
    api: Literal["completions", "chat"]
    concurrency: list[int]
    request_rate: list[float]
    find_capacity: Literal["concurrency", "rate"] | None
    capacity_max: float | None
    duration_s: float | None
    repeats: int
    workers: int
    cluster: str | None
    slo: SLO | None
    trace_scale: float
    length_jitter: float
    requests: int | None
    max_concurrency: int | None
    warmup: int

    def levels(self) -> list[tuple[int | None, float | None]]: ...


def capacity_levels_given(data: Any) -> None:
    """The capacity search picks its own levels: explicit --concurrency / --request-rate contradict it."""
    if isinstance(data, dict) and data.get("find_capacity"):
        for key, flag in (("concurrency", "--concurrency"), ("request_rate", "--request-rate")):
            if data.get(key):
                raise ValueError(f"--find-capacity chooses the levels itself: drop {flag}")


def resolve_workload(cfg: WorkloadOptions) -> int:
    """Settle `cfg.workload` and check its options; returns the longest prompt in tokens (engine sizing)."""
    kind = cfg.workload
    if kind is None:
        kind = "preset" if cfg.preset else "trace" if cfg.trace else "synthetic"
    if cfg.preset and kind != "preset":
        raise ValueError(f"--preset needs --workload preset (got --workload {kind})")
    if cfg.trace and kind != "trace":
        raise ValueError(f"--trace needs --workload trace (got --workload {kind})")
    if cfg.dataset is not None and kind != "synthetic":
        raise ValueError(f"--dataset sends its own prompts: it cannot be combined with --workload {kind}")
    cfg.workload = kind
    assert cfg.input_tokens is not None or cfg.dataset is not None
    longest = (cfg.input_tokens or 0) + 64
    if kind == "preset":
        if not cfg.preset:
            raise ValueError(f"--workload preset needs --preset ({', '.join(PRESETS)})")
        try:
            preset = get_preset(cfg.preset)
        except WorkloadError as exc:
            raise ValueError(str(exc)) from None
        cfg.input_tokens, cfg.output_tokens, cfg.ignore_eos = preset.input_tokens, preset.output_tokens, True
        longest = preset.input_tokens
    elif kind == "shared-prefix":
        cfg.input_tokens = cfg.prefix_tokens + cfg.suffix_tokens
        longest = cfg.input_tokens + 16
    elif kind == "multi-turn":
        if cfg.request_rate or cfg.find_capacity == "rate":
            raise ValueError("--workload multi-turn is closed loop (users run sessions): use --concurrency")
        cfg.api = "chat"  # only the chat API carries a conversation's history
        assert cfg.input_tokens is not None and cfg.output_tokens is not None
        # The last turn carries every earlier message and reply, plus the chat template's markup.
        longest = cfg.turns * (cfg.input_tokens + cfg.output_tokens + 16)
        if longest > MAX_TOKENS:
            raise ValueError(
                f"--turns {cfg.turns} x (--input-tokens {cfg.input_tokens} + --output-tokens "
                f"{cfg.output_tokens}): the last turn would carry {longest:,} tokens of conversation, over "
                f"{MAX_TOKENS:,} (no model's context holds more)"
            )
    elif kind == "trace":
        if not cfg.trace:
            raise ValueError("--workload trace needs --trace FILE (e.g. docs/examples/trace-small.jsonl)")
        if cfg.find_capacity or cfg.request_rate:
            raise ValueError("--trace replays its own timestamps: drop --find-capacity / --request-rate")
        try:
            requests, _ = load_trace(cfg.trace, cfg.trace_requests)
            schedule_s(requests, cfg.trace_scale)
        except WorkloadError as exc:
            raise ValueError(str(exc)) from None
        longest = max(r.input_length for r in requests)
        cfg.output_tokens = max(r.output_length for r in requests)
        _check_prompt_memory(sum(r.input_length for r in requests), f"the trace's {len(requests)} requests")
    if kind in ("multi-turn", "trace") and cfg.workers > 1:
        raise ValueError(f"--workload {kind} runs in one process: drop --workers")
    if kind in ("multi-turn", "trace") and cfg.cluster is not None:
        raise ValueError(f"--workload {kind} runs in one process: drop --cluster")
    if kind in ("multi-turn", "trace") and cfg.duration_s is not None:
        raise ValueError(f"--workload {kind} counts requests, not seconds: drop --duration")
    if cfg.find_capacity is not None:
        cfg.concurrency, cfg.request_rate = [], []  # the search picks every level
        if cfg.slo is None:
            raise ValueError("--find-capacity needs --slo, e.g. --slo ttft=500")
        if cfg.repeats > 1:
            raise ValueError("--find-capacity probes each level once: drop --repeats")
        maximum = cfg.capacity_max if cfg.capacity_max is not None else 256.0
        if cfg.find_capacity == "concurrency" and maximum != int(maximum):
            raise ValueError(f"--capacity-max must be a whole number of users, got {maximum:g}")
        if maximum < 1:
            raise ValueError(f"--capacity-max must be at least the first probe (1), got {maximum:g}")
    if kind != "trace" and cfg.dataset is None and cfg.find_capacity is None:
        prompts, tokens = _pool_size(cfg, kind)
        _check_prompt_memory(prompts * tokens, f"{prompts:,} prompts of up to {tokens:,} tokens")
    return longest


BYTES_PER_TOKEN = 8  # ~4 characters of text per token, held twice: the prompt and its serialised request body
SPARE_MEMORY_SHARE = 0.5  # the prompts may take half of the memory available; the load needs the rest


def _pool_size(cfg: WorkloadOptions, kind: str) -> tuple[int, int]:
    """(prompts built before the first level, tokens of the longest); a multi-turn level's sessions are
    built when it starts: its largest level's."""
    assert cfg.input_tokens is not None
    tokens = round(cfg.input_tokens * (1 + cfg.length_jitter))
    levels = [c for c, _ in cfg.levels()] or [None]
    if kind == "multi-turn":
        return max((cfg.requests or 1) + cfg.turns * (c or 1) for c in levels), tokens
    preset = get_preset(cfg.preset) if kind == "preset" and cfg.preset else None
    total = 0
    for c in levels:
        users = c or cfg.max_concurrency or 1
        count = cfg.requests or (preset.requests(users) if preset else None)
        total += (count or 512) + (preset.warmup(users) if preset else cfg.warmup)
    return total * cfg.repeats, tokens


def available_memory() -> int:
    """Bytes this machine can still give (MemAvailable), else its physical memory."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _check_prompt_memory(tokens: int, what: str) -> None:
    """Refuse, before building anything, prompts that cannot fit this machine's memory."""
    need = tokens * BYTES_PER_TOKEN
    room = int(available_memory() * SPARE_MEMORY_SHARE)
    if need > room:
        raise ValueError(
            f"{what} would take about {need / 2**30:.1f} GiB in memory (~{BYTES_PER_TOKEN} bytes a token: "
            f"the text and its request body), over half of the {room * 2 / 2**30:.1f} GiB this machine has "
            "available; lower --requests, --input-tokens or the number of levels"
        )
