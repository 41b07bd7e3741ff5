"""Reliability, fault 9: very long outputs and very long SSE lines stream through at full speed (a buffer
limit that silently breaks throughput at long contexts is a known failure of other clients)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.load.sse import SSEParser
from tests.helpers.rel_support import FAST, cli
from tests.helpers.scripted_server import Script, ScriptedServer

LONG = 32_768


@pytest.mark.slow
def test_a_32k_token_stream_is_counted_whole_and_does_not_slow_down(tmp_path: Path) -> None:
    with ScriptedServer(Script(ttft_ms=5.0, itl_ms=0.0)) as srv:
        args = [*FAST, "--endpoint", srv.url, "--concurrency", "1", "--requests", "1", "--output-tokens"]
        result = cli([*args, str(LONG), "--request-timeout", "120"], tmp_path)
    level = result.record().results[0]
    assert level.completed == 1 and level.failed == 0
    assert level.output_tokens_total == LONG and level.length_mismatches == 0
    assert level.usage_fallbacks == 0
    assert level.tokens_per_chunk is not None and level.tokens_per_chunk.mean == 1.0
    # Chunks kept arriving at the server's pace to the very end: the ITL distribution has no tail that a
    # per-read cost growing with the stream length would produce (it would make late ITLs ever larger).
    assert level.itl_ms is not None and level.itl_ms.count == LONG - 1
    assert level.itl_ms.p50 < 5.0 and level.itl_ms.mean < 5.0


def _tpot_p50(tmp_path: Path, script: Script) -> tuple[float, float]:
    with ScriptedServer(script) as srv:
        args = [
            *FAST,
            "--endpoint",
            srv.url,
            "--concurrency",
            "2",
            "--requests",
            "4",
            "--output-tokens",
            "16",
        ]
        result = cli(args, tmp_path)
    level = result.record().results[0]
    assert level.completed == 4 and level.failed == 0, level.errors
    assert level.tpot_ms is not None
    return level.tpot_ms.p50, level.output_throughput_tok_s


@pytest.mark.slow
def test_1mb_sse_lines_keep_the_same_throughput_as_short_lines(tmp_path: Path) -> None:
    short_tpot, short_tps = _tpot_p50(tmp_path / "short", Script(ttft_ms=5.0, itl_ms=40.0))
    huge = Script(ttft_ms=5.0, itl_ms=40.0, default_fault="all_huge", huge_line_bytes=1_000_000)
    huge_tpot, huge_tps = _tpot_p50(tmp_path / "huge", huge)  # every token is a ~1 MB data line
    # The server paces tokens at 40 ms; the client keeps up with 2 x 25 MB/s of SSE: same decode speed.
    assert huge_tpot < short_tpot * 1.5 + 5.0, (short_tpot, huge_tpot)
    assert huge_tps > short_tps * 0.6, (short_tps, huge_tps)


class _ScanCountingBuffer(bytearray):
    """A parser buffer that counts the bytes each search for the end of an event looks at."""

    scanned = 0

    def find(self, sub: bytes, start: int = 0, *rest: int) -> int:  # type: ignore[override]
        type(self).scanned += len(self) - start
        return super().find(sub, start, *rest)


def test_parser_takes_a_16mb_event_in_small_reads_in_linear_time() -> None:
    # The parser looks for the end of an event only in the bytes that just arrived, so an event split into
    # many reads costs O(size), not O(size^2): counted in bytes searched, not timed (no race with a clock).
    payload = b"data: " + b"z" * (16 * 1024 * 1024) + b"\n\n"
    parser = SSEParser()
    buffer = _ScanCountingBuffer()
    parser._buf = buffer
    events: list[bytes] = []
    for i in range(0, len(payload), 16 * 1024):
        events += parser.feed(payload[i : i + 16 * 1024])
    assert len(events) == 1 and len(events[0]) == 16 * 1024 * 1024
    # Each read is searched once (plus one byte of overlap); rescanning the buffer would be ~500x the payload.
    assert _ScanCountingBuffer.scanned <= 2 * len(payload), _ScanCountingBuffer.scanned
