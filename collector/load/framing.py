"""HTTP/1.1 response body framing for the lean transport, decoded from reads pushed in as they arrive.

A `BodyDecoder` is fed each socket read with its arrival time and hands the payload of that read (framing
removed) to a sink with the same time, so a read's timestamp survives decoding. It is pushed into from the
connection's `data_received` (no task switch per read) or fed by a pull loop; both use this one decoder.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

# The sink gets (arrival ns, payload) and returns True to stop the body (the caller gives up on it).
Sink = Callable[[int, bytes], bool]

_SIZE_LINE = -1  # a chunk-size line is due
_CHUNK_END = 0  # the CRLF after a chunk's data is due
_MAX_LINE = 4096  # a chunk-size or trailer line longer than this is not HTTP


class BodyDecoder:
    """Chunked, Content-Length or close-delimited body. After `finished`, `keep` says whether the connection
    can carry another request (the body ended exactly where the read ended)."""

    __slots__ = ("_buf", "_left", "_need", "_sink", "_trailers", "finished", "keep", "stopped")

    def __init__(self, sink: Sink, *, chunked: bool, length: int | None) -> None:
        self._sink = sink
        self._buf = b""
        self._need = _SIZE_LINE if chunked else None  # None: not chunked
        self._left = None if chunked else length  # bytes of a Content-Length body still due
        self._trailers = False
        self.finished = not chunked and length == 0
        self.stopped = False
        self.keep = True

    def feed(self, now: int, data: bytes) -> None:
        """One read. Raises httpx.RemoteProtocolError on bad framing."""
        if self.finished or self.stopped:
            if data:
                self.keep = False  # bytes after the response: the connection's state is unknown
            return
        if self._need is None:
            self._feed_plain(now, data)
        else:
            self._feed_chunked(now, data)

    def end(self) -> None:
        """The connection closed. Completes a close-delimited body; anything else is cut short."""
        self.keep = False
        if self.finished or self.stopped:
            return
        if self._need is None and self._left is None:
            self.finished = True
            return
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    def _feed_plain(self, now: int, data: bytes) -> None:
        if self._left is not None:
            if len(data) > self._left:
                self.keep = False
                data = data[: self._left]
            self._left -= len(data)
            if self._left == 0:
                self.finished = True
        if data and self._sink(now, data):
            self.stopped = True

    def _feed_chunked(self, now: int, data: bytes) -> None:
        if not self._buf and self._need == _SIZE_LINE:
            # The usual read: exactly one whole chunk, as a server that flushes every event sends it.
            eol = data.find(b"\r\n")
            if 0 < eol < 9 and data.endswith(b"\r\n"):
                try:
                    size = int(data[:eol], 16)
                except ValueError:
                    size = -1
                if size > 0 and eol + size + 4 == len(data):
                    if self._sink(now, data[eol + 2 : -2]):
                        self.stopped = True
                    return
        buf = self._buf + data if self._buf else data
        if self._trailers:
            self._buf = buf
            self._skip_trailers()
            return
        out: list[bytes] = []
        pos = 0
        end = len(buf)
        need = self._need
        assert need is not None
        while True:
            if need == _SIZE_LINE:
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    if end - pos > _MAX_LINE:
                        raise httpx.RemoteProtocolError(f"bad chunk size line {buf[pos : pos + 40]!r}")
                    break
                size_text = buf[pos:eol].split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise httpx.RemoteProtocolError(f"bad chunk size line {buf[pos:eol][:40]!r}") from None
                pos = eol + 2
                if size == 0:
                    self._trailers = True
                    break
                need = size
            elif need == _CHUNK_END:
                if end - pos < 2:
                    break
                if buf[pos : pos + 2] != b"\r\n":
                    raise httpx.RemoteProtocolError("chunk data longer than its size line says")
                pos += 2
                need = _SIZE_LINE
            else:
                take = min(need, end - pos)
                if take <= 0:
                    break
                out.append(buf[pos : pos + take])
                pos += take
                need -= take
        self._need = need
        self._buf = buf[pos:]
        if out and self._sink(now, out[0] if len(out) == 1 else b"".join(out)):
            self.stopped = True
        if self._trailers:
            self._skip_trailers()

    def _skip_trailers(self) -> None:
        """After the last chunk: optional trailer lines, then an empty line."""
        buf = self._buf
        if buf.startswith(b"\r\n"):
            rest = buf[2:]
        else:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > _MAX_LINE:
                    raise httpx.RemoteProtocolError("trailers too large")
                return
            rest = buf[end + 4 :]
        self._buf = b""
        self.finished = True
        if rest:
            self.keep = False
