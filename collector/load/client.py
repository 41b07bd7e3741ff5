"""Streaming client for OpenAI-compatible servers.

The load goes through the lean transport (`collector.load.transport`), which stamps every read with
`time.perf_counter_ns()` as the event loop receives it and hands it, still undecoded, to the request's SSE
parser and event handler. An ordinary content event is counted from its bytes (`quick_is_answer`); any other
event is JSON-decoded to learn whether it carries content, usage or an error.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from collector.load.deadline import control_client
from collector.load.sse import SSEError, SSEParser, summarize_bytes
from collector.load.transport import LeanClient, LeanResponse
from collector.measure.metrics import RequestOutcome
from collector.measure.plausibility import stream_shape_problem
from collector.schema import Timeouts
from collector.secrets.scrub import scrub

# Failure reasons (the keys of LevelResult.errors besides http_<status>).
TIMEOUT = "timeout"
DISCONNECTED = "disconnected"
MALFORMED = "malformed"
CONNECT = "connect"
SERVER_ERROR = "server_error"

# Opt-in retries (--retries N) only for the statuses that mean "try again later"; a 500 is a server bug and
# is never retried. Backoff doubles from RETRY_BASE_S up to RETRY_CAP_S; a numeric Retry-After header is
# honoured up to RETRY_AFTER_CAP_S. The whole-request timeout bounds all attempts together.
RETRYABLE_STATUSES = ("http_429", "http_503")
RETRY_BASE_S = 0.25
RETRY_CAP_S = 4.0
RETRY_AFTER_CAP_S = 30.0


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """A request body serialised once, before the load starts, so the hot path only sends bytes."""

    path: str
    body: bytes
    output_tokens: int | None
    keep_text: bool = False  # keep the streamed answer text (multi-turn sends it back as history)


def auth_headers(api_key: str | None) -> dict[str, str]:
    """The bearer-token header every request to the server carries (load, probes, /metrics scrapes)."""
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def make_client(
    base_url: str,
    *,
    api_key: str | None,
    timeouts: Timeouts,
    max_connections: int | None,
    total_s: float | None = None,
) -> httpx.AsyncClient:
    """max_connections None = no limit (open-loop load, where in-flight requests are not bounded).
    total_s: a total deadline per call (control-plane clients; see collector/load/deadline.py)."""
    headers = {"Accept": "text/event-stream", "Content-Type": "application/json", **auth_headers(api_key)}
    size = None if max_connections is None else max(1, max_connections)
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size, keepalive_expiry=60.0)
    timeout = httpx.Timeout(
        connect=timeouts.connect_s, read=timeouts.read_s, write=timeouts.read_s, pool=timeouts.total_s
    )
    if total_s is not None:
        return control_client(base_url, headers=headers, timeout=timeout, limits=limits, total_s=total_s)
    return httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=timeout)


class ClientShards:
    """The load's HTTP clients: users spread over small connection pools.

    httpcore's pool scans every one of its connections each time a request is queued or finished, so one
    pool of N connections costs O(N) per request event; at 128 users that made the client, not the server,
    the bottleneck (benchmarks/client_capacity.py measured TTFT ~20x the truth). Pools of SHARD connections
    keep that cost constant. Closed-loop user u always uses pool u // SHARD (one connection each, kept
    alive); open-loop arrival i uses pool i mod n with no connection limit (in-flight is unbounded).
    """

    SHARD = 8

    def __init__(self, base_url: str, *, api_key: str | None, timeouts: Timeouts, users: int | None) -> None:
        # Open loop (users None): arrivals are dealt round-robin over a fixed number of pools.
        count = 16 if users is None else max(1, -(-users // self.SHARD))
        self._by_user = users is not None
        headers = {"Accept": "text/event-stream", "Content-Type": "application/json", **auth_headers(api_key)}
        self._count = count
        self._base_url = base_url
        self._headers = headers
        self._timeouts = timeouts
        # Pools are made on first use: a large level (say 100,000 users, most of whom never get a request
        # when --requests is small) must start at once and hold memory only for the users that send.
        self._clients: dict[int, LeanClient] = {}

    @property
    def clients(self) -> list[LeanClient]:
        return list(self._clients.values())

    def for_slot(self, slot: int) -> LeanClient:
        index = (slot // self.SHARD) % self._count if self._by_user else slot % self._count
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = LeanClient(
                self._base_url,
                headers=self._headers,
                connect_timeout=self._timeouts.connect_s,
                read_timeout=self._timeouts.read_s,
            )
        return client

    async def open_connections(self, users: int) -> None:
        """Closed loop: open every user's connection before the level's clock starts (the connect is not
        part of the first request's latency, and 512 connects at once would queue the first wave)."""
        if not self._by_user:
            return
        await asyncio.gather(
            *(
                self.for_slot(first).connect_idle(min(self.SHARD, users - first))
                for first in range(0, users, self.SHARD)
            )
        )

    async def __aenter__(self) -> ClientShards:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for c in list(self._clients.values()):
            await c.aclose()


def pick_client(client: httpx.AsyncClient | ClientShards, slot: int) -> httpx.AsyncClient | LeanClient:
    return client.for_slot(slot) if isinstance(client, ClientShards) else client


# What a chunk carries: nothing countable, answer content, or reasoning only (reasoning models stream
# `delta.reasoning_content` (vLLM, SGLang, llama.cpp) or `delta.reasoning` before the answer).
_NONE, _ANSWER, _REASONING = 0, 1, 2


def _content_of(choice: Any) -> int:
    if not isinstance(choice, dict):
        return _NONE
    if choice.get("text"):
        return _ANSWER
    delta = choice.get("delta")
    if isinstance(delta, dict):
        if delta.get("content"):
            return _ANSWER
        if delta.get("reasoning_content") or delta.get("reasoning"):
            return _REASONING
    return _NONE


def _delta_text(choices: list[Any]) -> str:
    parts = []
    for c in choices:
        if isinstance(c, dict):
            delta = c.get("delta")
            text = delta.get("content") if isinstance(delta, dict) else c.get("text")
            if isinstance(text, str):
                parts.append(text)
    return "".join(parts)


# A content event can be told from its bytes when its JSON has no escapes (so every quote delimits a string)
# and none of the fields that need a decode (an error, usage figures, reasoning): then a `"text":"` key one
# object deep in `choices`, or a `"content":"` key opening a `delta` one object deep, with a non-empty value,
# is exactly what `_content_of` calls an answer. Anything else (a key written with a space, an empty answer,
# `content` after `role` in a delta, a bracket inside a string before the key) is decoded in full;
# tests/collector/load/test_quick_events.py checks that both ways count the same chunks. The shortcut checks
# the bytes are UTF-8 but does not parse the JSON: an event that starts and ends like an object and holds such
# a key counts.
_NEEDS_DECODE = (b"\\", b'"error"', b'"usage":{', b"reasoning")
_CHOICES = b'"choices":['
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"{}[]")
_DELTA = b'"delta":{'


