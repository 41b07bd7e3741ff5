"""The workload of one collection as the sweep sees it: the prompt pool (grown on demand, so a capacity
search never has to guess how many levels it will probe), requests and warm-up per level, the levels that
run their own loop (multi-turn sessions, trace replay), the per-level figures they add, and what the run
file records about them. The generators are in `collector/workloads/` (docs/workloads.md)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

from collector.config.collect import CollectConfig
from collector.load.client import ClientShards, PreparedRequest
from collector.load.level import LevelSpec
from collector.load.scheduling import LevelState, open_loop
from collector.schema import LevelResult, MultiTurnSettings, SharedPrefixSettings, TraceSettings, Workload
from collector.stop import Interrupted
from collector.workloads import multiturn, presets, shared_prefix, trace, trace_gen
from collector.workloads.cache import prefix_cache
from collector.workloads.prompts import Prompt, Tokenize, load_dataset, synthetic_prompts
from collector.workloads.requests import shared_prefix_requests
from collector.workloads.text import length_method

KINDS = {"synthetic": "fixed", "preset": "preset", "shared-prefix": "shared-prefix"}
KINDS |= {"multi-turn": "multi-turn", "trace": "trace"}
CHUNK_SEED_STEP = 1_000_003  # seeds of later prompt chunks: far from any seed a user would pick next


def _shipped_example(sha256: str) -> str | None:
    """Names the generator when the trace is byte-for-byte the one `trace_gen` writes by default."""
    text = "".join(r.to_json() + "\n" for r in trace_gen.generate_trace())
    if hashlib.sha256(text.encode()).hexdigest() != sha256:
        return None
    return (
        "python -m collector.workloads.trace_gen (defaults: 24 requests, seed 0, 512-token blocks, 4 req/s)"
    )


@dataclass
class WorkloadPlan:
    config: CollectConfig
    model: str
    extras: dict[str, Any]  # request body extras (the adapter's and --request-params)
    tokenize: Tokenize
    prepare: Any  # (config, model, prompts, extras) -> prepared requests: the runner's own serialiser
    requests: list[PreparedRequest] = field(default_factory=list)
    method: str = "unknown"
    dataset_info: Any = None
    trace_requests: list[trace.TraceRequest] = field(default_factory=list)
    trace_sha256: str = ""
    _chunks: int = 0
    _sessions_made: int = 0
    _turn_logs: dict[int, list[int]] = field(default_factory=dict)  # id(state) -> turn of each outcome

    @property
    def kind(self) -> str:
        assert self.config.workload is not None
        return self.config.workload

    @property
    def preset(self) -> presets.SequencePreset | None:
        return presets.get_preset(self.config.preset) if self.config.preset else None

    def levels(self) -> list[tuple[int | None, float | None]]:
        """The sweep's levels; a trace is one replay (per repeat) on its own schedule."""
        return [(None, None)] if self.kind == "trace" else self.config.levels()

    def count(self, concurrency: int | None) -> int | None:
        """Counted requests of a level (None: the level runs for --duration)."""
        preset = self.preset
        if preset is not None and self.config.requests is None:
            return preset.requests(concurrency or self.config.max_concurrency or 1)
        if self.kind == "trace":
            return len(self.trace_requests)
        if self.kind == "multi-turn":  # whole sessions: at least one per user
            assert self.config.requests is not None
            users = concurrency or 1
            return max(users, math.ceil(self.config.requests / self.config.turns)) * self.config.turns
        return self.config.requests

    def initial(self) -> int:
        """Prompts for the whole sweep, made before its first level (a capacity search makes them per
        probe)."""
        if self.config.find_capacity is not None:
            return 0
        per_level = [
            (self.count(c) or 512) + self.warmup(c) for c, _ in self.levels()
        ]  # 512: a --duration level cycles through its pool
        return sum(per_level) * self.config.repeats

    def warmup(self, concurrency: int | None) -> int:
        if self.kind in ("multi-turn", "trace"):
            return 0  # their first turns / requests are part of what is measured
        preset = self.preset
        if preset is not None:
            return preset.warmup(concurrency or self.config.max_concurrency or 1)
        return self.config.warmup

    async def start(self) -> None:
        """The first prompts (the whole sweep's when its levels are known) and the length method."""
        cfg = self.config
        if cfg.dataset is not None:
            texts, fmt, digest = load_dataset(cfg.dataset)
            prompts = [Prompt(t, None, cfg.output_tokens) for t in texts]
            self.requests = self.prepare(cfg, self.model, prompts, self.extras)
            self.method, self.dataset_info = "dataset", (fmt, digest, len(texts))
        elif self.kind == "trace":
            assert cfg.trace is not None
            self.trace_requests, self.trace_sha256 = trace.load_trace(cfg.trace, cfg.trace_requests)
            prompts, self.method = await trace.trace_prompts(
                self.trace_requests, seed=cfg.seed, tokenize=self.tokenize
            )
            self.requests = self.prepare(cfg, self.model, prompts, self.extras)
        elif self.kind == "multi-turn":
            self.method = await length_method(self.tokenize)
        else:
            await self.ensure(max(1, self.initial()))

    def warnings(self) -> list[str]:
        """What the user should know about the workload before its figures are read (also run notes)."""
        if self.kind == "trace":
            return [w for w in (trace.out_of_order(self.trace_requests),) if w]
        return []

    async def ensure(self, needed: int) -> None:
        """Grow the pool of fresh prompts to `needed` (each chunk from its own seed, salted as asked)."""
        if self.config.dataset is not None or self.kind in ("trace", "multi-turn"):
            return
        while len(self.requests) < needed:
            try:
                self.requests.extend(await self._chunk(needed - len(self.requests)))
            except Interrupted:
                # A signal between two levels (no task to cancel): the pool stops growing here and the
                # sweep, which sees the signal before it sends anything, keeps the completed levels.
                return

    async def _chunk(self, count: int) -> list[PreparedRequest]:
        cfg = self.config
        seed = cfg.seed + CHUNK_SEED_STEP * self._chunks
        self._chunks += 1
        preset = self.preset
        if self.kind == "shared-prefix":
            sp, self.method = await shared_prefix.shared_prefix_prompts(
                groups=cfg.prefix_groups,
                prefix_tokens=cfg.prefix_tokens,
                suffix_tokens=cfg.suffix_tokens,
                prompts_per_group=math.ceil(count / cfg.prefix_groups),
                output_tokens=cfg.output_tokens,
                seed=seed,
                tokenize=self.tokenize,
                limit=count,
            )
            return shared_prefix_requests(sp, api=cfg.api, model=self.model, extras=self.extras)
        if preset is not None:
            prompts, self.method = await presets.preset_prompts(
                preset, count, seed=seed, tokenize=self.tokenize, salt=cfg.salt
            )
        else:
            assert cfg.input_tokens is not None
            prompts, self.method = await synthetic_prompts(
                count,
                input_tokens=cfg.input_tokens,
                output_tokens=cfg.output_tokens,
                jitter=cfg.length_jitter,
                seed=seed,
                tokenize=self.tokenize,
                salt=cfg.salt,
            )
        return list(self.prepare(cfg, self.model, prompts, self.extras))

    @property
    def own_loop(self) -> bool:
        """Multi-turn and trace levels run their own loop instead of the closed / open one."""
        return self.kind in ("multi-turn", "trace")

    @property
    def measure_from_scheduled(self) -> bool:
        return self.kind == "trace"

    def trace_rate(self) -> float | None:
        """A replay's mean arrival rate, the level's request_rate: (requests - 1) / scheduled span, one
        over the mean gap between consecutive sends."""
        offsets = trace.schedule_s(self.trace_requests, self.config.trace_scale)
        return (len(offsets) - 1) / offsets[-1] if len(offsets) > 1 and offsets[-1] > 0 else None

    async def run_level(self, shards: ClientShards, state: LevelState, spec: LevelSpec) -> None:
        cfg = self.config
        if self.kind == "trace":
            await open_loop(
                shards,
                self.requests,
                rate=self.trace_rate() or 1.0,
                burstiness=1.0,
                count=len(self.requests),
                duration_s=None,
                max_concurrency=cfg.max_concurrency,
                total_timeout_s=spec.total_timeout_s,
                seed=spec.seed,
                state=state,
                retries=spec.retries,
                offsets_s=trace.schedule_s(self.trace_requests, cfg.trace_scale),
            )
            return
        users = spec.concurrency or 1
        assert spec.count is not None and cfg.input_tokens is not None and cfg.output_tokens is not None
        sessions, _ = await multiturn.chat_sessions(
            sessions=spec.count // cfg.turns,
            turns=cfg.turns,
            turn_input_tokens=cfg.input_tokens,
            output_tokens=cfg.output_tokens,
            seed=cfg.seed + CHUNK_SEED_STEP * self._sessions_made,
            tokenize=self.tokenize,
        )
        self._sessions_made += len(sessions)
        log = await multiturn.run_sessions(
            shards,
            sessions,
            model=self.model,
            extras=self.extras,
            users=users,
            think_time_s=cfg.think_time_s,
            total_timeout_s=spec.total_timeout_s,
            state=state,
            retries=spec.retries,
        )
        self._turn_logs[id(state)] = log.turns

    def finish(self, result: LevelResult, state: LevelState, backend: str) -> None:
        """The workload's own figures of a finished level."""
        result.prefix_cache = prefix_cache(result.server_metrics, backend)
        if self.kind == "trace":
            result.trace_timing = trace.trace_timing(state.outcomes)
            result.request_rate = self.trace_rate()
        turns = self._turn_logs.pop(id(state), None)
        if turns is not None:
            result.turns = multiturn.turn_latencies(state.outcomes, turns[: len(state.outcomes)])

    def record(self, workload: Workload) -> tuple[Workload, list[str]]:
        """The run file's workload with this generator's settings, and notes for the run."""
        cfg = self.config
        notes: list[str] = []
        update: dict[str, Any] = {
            "kind": "dataset" if cfg.dataset is not None else KINDS[self.kind],
            "salted": cfg.salt and self.kind in ("synthetic", "preset") and cfg.dataset is None,
        }
        if cfg.dataset is not None:
            update["salted"] = None  # the dataset's own texts: nothing was added to them
        if cfg.find_capacity is not None:
            update["mode"] = cfg.find_capacity
        preset = self.preset
        if preset is not None:
            update |= {"preset": preset.name, "length_range_ratio": preset.range_ratio, "ignore_eos": True}
            # One number cannot say "2 x concurrency": the first level's, and the note says the rule.
            levels = self.levels()
            first = levels[0][0] if levels else 1 if cfg.find_capacity == "concurrency" else None
            update["warmup_requests"] = self.warmup(first)
            notes.append(
                f"preset {preset.name}: lengths uniform in [{preset.range_ratio:g} L, L]; per level "
                f"{preset.prompts_per_user} x concurrency requests"
                f"{' (--requests overrode it)' if cfg.requests is not None else ''} and "
                f"{preset.warmup_per_user} x concurrency warm-up requests."
            )
        if self.kind == "shared-prefix":
            update["shared_prefix"] = SharedPrefixSettings(
                groups=cfg.prefix_groups,
                prefix_tokens=cfg.prefix_tokens,
                suffix_tokens=cfg.suffix_tokens,
                prompts_per_group=math.ceil(max(1, len(self.requests)) / cfg.prefix_groups),
            )
        if self.kind == "multi-turn":
            assert cfg.input_tokens is not None and cfg.output_tokens is not None
            update["warmup_requests"] = 0
            update["multi_turn"] = MultiTurnSettings(
                sessions=max(1, self._sessions_made),
                turns=cfg.turns,
                turn_input_tokens=cfg.input_tokens,
                turn_output_tokens=cfg.output_tokens,
                think_time_s=cfg.think_time_s,
            )
        if self.kind == "trace":
            assert cfg.trace is not None
            offsets = trace.schedule_s(self.trace_requests, cfg.trace_scale)
            update["warmup_requests"] = 0
            update["requests_per_level"] = len(self.trace_requests)
            update["input_tokens"] = None
            update["output_tokens"] = None
            notes.extend(self.warnings())
            update["trace"] = TraceSettings(
                path=str(cfg.trace),
                sha256=self.trace_sha256,
                requests=len(self.trace_requests),
                block_tokens=trace.MOONCAKE_BLOCK_TOKENS,
                time_scale=cfg.trace_scale,
                span_s=offsets[-1] if offsets else 0.0,
                unique_blocks=trace.unique_blocks(self.trace_requests),
                generated_by=_shipped_example(self.trace_sha256),
            )
        return workload.model_copy(update=update), notes
