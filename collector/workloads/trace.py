"""Mooncake-format trace replay.

A trace is JSONL, one request per line: `timestamp` (ms since the trace began), `input_length`,
`output_length` and `hash_ids`. Mooncake's convention: the prompt is cut into blocks of 512 tokens, one
hash id per block (ceil(input_length / 512) ids, the last block partial), and requests that share a hash id
share that block of prompt.

Prompt synthesis keeps that property: block h's text is generated from (seed, h) alone, exactly
`block_tokens` tokens long, so every request naming h carries the same text at the same place. A request's
prompt is its blocks' texts in order, cut to exactly `input_length` tokens (the last block is a prefix of
its block's text; should the blocks fall short, words derived from the last block's id extend it).
Requests without hash ids get salted text of their own.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from collector import stop
from collector.errors import WorkloadError
from collector.measure.metrics import NS_PER_MS, RequestOutcome, summarize
from collector.schema import TraceTiming
from collector.workloads.prompts import Prompt, Tokenize
from collector.workloads.text import TextMaker, length_method

MOONCAKE_BLOCK_TOKENS = 512


@dataclass(frozen=True)
class TraceRequest:
    timestamp_ms: float
    input_length: int
    output_length: int
    hash_ids: tuple[int, ...] = ()

    def to_json(self) -> str:
        ts = int(self.timestamp_ms) if float(self.timestamp_ms).is_integer() else self.timestamp_ms
        return json.dumps(
            {
                "timestamp": ts,
                "input_length": self.input_length,
                "output_length": self.output_length,
                "hash_ids": list(self.hash_ids),
            }
        )


MAX_TRACE_BYTES = 1 << 30  # read whole into memory: a gigabyte of JSONL is some 10 million requests
MAX_TOKENS = 10_000_000  # per request, as --input-tokens: no model's context holds more
MAX_TIMESTAMP_MS = 10.0**15  # some 31,700 years in ms: beyond it a float cannot even hold a millisecond
MAX_SPAN_S = 7 * 24 * 3600.0  # a replay longer than a week is a unit mistake or a scale typo


def _int_field(obj: dict[str, object], key: str, where: str, minimum: int, maximum: int) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise WorkloadError(f"{where}: '{key}' must be an integer >= {minimum}, got {_short(value)}")
    if value > maximum:
        raise WorkloadError(
            f"{where}: '{key}' must be <= {maximum:,} tokens (no model's context holds more), got {value:,}"
        )
    return value


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:40]}... ({len(text)} characters)"


def _timestamp(obj: dict[str, object], where: str) -> float:
    ts = obj.get("timestamp", 0)
    if isinstance(ts, bool) or not isinstance(ts, int | float) or ts < 0:
        raise WorkloadError(f"{where}: 'timestamp' must be a number of ms >= 0, got {_short(ts)}")
    if not ts <= MAX_TIMESTAMP_MS:  # also NaN; a huge int is compared exactly, never turned into a float
        raise WorkloadError(
            f"{where}: 'timestamp' must be <= {MAX_TIMESTAMP_MS:.0e} ms (about 31,700 years), "
            f"got {_short(ts)}"
        )
    return float(ts)


def _hash_ids(obj: dict[str, object], where: str, input_length: int) -> tuple[int, ...]:
    ids = obj.get("hash_ids", [])
    if not isinstance(ids, list) or not all(isinstance(h, int) and not isinstance(h, bool) for h in ids):
        raise WorkloadError(f"{where}: 'hash_ids' must be a list of integers")
    if len(ids) > input_length:
        raise WorkloadError(
            f"{where}: {len(ids):,} hash ids for {input_length:,} input tokens; one id names a block of the "
            f"prompt and a block holds at least one token (Mooncake's: {MOONCAKE_BLOCK_TOKENS}), so at most "
            f"{input_length:,}"
        )
    return tuple(ids)


def _json_line(line: str, where: str) -> object:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise WorkloadError(f"{where} is not JSON: {exc.msg}") from None
    except RecursionError:
        raise WorkloadError(f"{where}: JSON nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise WorkloadError(f"{where}: {exc}") from None


def parse_trace(text: str, source: str = "trace", limit: int | None = None) -> list[TraceRequest]:
    """Requests of a Mooncake JSONL trace in file order; one readable error naming the line on bad input."""
    out: list[TraceRequest] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        stop.check()
        if not line.strip():
            continue
        where = f"{source} line {lineno}"
        obj = _json_line(line, where)
        if not isinstance(obj, dict):
            raise WorkloadError(f"{where}: expected a JSON object")
        ts = _timestamp(obj, where)
        input_length = _int_field(obj, "input_length", where, 1, MAX_TOKENS)
        out.append(
            TraceRequest(
                timestamp_ms=ts,
                input_length=input_length,
                output_length=_int_field(obj, "output_length", where, 1, MAX_TOKENS),
                hash_ids=_hash_ids(obj, where, input_length),
            )
        )
        if limit is not None and len(out) >= limit:
            break
    if not out:
        raise WorkloadError(f"{source}: no requests in the trace")
    return out


def load_trace(path: Path, limit: int | None = None) -> tuple[list[TraceRequest], str]:
    """(requests, sha256 of the file); a file over MAX_TRACE_BYTES (or an endless one) is refused unread."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_TRACE_BYTES + 1)
    except OSError as exc:
        raise WorkloadError(f"cannot read trace {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_TRACE_BYTES:
        raise WorkloadError(
            f"trace {path} is over {MAX_TRACE_BYTES >> 20} MiB (it is read whole into memory); "
            "cut it, or replay a part with --trace-requests after cutting"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise WorkloadError(f"trace {path} is not UTF-8 text") from None
    return parse_trace(text, str(path), limit), hashlib.sha256(raw).hexdigest()


def schedule_s(requests: Sequence[TraceRequest], time_scale: float = 1.0) -> list[float]:
    """Send offsets in seconds from the first request: (timestamp - first) / 1000 / time_scale. Requests
    are replayed in file order; a timestamp earlier than its predecessor's is sent right after it. A
    schedule longer than MAX_SPAN_S is refused, naming the first request beyond it."""
    if not time_scale > 0:
        raise WorkloadError(f"trace time scale must be > 0, got {time_scale:g}")
    if not requests:
        return []
    first = requests[0].timestamp_ms
    offsets: list[float] = []
    for i, r in enumerate(requests):
        off = max(0.0, (r.timestamp_ms - first) / 1000.0 / time_scale)
        if not off <= MAX_SPAN_S:
            raise WorkloadError(
                f"trace request {i + 1} would be sent {off:.3g} s after the first "
                f"(timestamp {r.timestamp_ms:.15g} ms, --trace-scale {time_scale:g}); a replay over a week "
                f"({MAX_SPAN_S:.0f} s) is refused: "
                "timestamps are in milliseconds since the trace began"
            )
        offsets.append(max(off, offsets[-1]) if offsets else off)
    return offsets


def out_of_order(requests: Sequence[TraceRequest]) -> str | None:
    """A warning when timestamps go backwards, else None. A request earlier than any request before it in
    the file is sent right after its predecessor (file order is kept), so a trace whose first line is its
    latest is replayed all at once."""
    latest, behind = -math.inf, []
    for i, r in enumerate(requests):
        if r.timestamp_ms < latest:
            behind.append(i)
        latest = max(latest, r.timestamp_ms)
    if not behind:
        return None
    return (
        f"trace: {len(behind)} of {len(requests)} requests have a timestamp earlier than a request before "
        f"them in the file (first: request {behind[0] + 1}); each is sent right after its predecessor, "
        "not at its own time"
    )


async def trace_prompts(
    requests: Sequence[TraceRequest],
    *,
    seed: int,
    tokenize: Tokenize | None,
    block_tokens: int = MOONCAKE_BLOCK_TOKENS,
) -> tuple[list[Prompt], str]:
    """One prompt per trace request (max_tokens = output_length); the length method used."""
    if block_tokens < 1:
        raise WorkloadError(f"trace block size must be at least 1 token, got {block_tokens}")
    method = await length_method(tokenize)
    maker = TextMaker(tokenize, method)
    blocks: dict[int, str] = {}
    prompts: list[Prompt] = []
    for i, r in enumerate(requests):
        stop.check()
        if not r.hash_ids:
            text = await maker.text(r.input_length, random.Random(f"{seed}:request:{i}"), salt=True)
        else:
            # Only the blocks the prompt can hold are built (a line may name more than its length uses).
            ids = r.hash_ids[: math.ceil(r.input_length / block_tokens)]
            for h in ids:
                if h not in blocks:
                    blocks[h] = await maker.text(block_tokens, random.Random(f"{seed}:block:{h}"), salt=False)
            full = " ".join(blocks[h] for h in ids)
            tail_rng = random.Random(f"{seed}:tail:{ids[-1]}")
            while maker.exact and await _tokens(maker, full) < r.input_length:
                full += " " + await maker.text(block_tokens, tail_rng, salt=False)
            text = await maker.exact_prefix(full, r.input_length)
        prompts.append(Prompt(text, r.input_length if maker.exact else None, r.output_length))
    return prompts, method


async def _tokens(maker: TextMaker, text: str) -> int:
    assert maker.tokenize is not None
    got = await maker.tokenize(text)
    if got is None:
        raise WorkloadError("tokenize endpoint stopped answering")
    return len(got)


def trace_timing(outcomes: Sequence[RequestOutcome]) -> TraceTiming:
    """How late each request was sent relative to its scheduled time."""
    errors = [max(0.0, (o.sent_ns - o.scheduled_ns) / NS_PER_MS) for o in outcomes]
    return TraceTiming(send_error_ms=summarize(errors), late_over_10ms=sum(1 for e in errors if e > 10.0))


def unique_blocks(requests: Sequence[TraceRequest]) -> int:
    return len({h for r in requests for h in r.hash_ids})