def quick_is_answer(data: bytes) -> bool:
    """True when the event is certainly a chunk with answer content (what `_content_of` calls _ANSWER);
    False means "decode it to know". Skips json.loads for the usual streamed token."""
    if not (data[:2] == b'{"' and data[-1:] == b"}"):
        return False
    at = data.find(_CHOICES)
    if at < 0 or data.find(_CHOICES, at + 1) >= 0:
        return False
    for marker in _NEEDS_DECODE:
        if marker in data:
            return False
    if not data.isascii():
        try:
            data.decode()
        except UnicodeDecodeError:
            return False  # the decode path reports it as malformed
    start = at + len(_CHOICES)
    for key, opened in ((b'"text":"', b"{"), (b'"content":"', b"{{")):
        i = data.find(key, start)
        while i >= 0:
            end = i + len(key)
            if (
                data[end : end + 1] != b'"'
                and (opened == b"{" or data[i - len(_DELTA) : i] == _DELTA)
                # the brackets between `choices:[` and the key, strings included: exactly the choice's
                # (and the delta's) opening brace; a bracket inside a string sends the event to the decoder
                and data[start:i].translate(None, _NOT_BRACKETS) == opened
            ):
                return True
            i = data.find(key, end)
    return False


class _StreamState:
    __slots__ = ("done", "failure", "outcome")

    def __init__(self, outcome: RequestOutcome) -> None:
        self.outcome = outcome
        self.done = False
        self.failure: tuple[str, str] | None = None

    def _count(self, kind: int, now: int) -> None:
        out = self.outcome
        out.chunk_ns.append(now)
        if kind == _REASONING:
            out.reasoning_chunks += 1
            if out.first_reasoning_ns is None:
                out.first_reasoning_ns = now
        elif out.first_answer_ns is None:
            out.first_answer_ns = now

    def handle_event(self, data: bytes, now: int) -> None:
        if self.done:
            return  # anything after [DONE] is ignored, as clients do
        if data == b"[DONE]":
            self.done = True
            return
        if self.outcome.text is None and quick_is_answer(data):
            self._count(_ANSWER, now)
            return
        try:
            obj = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SSEError(f"data line is not JSON ({type(exc).__name__})", data) from None
        if not isinstance(obj, dict):
            raise SSEError("data line is not a JSON object", data)
        if obj.get("error"):
            err = obj["error"]
            msg = err.get("message") if isinstance(err, dict) else str(err)
            self.failure = (SERVER_ERROR, f"server sent an error event: {scrub(str(msg))[:200]}")
            return
        choices = obj.get("choices")
        if isinstance(choices, list):
            kind = max((_content_of(c) for c in choices), default=_NONE)
            if kind:
                self._count(kind, now)
                if self.outcome.text is not None:  # only the multi-turn workload keeps the reply
                    self.outcome.text.append(_delta_text(choices))
        usage = obj.get("usage")
        if isinstance(usage, dict):
            ct, pt = usage.get("completion_tokens"), usage.get("prompt_tokens")
            if isinstance(ct, int):
                self.outcome.completion_tokens = ct
            if isinstance(pt, int):
                self.outcome.prompt_tokens = pt
            details = usage.get("completion_tokens_details")
            if isinstance(details, dict) and isinstance(details.get("reasoning_tokens"), int):
                self.outcome.reasoning_tokens = details["reasoning_tokens"]


