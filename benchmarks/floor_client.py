"""The floor: the thinnest closed-loop streaming client we can write in Python, to measure other clients by.

Raw non-blocking sockets on one ``select.epoll``; one ``perf_counter_ns`` per ``recv``; no JSON decoding of
content chunks (an SSE event is a content chunk when its ``"text":"`` / ``"content":"`` value is non-empty);
only the final usage chunk is scanned, with a byte regex, for ``completion_tokens``. HTTP/1.1 keep-alive
with chunked framing, as the timing server and uvicorn send it (a response ends at ``0\\r\\n\\r\\n``).

Usage:  python benchmarks/floor_client.py --port 8787 --concurrency 16 --requests 160 [--max-tokens 40]
        [--processes N]   (users and requests split over N processes, figures merged exactly)
Prints one JSON object: TTFT p50/p99, TPOT p50, throughput, client CPU seconds, chunks.
"""

from __future__ import annotations

import argparse
import json
import re
import select
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any

_USAGE_RE = re.compile(rb'"completion_tokens"\s*:\s*(\d+)')
_CONTENT_MARKERS = (b'"text":"', b'"content":"')
_END = b"\r\n0\r\n\r\n"


@dataclass
class _User:
    sock: socket.socket
    buf: bytearray = field(default_factory=bytearray)
    t0: int = 0
    first: int = 0
    last: int = 0
    chunks: int = 0
    tokens: int = -1
    scanned: int = 0  # bytes of buf already split into events
    done_seen: bool = False
    header_done: bool = False


def _percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), q in [0, 100]."""
    if not values:
        return float("nan")
    s = sorted(values)
    pos = (len(s) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _request_bytes(host: str, port: int, model: str, max_tokens: int, prompt: str) -> bytes:
    body = json.dumps(
        {
            "model": model,
            "prompt": prompt,
            "max_tokens": max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
            "ignore_eos": True,
        },
        separators=(",", ":"),
    ).encode()
    head = (
        f"POST /v1/completions HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Accept: text/event-stream\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


def _scan_events(u: _User, now: int) -> None:
    """Split newly complete SSE events out of the buffer and note content chunks with this read's time."""
    buf = u.buf
    if not u.header_done:
        h = buf.find(b"\r\n\r\n")
        if h < 0:
            return
        u.header_done = True
        u.scanned = h + 4
    while True:
        end = buf.find(b"\n\n", u.scanned)
        if end < 0:
            return
        start = buf.find(b"data: ", u.scanned, end)
        u.scanned = end + 2
        if start < 0:
            continue
        is_content = False
        for marker in _CONTENT_MARKERS:
            m = buf.find(marker, start, end)
            if m >= 0 and buf[m + len(marker)] != 0x22:  # a non-empty string value
                is_content = True
                break
        if is_content:
            if u.chunks == 0:
                u.first = now
            u.last = now
            u.chunks += 1
        elif buf.startswith(b"data: [DONE]", start):
            u.done_seen = True
        else:
            m2 = _USAGE_RE.search(buf, start, end)
            if m2:
                u.tokens = int(m2.group(1))


@dataclass
class _Tally:
    """The figures of the requests that ended so far (a response without content or usage failed)."""

    ttft: list[float] = field(default_factory=list)
    tpot: list[float] = field(default_factory=list)
    output_tokens: int = 0
    chunks: int = 0
    completed: int = 0
    failed: int = 0
    last_done: int = 0  # perf_counter_ns of the last content chunk of the last request completed

    def add(self, u: _User) -> None:
        """Count the request whose response just ended on this user's connection."""
        if u.tokens < 0 or u.chunks == 0:
            self.failed += 1
            return
        self.completed += 1
        self.output_tokens += u.tokens
        self.chunks += u.chunks
        self.ttft.append((u.first - u.t0) / 1e6)
        if u.tokens > 1:
            self.tpot.append((u.last - u.first) / 1e6 / (u.tokens - 1))
        self.last_done = u.last


