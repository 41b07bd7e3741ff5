"""A scripted OpenAI-compatible streaming server on loopback: a timing oracle and a fault injector.

A real asyncio TCP server speaking HTTP/1.1 with chunked transfer encoding (like uvicorn-based servers).
Timing: the first content chunk leaves `ttft_ms` after the request was read, then one chunk every `itl_ms`.
Faults are chosen per request index by the Script (`faults`, `every`/`every_fault`, `default_fault`).

`ScriptedServer` runs it in a separate process by default, so the server never shares a GIL with the client
under test (in a thread it would skew the very timings it is the oracle for); `in_thread=True` is for
quick unit tests. Run directly: `python scripted_server.py '<script json>' [PORT]` prints the port, serves
until SIGTERM.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field

FAULTS = (
    "none",
    "http_500",
    "http_503",
    "http_429",
    "cut_mid_stream",  # close the connection after a few chunks, no [DONE], no usage
    "bad_json",  # a data line that is not JSON
    "bad_utf8",  # invalid UTF-8 inside a data line
    "no_data_prefix",  # a line that is not an SSE field
    "stall_before_headers",  # accept, read the request, never answer
    "stall_mid_stream",  # send a few chunks, then nothing
    "huge_line",  # one content chunk of ~1 MB
    "no_usage",  # [DONE] but no usage chunk (client must count chunks)
    "role_chunk_first",  # chat-style role-only chunk before content (not a token)
    "end_without_done",  # a few chunks, then a clean end of the HTTP body: no [DONE], no usage
    "trickle",  # SSE comment lines forever, never a token: only a whole-request timeout ends it
    "huge_bad_line",  # a ~huge_line_bytes data line that is not JSON
    "all_huge",  # every content chunk is ~huge_line_bytes long (long-line throughput)
    "echo_500",  # HTTP 500 whose body quotes the request's Authorization header and `echo_text`
    "echo_event",  # an SSE error event quoting the Authorization header and `echo_text`
    "json_200",  # 200 with a whole (non-streamed) JSON completion instead of SSE
    "gzip_sse",  # a valid SSE stream, gzip-compressed (content-encoding: gzip)
)


@dataclass
class Script:
    ttft_ms: float = 50.0
    itl_ms: float = 10.0
    tokens: int = 16  # default when the request has no max_tokens
    tokens_per_chunk: int = 1
    default_fault: str = "none"
    faults: dict[int, str] = field(default_factory=dict)  # request index -> fault
    every: int = 0  # with every_fault: each every-th request (index % every == every - 1) gets it
    every_fault: str = "none"
    huge_line_bytes: int = 1_000_000
    retry_after_s: float | None = None  # sent as Retry-After with http_429 / http_503 when set
    sigkill_at: int = -1  # the server process SIGKILLs itself two chunks into this request index
    echo_text: str = ""  # quoted by echo_500 / echo_event (a server leaking what it was given)
    usage_completion_tokens: int | None = None  # reported in usage instead of the streamed count
    models_trickle: bool = False  # GET /v1/models answers headers, then one byte every 0.2 s, forever
    batch_limit: int = 0  # > 0: at most this many streams are served at once, the rest queue (FIFO)
    reasoning_tokens: int = 0  # chat: the first this many tokens stream as delta.reasoning_content

    def fault_for(self, index: int) -> str:
        if index in self.faults:
            return self.faults[index]
        if self.every and index % self.every == self.every - 1:
            return self.every_fault
        return self.default_fault

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "faults": {str(k): v for k, v in self.faults.items()}})

    @classmethod
    def from_json(cls, text: str) -> Script:
        data = json.loads(text)
        data["faults"] = {int(k): v for k, v in data.get("faults", {}).items()}
        return cls(**data)


class ScriptedServer:
    """`with ScriptedServer(Script(...)) as srv: srv.url` -> http://127.0.0.1:PORT"""

    def __init__(self, script: Script | None = None, in_thread: bool = False) -> None:
        self.script = script or Script()
        self.in_thread = in_thread
        self.fixed_port = 0  # the port to listen on (0 = any free one)
        self.process: subprocess.Popen[str] | None = None
        self.requests_seen = 0
        self.lateness_ms: list[float] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.port = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop: asyncio.Event | None = None
        self._batch: asyncio.Semaphore | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ScriptedServer:
        if not self.in_thread:
            self.process = subprocess.Popen(
                [sys.executable, __file__, self.script.to_json()], stdout=subprocess.PIPE, text=True
            )
            assert self.process.stdout is not None
            line = self.process.stdout.readline()
            if not line.strip().isdigit():
                self.process.kill()
                raise RuntimeError(f"scripted server did not start: {line!r}")
            self.port = int(line)
            return self
        self._thread = threading.Thread(target=self._run, name="scripted-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("scripted server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def kill(self) -> None:
        """SIGKILL the server process (a server dying mid-level)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
            return
        loop, stop = self._loop, self._stop
        if loop is None or stop is None:
            return
        loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if self.script.batch_limit > 0:
            self._batch = asyncio.Semaphore(self.script.batch_limit)
        server = await asyncio.start_server(self._handle, "127.0.0.1", self.fixed_port, backlog=1024)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        if not self.in_thread:
            print(self.port, flush=True)
            self._loop.add_signal_handler(signal.SIGTERM, self._stop.set)
        await self._stop.wait()
        server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await server.wait_closed()

    async def _read_request(self, reader: asyncio.StreamReader) -> tuple[str, str, bytes] | None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        length = 0
        for line in lines[1:]:
            if line.lower().startswith("content-length:"):
                length = int(line.split(":", 1)[1])
            if line.lower().startswith("authorization:"):
                self.last_authorization = line.split(":", 1)[1].strip()
        body = await reader.readexactly(length) if length else b""
        return method, path, body

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                try:
                    req = await self._read_request(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                if req is None:
                    return
                method, path, body = req
                if method == "GET":
                    await self._get(writer, path)
                    continue
                index = self.requests_seen
                self.requests_seen += 1
                fault = self.script.fault_for(index)
                keep = await self._stream(writer, json.loads(body or b"{}"), fault, index)
                if not keep:
                    writer.transport.abort()
                    return
        except (asyncio.CancelledError, ConnectionError):
            pass  # the client went away (or the server is stopping): nothing left to answer
        finally:
            self._tasks.discard(task)
            writer.transport.abort()

    async def _get(self, writer: asyncio.StreamWriter, path: str) -> None:
        if self.script.models_trickle and path.startswith("/v1/models"):
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            )
            while True:  # bytes keep coming, so no per-read timeout ever fires
                writer.write(b"1\r\n \r\n")
                await writer.drain()
                await asyncio.sleep(0.2)
        if path.startswith("/v1/models"):
            body = json.dumps({"object": "list", "data": [{"id": "scripted", "object": "model"}]}).encode()
            status = "200 OK"
        elif path.startswith("/health"):
            body, status = b"{}", "200 OK"
        else:
            body, status = b'{"error":"not found"}', "404 Not Found"
        writer.write(
            f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()

    async def _stream(
        self, writer: asyncio.StreamWriter, req: dict[str, object], fault: str, index: int = -1
    ) -> bool:
        if self._batch is None:
            return await self._stream_now(writer, req, fault, index)
        async with self._batch:  # queued requests wait here; their service clock starts once admitted
            return await self._stream_now(writer, req, fault, index)

    async def _stream_now(
        self, writer: asyncio.StreamWriter, req: dict[str, object], fault: str, index: int
    ) -> bool:
        start = time.perf_counter()
        if fault.startswith("http_"):
            code = int(fault[5:])
            body = json.dumps({"error": {"message": f"scripted {code}"}}).encode()
            retry_after = ""
            if self.script.retry_after_s is not None and code in (429, 503):
                retry_after = f"retry-after: {self.script.retry_after_s:g}\r\n"
            writer.write(
                f"HTTP/1.1 {code} Error\r\ncontent-type: application/json\r\n{retry_after}"
                f"content-length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            return True
        if fault == "stall_before_headers":
            await asyncio.sleep(3600)
        leak = f"{getattr(self, 'last_authorization', '')} {self.script.echo_text}"
        if fault == "echo_500":
            body = json.dumps({"error": {"message": f"invalid credentials: {leak}"}}).encode()
            writer.write(
                f"HTTP/1.1 500 Error\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            return True
        if fault in ("json_200", "gzip_sse"):
            return await self._whole_body(writer, fault)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        chat = "messages" in req
        max_tokens = req.get("max_tokens")
        n = int(max_tokens) if isinstance(max_tokens, int) else self.script.tokens
        per = max(1, self.script.tokens_per_chunk)
        chunks = (n + per - 1) // per

        def send(payload: bytes) -> None:
            data = b"data: " + payload + b"\n\n"
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

        reasoning_chunks = -(-min(self.script.reasoning_tokens, n) // per) if chat else 0

        def content(i: int, text: str) -> bytes:
            if chat:
                key = "reasoning_content" if i < reasoning_chunks else "content"
                obj = {
                    "id": "x",
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {key: text}}],
                }
            else:
                obj = {"id": "x", "object": "text_completion", "choices": [{"index": 0, "text": text}]}
            return json.dumps(obj, separators=(",", ":")).encode()

        if fault == "echo_event":
            send(json.dumps({"error": {"message": f"rejected: {leak}"}}).encode())
            send(b"[DONE]")
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return True
        if fault == "trickle":
            while True:  # bytes keep coming (so no read timeout fires), but never a token
                comment = b": still working\n\n"
                writer.write(f"{len(comment):x}\r\n".encode() + comment + b"\r\n")
                await writer.drain()
                await asyncio.sleep(0.05)
        if fault == "role_chunk_first" or chat:
            send(
                json.dumps(
                    {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
                ).encode()
            )
            await writer.drain()
        for i in range(chunks):
            due = start + (self.script.ttft_ms + i * self.script.itl_ms) / 1000.0
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.lateness_ms.append((time.perf_counter() - due) * 1000.0)
            if i == 2 and fault == "cut_mid_stream":
                await writer.drain()
                return False
            if i == 2 and index == self.script.sigkill_at and not self.in_thread:
                await writer.drain()
                os.kill(os.getpid(), signal.SIGKILL)  # a server dying mid-level, at a known point
            if i == 2 and fault == "end_without_done":
                writer.write(b"0\r\n\r\n")  # a well-formed end of the body, but the stream is unfinished
                await writer.drain()
                return True
            if i == 2 and fault == "stall_mid_stream":
                await writer.drain()
                await asyncio.sleep(3600)
            if i == 1 and fault == "bad_json":
                send(b'{"choices": [{"text": "x"')
            elif i == 1 and fault == "bad_utf8":
                send(b'{"choices":[{"index":0,"text":"\xff\xfe"}]}')
            elif i == 1 and fault == "no_data_prefix":
                payload = b"garbage line without a field\n\n"
                writer.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
            elif (i == 0 and fault == "huge_line") or fault == "all_huge":
                send(content(i, "x" * self.script.huge_line_bytes))
            elif i == 1 and fault == "huge_bad_line":
                send(b'{"choices":[{"text":"' + b"y" * self.script.huge_line_bytes)
            else:
                send(content(i, " tok" * per))
            await writer.drain()
        if self.script.usage_completion_tokens is not None:
            n = self.script.usage_completion_tokens
        usage: dict[str, object] = {"prompt_tokens": 8, "completion_tokens": n, "total_tokens": 8 + n}
        if reasoning_chunks:
            usage["completion_tokens_details"] = {"reasoning_tokens": min(self.script.reasoning_tokens, n)}
        if fault != "no_usage":
            choice_key = "delta" if chat else "text"
            last = {
                "choices": [{"index": 0, choice_key: {} if chat else "", "finish_reason": "length"}],
                "usage": usage,
            }
            send(json.dumps(last).encode())
        send(b"[DONE]")
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    async def _whole_body(self, writer: asyncio.StreamWriter, fault: str) -> bool:
        """A 200 that is not a plain SSE stream: a whole JSON completion, or SSE compressed with gzip."""
        if fault == "json_200":
            body = json.dumps(
                {"choices": [{"index": 0, "text": " tok tok"}], "usage": {"completion_tokens": 2}}
            ).encode()
            head = "content-type: application/json"
        else:
            events = b"".join(
                b"data: " + json.dumps({"choices": [{"index": 0, "text": " tok"}]}).encode() + b"\n\n"
                for _ in range(4)
            )
            body = gzip.compress(events + b"data: [DONE]\n\n")
            head = "content-type: text/event-stream\r\ncontent-encoding: gzip"
        writer.write(f"HTTP/1.1 200 OK\r\n{head}\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        return True


if __name__ == "__main__":
    srv = ScriptedServer(Script.from_json(sys.argv[1]), in_thread=True)
    srv.fixed_port = int(sys.argv[2]) if len(sys.argv) > 2 else 0  # a fixed port for managed launches
    srv.in_thread = False  # this process *is* the server process: serve in the foreground
    srv._run()
    os._exit(0)
