"""A lean HTTP/1.1 streaming transport for the load itself.

Why not httpx for the load: benchmarks/client_capacity.py measured httpx's stack (httpcore pool, h11, anyio)
at ~0.18 ms of CPU per SSE chunk, and its connection pool scans all its connections on every request. At
128 users x 83 chunks/s that saturates a core, and the client's queueing shows up as server latency (the
exact failure of guidellm and aiperf that inferboard exists to avoid). This transport does only what a
streaming POST needs: one keep-alive connection per user, a hand-written status/header parser, chunked
decoding over whole reads, and one timestamp per read. httpx stays for everything else (model list,
tokenize, /metrics, version probes).

Each connection is an `asyncio.Protocol`, not a StreamReader: every read is stamped with
`time.perf_counter_ns()` inside `data_received`, the moment the event loop hands its bytes over, so the
stamp does not wait for the consuming task's next turn (at 512 users one loop turn delivers hundreds of reads
and a StreamReader-based stamp was taken only after all of them had been received). The read timeout is one
lazily re-armed timer per connection, not a timer per read (`asyncio.timeout` per read cost a heap push and
a cancel for every chunk).

It mimics the small part of httpx's API that `collector.load.client` uses (`stream()`, `status_code`,
`aiter_raw()`) and raises httpx's exception types, so failures are classified in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import cast
from urllib.parse import urlsplit

import httpx

from collector.load.framing import BodyDecoder, Sink

_MAX_HEADER_BYTES = 64 * 1024
_SSL: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    global _SSL
    if _SSL is None:  # built once: loading CA certificates costs tens of ms
        _SSL = ssl.create_default_context()
    return _SSL


class _Conn(asyncio.Protocol):
    """One keep-alive connection. Reads are stamped on arrival and either pushed into the current response's
    decoder (`sink`, set while a response streams) or queued for a pull reader."""

    def __init__(self, loop: asyncio.AbstractEventLoop, read_timeout: float) -> None:
        self._loop = loop
        self._read_timeout = read_timeout
        self.transport: asyncio.Transport | None = None
        self.reads: deque[tuple[int, bytes]] = deque()
        self.sink: Callable[[int, bytes], None] | None = None
        self.eof = False
        self.error: Exception | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._last_ns = 0  # when the last wait began or the last read arrived: the read timeout's origin

    # -- asyncio.Protocol ------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter_ns()
        self._last_ns = now
        if self.sink is not None:
            self.sink(now, data)
        else:
            self.reads.append((now, data))
            self.wake()

    def eof_received(self) -> bool:
        self.eof = True
        self.wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        if exc is not None:
            self.error = exc
        self.wake()

    # -- waiting -------------------------------------------------------------------------------------
    def wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _check_timeout(self) -> None:
        """The one timer: fail the waiting read if nothing arrived within read_timeout, else re-arm."""
        self._timer = None
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        idle_s = (time.perf_counter_ns() - self._last_ns) / 1e9
        if idle_s >= self._read_timeout:
            waiter.set_exception(TimeoutError())
        else:
            self._timer = self._loop.call_later(self._read_timeout - idle_s, self._check_timeout)

    async def wait(self) -> None:
        """Until the next read, end of stream or `wake()`. Raises TimeoutError after read_timeout without a
        read, or the connection's error."""
        if self.error is not None:
            raise self.error
        if self._waiter is None or self._waiter.done():
            self._waiter = self._loop.create_future()
        self._last_ns = time.perf_counter_ns()
        if self._timer is None:
            self._timer = self._loop.call_later(self._read_timeout, self._check_timeout)
        await self._waiter
        if self.error is not None:
            raise self.error

    async def read(self) -> tuple[int, bytes]:
        """The next queued read and its arrival time; b"" at end of stream."""
        while not self.reads:
            if self.eof:
                if self.error is not None:
                    raise self.error
                return time.perf_counter_ns(), b""
            await self.wait()
        return self.reads.popleft()

    async def read_head(self, limit: int) -> tuple[bytes, int, bytes]:
        """Bytes up to and including the blank line that ends the response head, the arrival time of the
        read that completed it, and what followed it in that read."""
        head = b""
        while True:
            now, data = await self.read()
            if not data:
                raise asyncio.IncompleteReadError(head, None)
            scan_from = max(0, len(head) - 3)
            head += data
            end = head.find(b"\r\n\r\n", scan_from)
            if end >= 0:
                return head[: end + 4], now, head[end + 4 :]
            if len(head) > limit:
                raise asyncio.LimitOverrunError("response headers too large", len(head))

    def usable(self) -> bool:
        """Open, and nothing unread on it (bytes between responses would be taken for the next one)."""
        return (
            not self.eof and not self.reads and self.transport is not None and not self.transport.is_closing()
        )

    def write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def close(self) -> None:
        self.sink = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.transport is not None:
            with contextlib.suppress(Exception):
                self.transport.abort()


