"""The lean streaming transport against real loopback sockets: framing, splits, keep-alive, stale reuse."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.load.transport import LeanClient

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _with_server(handler: Handler, body: Callable[[LeanClient], Awaitable[None]]) -> None:
    tasks: set[asyncio.Task[None]] = set()
    writers: list[asyncio.StreamWriter] = []

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        writers.append(writer)
        try:
            await handler(reader, writer)
        except (asyncio.CancelledError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.transport.abort()

    server = await asyncio.start_server(tracked, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = LeanClient(f"http://127.0.0.1:{port}", headers={}, connect_timeout=5, read_timeout=5)
    try:
        await body(client)
    finally:
        await client.aclose()
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()
        await asyncio.sleep(0)


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
    )
    return await reader.readexactly(length)


def _chunked(payload: bytes, sizes: list[int]) -> bytes:
    out, pos = b"", 0
    for size in sizes:
        piece = payload[pos : pos + size]
        if not piece:
            break
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        pos += len(piece)
    if pos < len(payload):
        out += f"{len(payload) - pos:x};ext=1\r\n".encode() + payload[pos:] + b"\r\n"
    return out + b"0\r\n\r\n"


@settings(max_examples=40, deadline=None)
@given(
    payload=st.binary(min_size=1, max_size=600),
    sizes=st.lists(st.integers(1, 80), max_size=12),
    cuts=st.lists(st.integers(1, 50), max_size=30),
    push=st.booleans(),
)
def test_chunked_body_survives_any_framing_and_write_split(
    payload: bytes, sizes: list[int], cuts: list[int], push: bool
) -> None:
    wire = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + _chunked(payload, sizes)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        pos = 0
        for cut in cuts:
            writer.write(wire[pos : pos + cut])
            await writer.drain()
            await asyncio.sleep(0)
            pos += cut
        writer.write(wire[pos:])
        await writer.drain()
        await reader.read()  # keep the connection open until the client leaves

    async def body(client: LeanClient) -> None:
        async with client.stream("POST", "/v1/completions", content=b"{}") as resp:
            if push:  # delivered from data_received, each piece with its read's arrival time
                parts: list[tuple[int, bytes]] = []
                await resp.deliver(lambda now, data: parts.append((now, data)) is not None)
                got = b"".join(p for _, p in parts)
                assert [t for t, _ in parts] == sorted(t for t, _ in parts)
            else:
                got = b"".join([part async for part in resp.aiter_raw()])
        assert resp.status_code == 200 and got == payload
        assert len(client.idle) == 1  # complete response: the connection is kept alive

    asyncio.run(_with_server(handler, body))


def test_content_length_and_error_status_headers() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 429 Too Many\r\nRetry-After: 2\r\nContent-Length: 5\r\n\r\nslow!")
        await writer.drain()
        await reader.read()

    async def body(client: LeanClient) -> None:
        async with client.stream("POST", "/x", content=b"{}") as resp:
            data = b"".join([p async for p in resp.aiter_raw()])
        assert resp.status_code == 429 and resp.headers["retry-after"] == "2" and data == b"slow!"

    asyncio.run(_with_server(handler, body))


def test_closed_idle_connection_is_reported_as_stale() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")  # the next request arrives ...
        writer.transport.abort()  # ... and the server drops the connection without answering

    async def body(client: LeanClient) -> None:
        async with client.stream("POST", "/x", content=b"{}") as resp:
            assert b"".join([p async for p in resp.aiter_raw()]) == b"ok"
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            async with client.stream("POST", "/x", content=b"{}"):
                pass

    asyncio.run(_with_server(handler, body))


def test_refused_connection_is_a_connect_error() -> None:
    async def body() -> None:
        client = LeanClient("http://127.0.0.1:9", headers={}, connect_timeout=2, read_timeout=2)
        with pytest.raises(httpx.ConnectError):
            async with client.stream("POST", "/x", content=b"{}"):
                pass

    asyncio.run(body())


def test_silent_server_is_a_read_timeout_and_a_streaming_one_is_not() -> None:
    """The per-connection read timer: a stream whose reads keep coming, each within the timeout, outlives
    several timeouts; a server that stops sending fails after one."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        for _ in range(6):  # 6 x 0.1 s of steady reads: three times the 0.2 s read timeout
            writer.write(b"1\r\nx\r\n")
            await writer.drain()
            await asyncio.sleep(0.1)
        await reader.read()  # then silence

    async def body(client: LeanClient) -> None:
        client.read_timeout = 0.2
        got: list[bytes] = []
        with pytest.raises(httpx.ReadTimeout):
            async with client.stream("POST", "/x", content=b"{}") as resp:
                await resp.deliver(lambda now, data: got.append(data) is not None)
        assert b"".join(got) == b"x" * 6

    asyncio.run(_with_server(handler, body))


def test_connections_opened_ahead_are_used_by_the_requests() -> None:
    accepted: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        while True:
            await _read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()

    async def body(client: LeanClient) -> None:
        await client.connect_idle(3)
        assert len(client.idle) == 3

        async def one() -> bytes:
            async with client.stream("POST", "/x", content=b"{}") as resp:
                return b"".join([p async for p in resp.aiter_raw()])

        assert await asyncio.gather(one(), one(), one()) == [b"ok"] * 3
        assert len(accepted) == 3 and len(client.idle) == 3  # no new connection, all kept alive

    asyncio.run(_with_server(handler, body))