async def stream_request(
    client: httpx.AsyncClient | LeanClient,
    request: PreparedRequest,
    *,
    scheduled_ns: int,
    total_timeout_s: float,
    retries: int = 0,
) -> RequestOutcome:
    """Send one streaming request and record what arrived when. Never raises for server misbehaviour:
    failures come back as an outcome with `status` set to the reason (cancellation propagates).

    A kept-alive connection that the server closed before answering (no response byte received) is retried
    once on a fresh connection, as browsers and urllib3 do; `outcome.reconnected` records it. With
    `retries` > 0, HTTP 429/503 answers are retried up to that many times with backoff; `outcome.retries`
    counts them. Either way the latency still counts from the first send."""
    sent = time.perf_counter_ns()
    outcome = RequestOutcome(
        scheduled_ns=scheduled_ns,
        sent_ns=sent,
        requested_output_tokens=request.output_tokens,
        text=[] if request.keep_text else None,
    )
    try:
        async with asyncio.timeout(total_timeout_s):
            while True:
                hints: dict[str, str] = {}
                await _attempt_with_reconnect(client, request, outcome, hints)
                if outcome.status not in RETRYABLE_STATUSES or outcome.retries >= retries:
                    if outcome.retries and not outcome.ok:
                        outcome.error = f"{outcome.error} (after {outcome.retries} retries)"
                    return outcome
                delay = _retry_delay(outcome.retries, hints.get("retry-after"))
                outcome.retries += 1
                outcome.status, outcome.error, outcome.end_ns = "ok", None, None
                await asyncio.sleep(delay)
    except TimeoutError:
        return _fail(outcome, TIMEOUT, f"no complete response within {total_timeout_s:g} s")


def _retry_delay(retries_so_far: int, retry_after: str | None) -> float:
    backoff: float = min(RETRY_CAP_S, RETRY_BASE_S * 2.0**retries_so_far)
    try:
        asked = float(retry_after) if retry_after is not None else 0.0
    except ValueError:  # an HTTP date: not worth parsing for a benchmark; fall back to the backoff
        asked = 0.0
    return max(backoff, min(max(asked, 0.0), RETRY_AFTER_CAP_S))


async def _attempt_with_reconnect(
    client: httpx.AsyncClient | LeanClient,
    request: PreparedRequest,
    outcome: RequestOutcome,
    hints: dict[str, str],
) -> RequestOutcome:
    try:
        return await _attempt(client, request, outcome, hints)
    except _StaleConnection:
        outcome.reconnected = True
        try:
            return await _attempt(client, request, outcome, hints)
        except _StaleConnection as exc:
            return _fail(outcome, DISCONNECTED, f"server closed the connection before answering: {exc}")


class _StaleConnection(Exception):
    pass