def _connect_users(host: str, port: int, concurrency: int, ep: select.epoll) -> dict[int, _User]:
    """One keep-alive connection per user, opened before the clock starts, registered for reads."""
    users: dict[int, _User] = {}
    for _ in range(concurrency):
        s = socket.create_connection((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        users[s.fileno()] = _User(s)
        ep.register(s.fileno(), select.EPOLLIN)
    return users


def _send(u: _User, payload: bytes) -> None:
    """Start the user's next request: clear what the last response left, stamp the send."""
    u.buf.clear()
    u.scanned = u.chunks = 0
    u.tokens = -1
    u.done_seen = u.header_done = False
    u.t0 = time.perf_counter_ns()
    u.sock.sendall(payload)  # a few hundred bytes: fits the empty send buffer at once


def _closed_loop(
    ep: select.epoll,
    users: dict[int, _User],
    payload: bytes,
    requests: int,
    timeout_s: float,
    tally: _Tally,
) -> None:
    """Every user sends, then sends again as soon as its response ends, until `requests` requests ended."""
    perf = time.perf_counter_ns
    sent = 0
    for u in users.values():
        if sent < requests:
            _send(u, payload)
            sent += 1
    deadline = time.monotonic() + timeout_s
    while tally.completed + tally.failed < requests:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"floor client: {tally.completed} of {requests} requests completed in {timeout_s} s"
            )
        for fd, _ev in ep.poll(1.0):
            u = users[fd]
            try:
                data = u.sock.recv(262144)
            except BlockingIOError:
                continue
            now = perf()
            if not data:
                raise ConnectionError("floor client: server closed a keep-alive connection mid-run")
            u.buf += data
            _scan_events(u, now)
            if u.done_seen and u.buf.endswith(_END):
                tally.add(u)
                if sent < requests:
                    _send(u, payload)
                    sent += 1


def measure(
    host: str,
    port: int,
    concurrency: int,
    requests: int,
    max_tokens: int = 40,
    model: str = "timing",
    prompt: str = "hello world this is a benchmark prompt",
    timeout_s: float = 600.0,
) -> dict[str, Any]:
    """Drive `concurrency` closed-loop users until `requests` requests completed; return the raw figures."""
    payload = _request_bytes(host, port, model, max_tokens, prompt)
    ep = select.epoll()
    users = _connect_users(host, port, concurrency, ep)
    tally = _Tally()
    cpu0 = time.process_time()
    t_first_send = time.perf_counter_ns()
    _closed_loop(ep, users, payload, requests, timeout_s, tally)
    cpu_s = time.process_time() - cpu0
    for u in users.values():
        u.sock.close()
    ep.close()
    return {
        "concurrency": concurrency,
        "completed": tally.completed,
        "failed": tally.failed,
        "ttft": tally.ttft,
        "tpot": tally.tpot,
        "output_tokens": tally.output_tokens,
        "chunks": tally.chunks,
        "first_send_ns": t_first_send,
        "last_done_ns": tally.last_done,
        "cpu_s_in_loop": cpu_s,
    }


def run(
    host: str,
    port: int,
    concurrency: int,
    requests: int,
    max_tokens: int = 40,
    model: str = "timing",
    timeout_s: float = 600.0,
) -> dict[str, Any]:
    """Drive `concurrency` closed-loop users until `requests` requests completed; return the summary."""
    return summarise([measure(host, port, concurrency, requests, max_tokens, model, timeout_s=timeout_s)])


def summarise(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary over the raw figures of one or more processes (perf_counter_ns is one system-wide
    monotonic clock on Linux, so their windows combine exactly)."""
    ttft = [v for p in parts for v in p["ttft"]]
    tpot = [v for p in parts for v in p["tpot"]]
    out_tokens = sum(p["output_tokens"] for p in parts)
    window_s = (max(p["last_done_ns"] for p in parts) - min(p["first_send_ns"] for p in parts)) / 1e9
    return {
        "client": "floor",
        "processes": len(parts),
        "concurrency": sum(p["concurrency"] for p in parts),
        "completed": sum(p["completed"] for p in parts),
        "failed": sum(p["failed"] for p in parts),
        "ttft_ms": {
            "p50": _percentile(ttft, 50),
            "p99": _percentile(ttft, 99),
            "mean": sum(ttft) / len(ttft) if ttft else float("nan"),
        },
        "tpot_ms": {"p50": _percentile(tpot, 50), "p99": _percentile(tpot, 99)},
        "output_throughput_tok_s": out_tokens / window_s if window_s > 0 else 0.0,
        "output_tokens": out_tokens,
        "chunks": sum(p["chunks"] for p in parts),
        "window_s": window_s,
        "cpu_s_in_loop": sum(p["cpu_s_in_loop"] for p in parts),
    }


def _share(args: tuple[str, int, int, int, int, str, float, float]) -> dict[str, Any]:
    host, port, concurrency, requests, max_tokens, model, timeout_s, start_at = args
    while time.monotonic() < start_at:  # all processes connect, then start together
        time.sleep(0.001)
    return measure(host, port, concurrency, requests, max_tokens, model, timeout_s=timeout_s)


def run_processes(
    processes: int,
    host: str,
    port: int,
    concurrency: int,
    requests: int,
    max_tokens: int,
    model: str,
    timeout_s: float,
) -> dict[str, Any]:
    """The users and requests split evenly over `processes` processes (the 2,048-user level on more than
    one core); one process runs in this one."""
    if processes <= 1:
        return run(host, port, concurrency, requests, max_tokens, model, timeout_s=timeout_s)
    import multiprocessing

    def split(total: int) -> list[int]:
        base, extra = divmod(total, processes)
        return [base + (1 if i < extra else 0) for i in range(processes)]

    start_at = time.monotonic() + 1.0
    jobs = [
        (host, port, c, r, max_tokens, model, timeout_s, start_at)
        for c, r in zip(split(concurrency), split(requests), strict=True)
        if c
    ]
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        parts = pool.map(_share, jobs)
    return summarise(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--concurrency", type=int, default=1, help="closed-loop users")
    ap.add_argument("--requests", type=int, default=10, help="requests to complete in all")
    ap.add_argument("--max-tokens", type=int, default=40)
    ap.add_argument("--model", default="timing")
    ap.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds")
    ap.add_argument("--processes", type=int, default=1, help="split the users over this many processes")
    args = ap.parse_args(argv)
    try:
        result = run_processes(
            args.processes,
            args.host,
            args.port,
            args.concurrency,
            args.requests,
            args.max_tokens,
            args.model,
            args.timeout,
        )
    except (OSError, TimeoutError) as exc:
        print(f"floor_client: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
