"""A lean HTTP/1.1 streaming transport for the load itself.

Why not httpx for the load: benchmarks/client_capacity.py measured httpx's stack (httpcore pool, h11, anyio)
at ~0.18 ms of CPU per SSE chunk, and its connection pool scans all its connections on every request. At
128 users x 83 chunks/s that saturates a core, and the client's queueing shows up as server latency (the
exact failure of guidellm and aiperf that inferboard exists to avoid). This transport does only what a
streaming POST needs: one keep-alive connection per user, a hand-written status/header parser, chunked
decoding over whole reads, and one timestamp per read. httpx stays for everything else (model list,
tokenize, /metrics, version probes).

It mimics the small part of httpx's API that `collector.load.client` uses (`stream()`, `status_code`,
`aiter_raw()`) and raises httpx's exception types, so failures are classified in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx

_READ_SIZE = 256 * 1024
_MAX_HEADER_BYTES = 64 * 1024
_SSL: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    global _SSL
    if _SSL is None:  # built once: loading CA certificates costs tens of ms
        _SSL = ssl.create_default_context()
    return _SSL


class _Conn:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.transport.abort()


class LeanResponse:
    def __init__(
        self, client: LeanClient, conn: _Conn, status: int, headers: dict[bytes, bytes], rest: bytes
    ):
        self.status_code = status
        self.headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers.items()}
        self._client = client
        self._conn: _Conn | None = conn
        self._rest = rest
        self._complete = False
        te = headers.get(b"transfer-encoding", b"").lower()
        self._chunked = b"chunked" in te
        length = headers.get(b"content-length")
        self._length = int(length) if length is not None and not self._chunked else None
        self._keep = headers.get(b"connection", b"").lower() != b"close"

    async def _read(self) -> bytes:
        assert self._conn is not None
        try:
            async with asyncio.timeout(self._client.read_timeout):
                data = await self._conn.reader.read(_READ_SIZE)
        except TimeoutError:
            raise httpx.ReadTimeout("no bytes within the read timeout") from None
        except (ConnectionError, OSError) as exc:
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}") from None
        return data

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body as it arrives (chunked framing removed), one item per socket read."""
        if self._chunked:
            async for part in self._iter_chunked():
                yield part
        elif self._length is not None:
            left = self._length
            if self._rest:
                part, self._rest = self._rest[:left], b""
                left -= len(part)
                yield part
            while left > 0:
                data = await self._read()
                if not data:
                    raise httpx.RemoteProtocolError(
                        "peer closed connection without sending complete message body"
                    )
                left -= len(data)
                yield data
            self._complete = True
        else:
            if self._rest:
                yield self._rest
                self._rest = b""
            while data := await self._read():
                yield data
            self._keep = False
            self._complete = True

    async def _iter_chunked(self) -> AsyncIterator[bytes]:
        buf = self._rest
        self._rest = b""
        pos = 0
        need = -1  # bytes left in the current chunk; 0 = its CRLF is due; -1 = a size line is due
        while True:
            out: list[bytes] = []
            while True:
                if need < 0:
                    eol = buf.find(b"\r\n", pos)
                    if eol < 0:
                        break
                    size_text = buf[pos:eol].split(b";", 1)[0].strip()
                    try:
                        size = int(size_text, 16)
                    except ValueError:
                        raise httpx.RemoteProtocolError(
                            f"bad chunk size line {buf[pos:eol][:40]!r}"
                        ) from None
                    pos = eol + 2
                    if size == 0:
                        await self._skip_trailers(buf, pos)
                        self._complete = True
                        if out:
                            yield b"".join(out)
                        return
                    need = size
                elif need == 0:
                    if len(buf) - pos < 2:
                        break
                    pos += 2
                    need = -1
                else:
                    take = min(need, len(buf) - pos)
                    if take <= 0:
                        break
                    out.append(buf[pos : pos + take])
                    pos += take
                    need -= take
            if out:
                yield b"".join(out)
            buf = buf[pos:]
            pos = 0
            data = await self._read()
            if not data:
                raise httpx.RemoteProtocolError(
                    "peer closed connection without sending complete message body"
                )
            buf = buf + data if buf else data

    async def _skip_trailers(self, buf: bytes, pos: int) -> None:
        """After the last chunk: optional trailer lines, then an empty line."""
        while True:
            end = buf.find(b"\r\n", pos)
            if end < 0:
                more = await self._read()
                if not more:
                    self._keep = False
                    return
                buf, pos = buf[pos:] + more, 0
                continue
            if end == pos:
                return
            pos = end + 2

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._complete and self._keep and not self._rest:
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
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(
                    self.host, self.port, ssl=_ssl_context() if self.tls else None, limit=_READ_SIZE
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(
                f"no connection to {self.host}:{self.port} within the timeout"
            ) from None
        except OSError as exc:
            raise httpx.ConnectError(f"{exc.strerror or exc} ({self.host}:{self.port})") from None
        return _Conn(reader, writer)

    async def send(self, path: str, body: bytes) -> LeanResponse:
        reused = False
        while self.idle:
            conn = self.idle.pop()
            if not conn.reader.at_eof() and not conn.writer.is_closing():
                reused = True
                break
            conn.close()
        else:
            conn = await self._connect()
        head = b"POST " + (self.prefix + path).encode() + b" HTTP/1.1\r\n" + self._header_block
        head += b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        try:
            conn.writer.write(head + body)
            async with asyncio.timeout(self.read_timeout):
                raw = await conn.reader.readuntil(b"\r\n\r\n")
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
        return _parse_head(self, conn, raw)

    async def aclose(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


def _parse_head(client: LeanClient, conn: _Conn, raw: bytes) -> LeanResponse:
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
    return LeanResponse(client, conn, status, headers, b"")
