"""A total deadline for every control-plane HTTP call (models probe, backend detection, version, tokenize,
/metrics scrapes): httpx's timeouts bound each read, so a server that trickles one byte every few seconds
would hold a call, and the whole setup, forever. The deadline covers sending, the headers and the body.

Used as the transport of the collector's control-plane httpx clients, so no call site can forget it; an
exceeded deadline is an `httpx.ReadTimeout` (or `ConnectTimeout`), which every caller already handles.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

import httpx

# Seconds one control-plane call may take in all. Generous for a loaded server, small next to a level.
# $INFERBOARD_CONTROL_DEADLINE_S overrides it (a slow tokenizer endpoint; the reliability tests).
CONTROL_DEADLINE_S = 30.0


def control_deadline_s() -> float:
    with contextlib.suppress(ValueError):
        value = float(os.environ.get("INFERBOARD_CONTROL_DEADLINE_S", ""))
        if 0 < value < float("inf"):
            return value
    return CONTROL_DEADLINE_S


class DeadlineExceeded(httpx.ReadTimeout):
    """A control-plane call ran past its total deadline (bytes may have kept trickling in)."""


class _DeadlineStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, deadline: float, total_s: float) -> None:
        self._inner = inner
        self._deadline = deadline
        self._total_s = total_s

    async def __aiter__(self) -> AsyncIterator[bytes]:
        iterator = self._inner.__aiter__()
        while True:
            try:
                async with asyncio.timeout_at(self._deadline):
                    chunk = await anext(iterator)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise DeadlineExceeded(f"no complete answer within {self._total_s:g} s in all") from None
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class DeadlineTransport(httpx.AsyncBaseTransport):
    """Wraps a transport so that each request, body included, ends within `total_s` seconds."""

    def __init__(self, inner: httpx.AsyncBaseTransport, total_s: float = CONTROL_DEADLINE_S) -> None:
        self._inner = inner
        self.total_s = total_s

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        deadline = asyncio.get_running_loop().time() + self.total_s
        try:
            async with asyncio.timeout_at(deadline):
                response = await self._inner.handle_async_request(request)
        except TimeoutError:
            raise httpx.ReadTimeout(f"no answer within {self.total_s:g} s in all", request=request) from None
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _DeadlineStream(response.stream, deadline, self.total_s)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def control_client(
    base_url: str,
    *,
    headers: dict[str, str],
    timeout: httpx.Timeout | float,
    limits: httpx.Limits,
    total_s: float = CONTROL_DEADLINE_S,
) -> httpx.AsyncClient:
    """An httpx client for control-plane calls: per-read timeouts plus a total deadline per call."""
    transport = DeadlineTransport(httpx.AsyncHTTPTransport(limits=limits), total_s)
    return httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout, transport=transport)


def control_failure(exc: httpx.HTTPError, base_url: str, what: str, within_s: float) -> str:
    """One line for a control-plane call that failed, naming the TLS failure when https met something else."""
    tls = base_url.lower().startswith("https:")
    text = str(exc)
    if isinstance(exc, httpx.ConnectError):
        if tls and any(mark in text.upper() for mark in ("SSL", "TLS", "CERTIFICATE", "WRONG_VERSION")):
            return f"TLS failed with {base_url}: {text[:160]} (a plain-HTTP server? try http://)"
        return f"server unreachable at {base_url}: connection refused or host unknown"
    if isinstance(exc, httpx.ConnectTimeout) and tls:
        return (
            f"no TLS connection with {base_url} within {within_s:g} s: the TLS handshake got no answer "
            "(a plain-HTTP server? try http://)"
        )
    if isinstance(exc, DeadlineExceeded):
        return f"server at {base_url} did not complete {what}: {text}"
    if isinstance(exc, httpx.TimeoutException):
        return f"server at {base_url} did not answer {what} within {within_s:g} s"
    return f"server at {base_url} failed on {what}: {type(exc).__name__}"
