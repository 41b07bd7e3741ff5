"""Property-based tests of the SSE parser (and the client's per-event decoding): arbitrary chunk splits of a
valid stream give the same events, and arbitrary bytes never raise anything but `SSEError`."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.load.client import _StreamState
from collector.load.sse import SSEError, SSEParser
from collector.measure.metrics import RequestOutcome

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# A data value: any bytes but line breaks (the only bytes SSE cannot carry inside a line).
values = st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
extras = st.sampled_from([b": keep-alive", b"event: message", b"id: 7", b"retry: 1000", b":"])


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    """A valid stream (one line-ending style, as a server uses) and the data payloads it carries."""
    eol = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    out, expected = b"", []
    for _ in range(draw(st.integers(0, 8))):
        lines = draw(st.lists(values, min_size=0, max_size=3))
        noise = draw(st.lists(extras, max_size=2))
        space = draw(st.booleans())
        block = [*noise, *(b"data:" + (b" " if space else b"") + v for v in lines)]
        if not block:
            continue
        out += eol.join(block) + eol + eol
        if lines:
            # SSE drops one space after "data:"; without our own space, a value's leading space is it.
            kept = lines if space else [v[1:] if v[:1] == b" " else v for v in lines]
            expected.append(b"\n".join(kept))
    return out, expected


def _parse(chunks: list[bytes]) -> list[bytes]:
    parser = SSEParser()
    events: list[bytes] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    return events + parser.close()


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for p in [*points, len(data)]:
        pieces.append(data[last:p])
        last = p
    return pieces


@FUZZ
@given(streams(), st.lists(st.integers(min_value=0), max_size=30))
@pytest.mark.slow
def test_any_chunk_split_of_a_valid_stream_gives_the_same_events(
    stream: tuple[bytes, list[bytes]], cuts: list[int]
) -> None:
    data, expected = stream
    assert _parse([data]) == expected
    assert _parse(_split(data, cuts)) == expected


@FUZZ
@given(streams())
@pytest.mark.slow
def test_byte_by_byte_feeding_gives_the_same_events(stream: tuple[bytes, list[bytes]]) -> None:
    data, expected = stream
    assert _parse([data[i : i + 1] for i in range(len(data))]) == expected


sse_ish = st.lists(
    st.one_of(
        st.binary(max_size=30),
        st.sampled_from([b"data:", b"data: ", b"\n", b"\r", b"\r\n", b"\n\n", b":", b"event:", b"[DONE]"]),
        st.sampled_from([b'{"choices":[{"text":"a"}]}', b'{"usage":{"completion_tokens":3}}', b"\xff\xfe"]),
    ),
    max_size=40,
)


@FUZZ
@given(sse_ish, st.integers(min_value=8, max_value=200))
@pytest.mark.slow
def test_arbitrary_bytes_raise_nothing_but_sse_error(pieces: list[bytes], limit: int) -> None:
    parser = SSEParser(max_event_bytes=limit)
    state = _StreamState(RequestOutcome(scheduled_ns=0, sent_ns=0))
    try:
        for piece in pieces:
            for event in parser.feed(piece):
                state.handle_event(event, 1)  # the client's JSON decoding of each event, too
        for event in parser.close():
            state.handle_event(event, 2)
    except SSEError as exc:
        assert len(str(exc)) < 400  # the offending bytes are summarised, never dumped
