"""SSE parser: split/merged chunks, comments, [DONE], CRLF/CR line endings, multi-line data, errors."""

from __future__ import annotations

import pytest

from collector.load.sse import SSEError, SSEParser

STREAM = (
    b": keep-alive comment\n\n"
    b'data: {"choices":[{"text":"a"}]}\n\n'
    b'data:{"choices":[{"text":"b"}]}\n\n'
    b"event: message\nid: 7\ndata: line1\ndata: line2\n\n"
    b"data: [DONE]\n\n"
)
EVENTS = [b'{"choices":[{"text":"a"}]}', b'{"choices":[{"text":"b"}]}', b"line1\nline2", b"[DONE]"]


def feed_all(parser: SSEParser, chunks: list[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for c in chunks:
        out.extend(parser.feed(c))
    out.extend(parser.close())
    return out


def test_whole_stream_in_one_read() -> None:
    assert feed_all(SSEParser(), [STREAM]) == EVENTS


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_any_split_gives_the_same_events(size: int) -> None:
    chunks = [STREAM[i : i + size] for i in range(0, len(STREAM), size)]
    assert feed_all(SSEParser(), chunks) == EVENTS


def test_crlf_and_cr_line_endings() -> None:
    crlf = STREAM.replace(b"\n", b"\r\n")
    assert feed_all(SSEParser(), [crlf]) == EVENTS
    cr = STREAM.replace(b"\n", b"\r")
    assert feed_all(SSEParser(), [cr]) == EVENTS


def test_crlf_split_between_cr_and_lf() -> None:
    data = b"data: x\r\n\r\ndata: y\r\n\r\n"
    cut = data.index(b"\n")  # split right after the first CR
    assert feed_all(SSEParser(), [data[:cut], data[cut:]]) == [b"x", b"y"]


def test_last_event_without_blank_line_is_delivered() -> None:
    parser = SSEParser()
    assert feed_all(parser, [b"data: x\n\ndata: [DONE]\n"]) == [b"x", b"[DONE]"]
    assert not parser.truncated


def test_partial_last_line_is_dropped_and_flagged() -> None:
    parser = SSEParser()
    assert feed_all(parser, [b'data: x\n\ndata: {"cho']) == [b"x"]
    assert parser.truncated


def test_line_that_is_not_a_field_is_an_error_naming_the_bytes() -> None:
    with pytest.raises(SSEError) as exc:
        SSEParser().feed(b"hello world\n\n")
    assert "hello world" in str(exc.value)


def test_oversized_event_without_terminator_is_an_error() -> None:
    parser = SSEParser(max_event_bytes=1000)
    with pytest.raises(SSEError):
        parser.feed(b"data: " + b"x" * 2000)


def test_one_megabyte_line_is_fine() -> None:
    big = b"x" * 1_000_000
    chunks = [b"data: " + big[:300_000], big[300_000:], b"\n\n"]
    assert feed_all(SSEParser(), chunks) == [big]
