"""Incremental Server-Sent Events parser over raw bytes.

Works on bytes as they arrive (no decoding until an event is complete), so the caller can timestamp a read
before any parsing. Accepts LF, CRLF and CR line endings, comments and multi-line data; anything that is
not an SSE field is an error, because an OpenAI-compatible stream never sends one and silently skipping it
would hide a broken server.
"""

from __future__ import annotations

from collector.secrets.scrub import scrub

SCRUB_WHOLE_BYTES = 1 << 20  # longer lines are cut first; the scrubber still catches a cut key's start

_KNOWN_FIELDS = (b"event", b"id", b"retry")
DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024


class SSEError(ValueError):
    """The byte stream is not valid SSE. `sample` holds a short, printable excerpt of the offending bytes."""

    def __init__(self, message: str, sample: bytes = b"") -> None:
        self.sample = summarize_bytes(sample)
        super().__init__(f"{message}: {self.sample}" if sample else message)


def summarize_bytes(data: bytes, limit: int = 80) -> str:
    """A short printable description of some bytes, for error messages. Secrets are scrubbed from the
    whole before it is cut: a key cut in half would no longer match what the scrubber looks for."""
    if len(data) <= SCRUB_WHOLE_BYTES:
        data = scrub(data.decode("latin-1")).encode("latin-1", errors="replace")
    head = data[:limit]
    text = repr(head)
    if len(data) > limit:
        text += f"... ({len(data)} bytes)"
    return text


class SSEParser:
    """Feed raw bytes, get back the `data` payload of every completed event (multi-line data joined by LF)."""

    __slots__ = ("_buf", "_held_cr", "_max_event_bytes", "truncated")

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        # A bytearray grows in place, and only the bytes that just arrived are searched for the end of an
        # event: an event split over many reads costs O(size), not O(size^2) (a 16 MB line in 16 KB reads
        # took seconds with bytes concatenation and rescans).
        self._buf = bytearray()
        self._held_cr = False
        self._max_event_bytes = max_event_bytes
        self.truncated = False

    def feed(self, data: bytes) -> list[bytes]:
        if self._held_cr:
            data = b"\r" + data
            self._held_cr = False
        if b"\r" in data:
            # A CR at the very end may be the first half of a CRLF split across reads.
            if data.endswith(b"\r"):
                data = data[:-1]
                self._held_cr = True
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        buf = self._buf
        if not buf:
            if data.endswith(b"\n\n") and data.find(b"\n\n") == len(data) - 2:  # one whole event
                payload = _parse_block(data[:-2])
                return [] if payload is None else [payload]
            # Nothing buffered (reads hold whole events): splitting at every blank line finds
            # the same events as the search below, without copying the read into the buffer first.
            pieces = data.split(b"\n\n")
            buf += pieces.pop()
            found = [p for p in map(_parse_block, pieces) if p is not None]
            self._check_size()
            return found
        search_from = max(0, len(buf) - 1)  # what is already buffered holds no complete event
        buf += data
        events: list[bytes] = []
        start = 0
        while True:
            end = buf.find(b"\n\n", max(start, search_from))
            if end < 0:
                break
            with memoryview(buf) as view:  # one copy of the event, not two (a 1 MB line counts)
                block = bytes(view[start:end])
            start = end + 2
            payload = _parse_block(block)
            if payload is not None:
                events.append(payload)
        if start:
            del buf[:start]
        self._check_size()
        return events

    def _check_size(self) -> None:
        buf = self._buf
        if len(buf) > self._max_event_bytes:
            sample = bytes(buf[:120])
            raise SSEError(
                f"event larger than {self._max_event_bytes} bytes without a terminator ({len(buf)} bytes)",
                sample,
            )

    def close(self) -> list[bytes]:
        """End of stream. A last event whose lines are complete but whose blank line is missing is still
        delivered (some servers omit it); a partial line is dropped and `truncated` becomes True."""
        rest = bytes(self._buf)
        self._buf = bytearray()
        self._held_cr = False
        if not rest.strip(b"\n"):
            return []
        if not rest.endswith(b"\n"):
            self.truncated = True
            return []
        payload = _parse_block(rest.strip(b"\n"))
        return [payload] if payload is not None else []

    @property
    def pending(self) -> int:
        """Bytes buffered but not yet part of a complete event."""
        return len(self._buf)


def _parse_block(block: bytes) -> bytes | None:
    if block.startswith(b"data:") and b"\n" not in block:
        # Fast path: the usual single-line event (sliced once).
        return block[6:] if block[5:6] == b" " else block[5:]
    data_lines: list[bytes] = []
    for line in block.split(b"\n"):
        if not line or line[:1] == b":":
            continue
        name, sep, value = line.partition(b":")
        if name == b"data":
            data_lines.append(value[1:] if value[:1] == b" " else value)
        elif name in _KNOWN_FIELDS and sep:
            continue
        else:
            raise SSEError("line is not an SSE field (expected 'data:')", line)
    if not data_lines:
        return None
    return b"\n".join(data_lines)