def _read_errors(exc: BaseException) -> httpx.TransportError:
    if isinstance(exc, TimeoutError):
        return httpx.ReadTimeout("no bytes within the read timeout")
    return httpx.ReadError(f"{type(exc).__name__}: {exc}")


class LeanResponse:
    def __init__(
        self,
        client: LeanClient,
        conn: _Conn,
        status: int,
        headers: dict[bytes, bytes],
        rest: bytes,
        rest_ns: int = 0,
    ):
        self.status_code = status
        self.headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers.items()}
        self._client = client
        self._conn: _Conn | None = conn
        self._rest = rest
        self._rest_ns = rest_ns
        self._complete = False
        self._used = False
        te = headers.get(b"transfer-encoding", b"").lower()
        self._chunked = b"chunked" in te
        length = headers.get(b"content-length")
        self._length = int(length) if length is not None and not self._chunked else None
        self._keep = headers.get(b"connection", b"").lower() != b"close"

    def _decoder(self, sink: Sink) -> BodyDecoder:
        if self._used:
            raise RuntimeError("the response body was already read")
        self._used = True
        decoder = BodyDecoder(sink, chunked=self._chunked, length=self._length)
        if self._rest:
            decoder.feed(self._rest_ns, self._rest)
            self._rest = b""
        return decoder

    def _settle(self, decoder: BodyDecoder) -> None:
        self._complete = decoder.finished
        self._keep = self._keep and decoder.keep

    async def deliver(self, sink: Sink) -> None:
        """Push the body into `sink(arrival_ns, payload)` read by read, straight from the event loop's
        `data_received` (no task switch per read), until the body ends or the sink returns True."""
        conn = self._conn
        assert conn is not None
        failure: list[BaseException] = []
        decoder = self._decoder(sink)

        def push(now: int, data: bytes) -> None:
            try:
                decoder.feed(now, data)
            except Exception as exc:  # bad framing, or the sink's own error: re-raised in the task
                failure.append(exc)
            if failure or decoder.finished or decoder.stopped:
                conn.sink = None
                conn.wake()

        try:
            while conn.reads and not (decoder.finished or decoder.stopped):
                push(*conn.reads.popleft())
            while not (failure or decoder.finished or decoder.stopped):
                if conn.eof:
                    decoder.end()
                    break
                conn.sink = push
                try:
                    await conn.wait()
                except (TimeoutError, ConnectionError, OSError) as exc:
                    raise _read_errors(exc) from None
                finally:
                    conn.sink = None
            if failure:
                raise failure[0]
        finally:
            self._settle(decoder)

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body as it arrives (chunked framing removed), one item per socket read."""
        async for _arrived_ns, part in self.aiter_timed():
            yield part

    async def aiter_timed(self) -> AsyncIterator[tuple[int, bytes]]:
        """Like `aiter_raw`, each item with the `perf_counter_ns()` at which its read arrived."""
        conn = self._conn
        assert conn is not None
        items: deque[tuple[int, bytes]] = deque()

        def keep(now: int, data: bytes) -> bool:
            items.append((now, data))
            return False

        decoder = self._decoder(keep)
        try:
            while True:
                while items:
                    yield items.popleft()
                if decoder.finished:
                    return
                try:
                    now, data = await conn.read()
                except (TimeoutError, ConnectionError, OSError) as exc:
                    raise _read_errors(exc) from None
                if data:
                    decoder.feed(now, data)
                else:
                    decoder.end()
        finally:
            self._settle(decoder)

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._complete and self._keep and not self._rest and not conn.reads:
            self._client.idle.append(conn)
        else:
            conn.close()


class _StreamContext:
    def __init__(self, client: LeanClient, path: str, body: bytes) -> None:
        self._client = client
        self._path = path
        self._body = body
        self._response: LeanResponse | None = None

    async def __aenter__(self) -> LeanResponse:
        self._response = await self._client.send(self._path, self._body)
        return self._response

    async def __aexit__(self, *exc: object) -> None:
        if self._response is not None:
            self._response._release()


class LeanClient:
    """Keep-alive connections to one server for streaming POSTs (see the module docstring)."""

    def __init__(
        self, base_url: str, *, headers: dict[str, str], connect_timeout: float, read_timeout: float
    ):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"unsupported URL {base_url!r}")
        self.base_url = base_url
        self.host = parts.hostname
        self.tls = parts.scheme == "https"
        self.port = parts.port or (443 if self.tls else 80)
        self.prefix = parts.path.rstrip("/")
        host_header = self.host if parts.port is None else f"{self.host}:{parts.port}"
        lines = [f"Host: {host_header}", "Connection: keep-alive", "User-Agent: inferboard"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self._header_block = ("\r\n".join(lines) + "\r\n").encode("latin-1")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.idle: list[_Conn] = []

    def stream(self, method: str, path: str, *, content: bytes) -> _StreamContext:
        if method != "POST":
            raise ValueError("the lean transport only streams POST requests")
        return _StreamContext(self, path, content)

    async def _connect(self) -> _Conn:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _transport, conn = await loop.create_connection(
                    lambda: _Conn(loop, self.read_timeout),
                    self.host,
                    self.port,
                    ssl=_ssl_context() if self.tls else None,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(
                f"no connection to {self.host}:{self.port} within the timeout"
            ) from None
        except OSError as exc:
            raise httpx.ConnectError(f"{exc.strerror or exc} ({self.host}:{self.port})") from None
        return conn

    async def connect_idle(self, count: int) -> None:
        """Have `count` idle keep-alive connections open ahead of the load, as the floor client does, so that
        the first request of every user goes out on an open connection like all its later ones. A
        connection that fails here is left to the request, which then records the failure."""
        missing = count - len(self.idle)
        opened = await asyncio.gather(*(self._connect() for _ in range(missing)), return_exceptions=True)
        for conn in opened:
            if isinstance(conn, _Conn):
                self.idle.append(conn)
            elif not isinstance(conn, httpx.TransportError):
                raise conn

    async def send(self, path: str, body: bytes) -> LeanResponse:
        reused = False
        while self.idle:
            conn = self.idle.pop()
            if conn.usable():
                reused = True
                break
            conn.close()
        else:
            conn = await self._connect()
        head = b"POST " + (self.prefix + path).encode() + b" HTTP/1.1\r\n" + self._header_block
        head += b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        try:
            conn.write(head + body)
            raw, rest_ns, rest = await conn.read_head(_MAX_HEADER_BYTES)
        except asyncio.IncompleteReadError as exc:
            conn.close()
            if not exc.partial:
                why = "Server disconnected without sending a response."
                raise httpx.RemoteProtocolError(why + (" (reused connection)" if reused else "")) from None
            raise httpx.RemoteProtocolError("connection closed inside the response headers") from None
        except asyncio.LimitOverrunError:
            conn.close()
            raise httpx.RemoteProtocolError("response headers too large") from None
        except TimeoutError:
            conn.close()
            raise httpx.ReadTimeout("no response headers within the read timeout") from None
        except (ConnectionError, OSError) as exc:
            conn.close()
            if reused:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.") from None
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}") from None
        except BaseException:
            # Cancelled (Ctrl-C, a level's deadline) while the request waits for its headers: close the
            # connection, or the server keeps generating for it (llama.cpp's stop then waits for its 30 s
            # keep-alive ping on that stream).
            conn.close()
            raise
        return _parse_head(self, conn, raw, rest, rest_ns)

    async def aclose(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


def _parse_head(client: LeanClient, conn: _Conn, raw: bytes, rest: bytes, rest_ns: int) -> LeanResponse:
    lines = raw[:-4].split(b"\r\n")
    status_line = lines[0].split(None, 2)
    if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1.") or not status_line[1].isdigit():
        conn.close()
        raise httpx.RemoteProtocolError(f"not an HTTP/1.x status line: {lines[0][:60]!r}")
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if len(raw) > _MAX_HEADER_BYTES:
        conn.close()
        raise httpx.RemoteProtocolError("response headers too large")
    status = int(status_line[1])
    if status == 100:  # a 100 Continue we never asked for; treat as a protocol error
        conn.close()
        raise httpx.RemoteProtocolError("unexpected 100 Continue")
    return LeanResponse(client, conn, status, headers, rest, rest_ns)
