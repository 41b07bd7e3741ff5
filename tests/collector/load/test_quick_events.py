"""The byte-level shortcut for ordinary content events agrees with the full JSON decode, and the body decoder
keeps each read's arrival time through any framing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.load.client import _StreamState, quick_is_answer
from collector.load.framing import BodyDecoder
from collector.measure.metrics import RequestOutcome

# What OpenAI-compatible servers stream (vLLM, SGLang, llama.cpp, TGI, Ollama, the timing server), plus the
# shapes that must not be taken for content.
REAL_EVENTS = [
    b'{"id":"cmpl-1","object":"text_completion","created":0,"model":"m","choices":[{"index":0,"text":" tok",'
    b'"logprobs":null,"finish_reason":null}]}',
    b'{"id":"c-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":'
    b'{"content":" tok"},"logprobs":null,"finish_reason":null}],"usage":null}',
    b'{"choices":[{"finish_reason":null,"index":0,"delta":{"content":"Hi"}}],"created":1,"id":"x",'
    b'"model":"m","system_fingerprint":"b1","object":"chat.completion.chunk"}',
    b'{"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
    b'{"id":"x","choices":[{"index":0,"delta":{"reasoning_content":"think"},"finish_reason":null}]}',
    b'{"id":"x","choices":[{"index":0,"delta":{"content":null,"reasoning":"think"}}]}',
    b'{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"{\\"content\\":\\"a\\"}"}}]}}]}',
    b'{"id":"x","choices":[{"index":0,"delta":{"content":"say \\"hi\\""}}]}',
    b'{"id":"x","choices":[],"usage":{"prompt_tokens":8,"completion_tokens":40,"total_tokens":48}}',
    b'{"id":"x","choices":[{"index":0,"text":"","finish_reason":"length"}],"usage":{"completion_tokens":3}}',
    b'{"error":{"message":"overloaded","code":503}}',
    b'{"choices": [{"text": " spaced"}]}',
    b'{"id":"x","choices":[{"index":0,"text":" a","logprobs":{"tokens":[" a"],'
    b'"top_logprobs":[{"text":-0.1}]}}]}',
    b'{"id":"x","choices":[{"index":0,"delta":{"content":"x"},"logprobs":{"content":[{"token":"x"}]}}]}',
    b'{"id":"x","choices":[{"index":0,"text":"a"},{"index":1,"text":""}]}',
]


def _full(data: bytes) -> RequestOutcome:
    """The outcome of one event through the full decode (a kept reply text forces it)."""
    outcome = RequestOutcome(scheduled_ns=0, sent_ns=0, text=[])
    _StreamState(outcome).handle_event(data, 7)
    return outcome


def _fast(data: bytes) -> RequestOutcome:
    outcome = RequestOutcome(scheduled_ns=0, sent_ns=0)
    _StreamState(outcome).handle_event(data, 7)
    return outcome


def _timing(o: RequestOutcome) -> tuple[Any, ...]:
    return (o.chunk_ns, o.first_answer_ns, o.first_reasoning_ns, o.reasoning_chunks, o.completion_tokens)


@pytest.mark.parametrize("data", REAL_EVENTS)
def test_shortcut_and_full_decode_count_the_same_chunks(data: bytes) -> None:
    if quick_is_answer(data):
        assert _full(data).first_answer_ns == 7
    if b'"error"' not in data:
        assert _timing(_fast(data)) == _timing(_full(data))


def test_the_usual_token_takes_the_shortcut() -> None:
    assert quick_is_answer(REAL_EVENTS[0]) and quick_is_answer(REAL_EVENTS[1])
    assert not any(quick_is_answer(e) for e in REAL_EVENTS[3:12])


_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=6)
_CHOICE = st.fixed_dictionaries(
    {"index": st.integers(0, 2)},
    optional={
        "text": st.one_of(st.none(), _TEXT),
        "delta": st.fixed_dictionaries(
            {},
            optional={
                "content": st.one_of(st.none(), _TEXT),
                "role": st.just("assistant"),
                "reasoning_content": st.one_of(st.none(), _TEXT),
            },
        ),
        "logprobs": st.none(),
        "finish_reason": st.one_of(st.none(), st.just("stop")),
    },
)
_EVENT = st.fixed_dictionaries(
    {"choices": st.lists(_CHOICE, max_size=3)},
    optional={
        "id": _TEXT,
        "model": _TEXT,
        "usage": st.one_of(st.none(), st.fixed_dictionaries({"completion_tokens": st.integers(0, 9)})),
    },
)


@settings(max_examples=300, deadline=None)
@given(event=_EVENT, spaced=st.booleans())
def test_shortcut_never_disagrees_with_the_decode(event: dict[str, Any], spaced: bool) -> None:
    data = json.dumps(event, separators=(", ", ": ") if spaced else (",", ":"), ensure_ascii=False).encode()
    assert _timing(_fast(data)) == _timing(_full(data))


FRAMES = b"5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n"


@pytest.mark.parametrize("cut", range(1, len(FRAMES)))
def test_body_decoder_keeps_each_reads_arrival_time(cut: int) -> None:
    got: list[tuple[int, bytes]] = []
    dec = BodyDecoder(lambda now, data: got.append((now, data)) is not None, chunked=True, length=None)
    dec.feed(1, FRAMES[:cut])
    first_read = b"".join(d for _, d in got)
    assert not dec.finished
    dec.feed(2, FRAMES[cut:])
    assert dec.finished and dec.keep
    assert b"".join(d for _, d in got) == b"helloabc"
    # what the first read completed carries its time; the rest carries the second read's
    assert b"".join(d for t, d in got if t == 1) == first_read
    assert b"".join(d for t, d in got if t == 2) == b"helloabc"[len(first_read) :]


def test_body_decoder_stops_on_request_and_rejects_bad_framing() -> None:
    dec = BodyDecoder(lambda now, data: True, chunked=True, length=None)
    dec.feed(1, b"2\r\nab\r\n")
    assert dec.stopped and not dec.finished
    with pytest.raises(httpx.RemoteProtocolError, match="chunk size"):
        BodyDecoder(lambda now, data: False, chunked=True, length=None).feed(1, b"zz\r\nab\r\n")
    with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
        cut = BodyDecoder(lambda now, data: False, chunked=False, length=10)
        cut.feed(1, b"abc")
        cut.end()


def test_content_length_body_and_bytes_after_it() -> None:
    got: list[bytes] = []
    dec = BodyDecoder(lambda now, data: got.append(data) is not None, chunked=False, length=3)
    dec.feed(1, b"abcEXTRA")
    assert got == [b"abc"] and dec.finished and not dec.keep


@pytest.mark.parametrize(
    "data",
    [
        b'{"choices":[{"index":0,"delta":{"text":"x"}}]}',
        b'{"choices":[{"index":0,"message":{"content":"x"}}]}',
        b'{"choices":[{"index":0,"extra":{"text":"x"}}]}',
        b'{"choices":[{"index":0,"delta":{"inner":{"content":"x"}}}]}',
        b'{"choices":[{"index":0,"text":"{"}]}',
    ],
)
def test_answer_keys_elsewhere_are_not_taken_for_content(data: bytes) -> None:
    assert quick_is_answer(data) == (data.endswith(b'"{"}]}'))  # the last one is a real answer "{"
    assert _timing(_fast(data)) == _timing(_full(data))


def test_invalid_utf8_is_left_to_the_decoder() -> None:
    data = b'{"choices":[{"index":0,"text":"\xff\xfe"}]}'
    assert not quick_is_answer(data)
    assert quick_is_answer('{"choices":[{"index":0,"text":"é"}]}'.encode())