async def _attempt(
    client: httpx.AsyncClient | LeanClient,
    request: PreparedRequest,
    outcome: RequestOutcome,
    hints: dict[str, str],
) -> RequestOutcome:
    state = _StreamState(outcome)
    parser = SSEParser()
    answered = False
    try:
        async with client.stream("POST", request.path, content=request.body) as resp:
            answered = True
            if resp.status_code != 200:
                if "retry-after" in resp.headers:
                    hints["retry-after"] = resp.headers["retry-after"]
                body = await _read_some(resp)
                outcome.status = f"http_{resp.status_code}"
                outcome.error = f"HTTP {resp.status_code}: {summarize_bytes(body, 200)}"
                outcome.end_ns = time.perf_counter_ns()
                return outcome
            if (problem := stream_shape_problem(resp.headers)) is not None:
                return _fail(outcome, MALFORMED, problem)

            def on_body(now: int, raw: bytes) -> bool:
                for data in parser.feed(raw):
                    state.handle_event(data, now)
                return state.failure is not None

            await _stream_body(resp, on_body)
            if state.failure is None:
                now = time.perf_counter_ns()
                for data in parser.close():
                    state.handle_event(data, now)
    except httpx.TimeoutException as exc:
        kind = "connect" if isinstance(exc, httpx.ConnectTimeout) else "read"
        return _fail(outcome, TIMEOUT, f"{kind} timeout ({type(exc).__name__})")
    except httpx.ConnectError as exc:
        return _fail(outcome, CONNECT, f"cannot connect: {exc}")
    except httpx.RemoteProtocolError as exc:
        if not answered and "without sending a response" in str(exc):
            raise _StaleConnection(str(exc)) from None
        return _fail(outcome, DISCONNECTED, f"connection lost mid-stream: {exc}")
    except (httpx.ReadError, httpx.WriteError) as exc:
        return _fail(outcome, DISCONNECTED, f"connection lost mid-stream: {type(exc).__name__}: {exc}")
    except SSEError as exc:
        return _fail(outcome, MALFORMED, str(exc))
    except httpx.HTTPError as exc:
        return _fail(outcome, DISCONNECTED, f"{type(exc).__name__}: {exc}")
    if state.failure is not None:
        return _fail(outcome, *state.failure)
    if not state.done and outcome.completion_tokens is None:
        why = "stream ended before [DONE] and without usage"
        if parser.truncated:
            why += " (last line cut off)"
        return _fail(outcome, DISCONNECTED, why)
    outcome.end_ns = outcome.chunk_ns[-1] if outcome.chunk_ns else time.perf_counter_ns()
    return outcome


async def _stream_body(resp: httpx.Response | LeanResponse, on_body: Callable[[int, bytes], bool]) -> None:
    """Hand every read of the body to on_body with its arrival time until it returns True. The lean
    transport stamps and delivers each read inside the event loop's receive callback; httpx's reads are
    stamped here, as they reach this coroutine."""
    if isinstance(resp, LeanResponse):
        await resp.deliver(on_body)
        return
    async for raw in resp.aiter_raw():
        if on_body(time.perf_counter_ns(), raw):
            return


def _fail(outcome: RequestOutcome, reason: str, message: str) -> RequestOutcome:
    outcome.status = reason
    outcome.error = message
    outcome.end_ns = time.perf_counter_ns()
    return outcome


async def _read_some(resp: httpx.Response | LeanResponse, limit: int = 2048) -> bytes:
    data = b""
    try:
        async for raw in resp.aiter_raw():
            data += raw
            if len(data) >= limit:
                break
    except httpx.HTTPError:
        pass
    return data[:limit]


# Sampling sent with every request unless the user keeps the server's defaults: backends differ in their
# default sampling (SmolLM2's generation config samples; vLLM's own client sends temperature 0), and
# backends compared doing different work are not compared at all.
GREEDY_PARAMS: dict[str, float] = {"temperature": 0}
SAMPLING_KEYS = ("temperature", "top_p", "top_k", "min_p")


def sampling_params(mode: str) -> dict[str, float]:
    """Body fields of a sampling mode: greedy -> temperature 0; server-default -> none."""
    return dict(GREEDY_PARAMS) if mode == "greedy" else {}


def recorded_sampling(
    mode: Literal["greedy", "server-default"], request_params: Mapping[str, object]
) -> Literal["greedy", "server-default", "custom"]:
    """What the run file says: the mode, or 'custom' when --request-param set a sampling field."""
    return "custom" if any(key in request_params for key in SAMPLING_KEYS) else mode


def build_body(
    *,
    api: str,
    model: str,
    prompt: str,
    max_tokens: int | None,
    extras: dict[str, Any],
    min_tokens: bool = False,
) -> dict[str, Any]:
    """The request body for one prompt; `extras` are the workload-wide parameters (recorded in the run)."""
    body: dict[str, Any] = {"model": model}
    if api == "chat":
        body["messages"] = [{"role": "user", "content": prompt}]
    else:
        body["prompt"] = prompt
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
        if min_tokens:
            body["min_tokens"] = max_tokens
    body["stream"] = True
    body["stream_options"] = {"include_usage": True}
    body.update(extras)
    return body


def api_path(api: str) -> str:
    return "/v1/chat/completions" if api == "chat" else "/v1/completions"
