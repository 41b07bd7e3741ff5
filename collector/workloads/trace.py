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

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from collector.errors import WorkloadError
from collector.measure.metrics import NS_PER_MS, RequestOutcome, summarize
from collector.schema import TraceTiming
from collector.workloads.prompts import Prompt, Tokenize, sha256_file
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


def _int_field(obj: dict[str, object], key: str, where: str, minimum: int) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise WorkloadError(f"{where}: '{key}' must be an integer >= {minimum}, got {value!r}")
    return value


def parse_trace(text: str, source: str = "trace", limit: int | None = None) -> list[TraceRequest]:
    """Requests of a Mooncake JSONL trace in file order; one readable error naming the line on bad input."""
    out: list[TraceRequest] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{source} line {lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise WorkloadError(f"{where} is not JSON: {exc.msg}") from None
        if not isinstance(obj, dict):
            raise WorkloadError(f"{where}: expected a JSON object")
        ts = obj.get("timestamp", 0)
        if isinstance(ts, bool) or not isinstance(ts, int | float) or not math.isfinite(ts) or ts < 0:
            raise WorkloadError(f"{where}: 'timestamp' must be a number of ms >= 0, got {ts!r}")
        ids = obj.get("hash_ids", [])
        if not isinstance(ids, list) or not all(isinstance(h, int) and not isinstance(h, bool) for h in ids):
            raise WorkloadError(f"{where}: 'hash_ids' must be a list of integers")
        out.append(
            TraceRequest(
                timestamp_ms=float(ts),
                input_length=_int_field(obj, "input_length", where, 1),
                output_length=_int_field(obj, "output_length", where, 1),
                hash_ids=tuple(ids),
            )
        )
        if limit is not None and len(out) >= limit:
            break
    if not out:
        raise WorkloadError(f"{source}: no requests in the trace")
    return out


def load_trace(path: Path, limit: int | None = None) -> tuple[list[TraceRequest], str]:
    """(requests, sha256 of the file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorkloadError(f"cannot read trace {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise WorkloadError(f"trace {path} is not UTF-8 text") from None
    return parse_trace(text, str(path), limit), sha256_file(path)


def schedule_s(requests: Sequence[TraceRequest], time_scale: float = 1.0) -> list[float]:
    """Send offsets in seconds from the first request: (timestamp - first) / 1000 / time_scale. Requests
    are replayed in file order; a timestamp earlier than its predecessor's is sent right after it."""
    if not time_scale > 0:
        raise WorkloadError(f"trace time scale must be > 0, got {time_scale:g}")
    if not requests:
        return []
    first = requests[0].timestamp_ms
    offsets: list[float] = []
    for r in requests:
        off = max(0.0, (r.timestamp_ms - first) / 1000.0 / time_scale)
        offsets.append(max(off, offsets[-1]) if offsets else off)
    return offsets


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
        if not r.hash_ids:
            text = await maker.text(r.input_length, random.Random(f"{seed}:request:{i}"), salt=True)
        else:
            for h in r.hash_ids:
                if h not in blocks:
                    blocks[h] = await maker.text(block_tokens, random.Random(f"{seed}:block:{h}"), salt=False)
            full = " ".join(blocks[h] for h in r.hash_ids)
            tail_rng = random.Random(f"{seed}:tail:{r.hash_ids[-1]}")
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
