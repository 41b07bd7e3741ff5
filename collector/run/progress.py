"""Progress display: one live line per level on a TTY, silence otherwise, and the end-of-run table."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from collector.load.scheduling import LevelState
from collector.measure.metrics import RequestOutcome
from collector.schema import LevelResult


class Progress:
    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._label = ""
        self._last_draw = 0.0
        self._status_shown = False

    def info(self, message: str) -> None:
        """A status line shown on a TTY only (the final summary and errors are printed regardless)."""
        if self.enabled:
            self.stream.write(message + "\n")
            self.stream.flush()

    def warning(self, message: str) -> None:
        """A warning line, shown always (also without a TTY): something the user should know before the
        figures are read."""
        self.stream.write(f"warning: {message}\n")
        self.stream.flush()

    def level_started(self, label: str) -> None:
        self._label = label
        self._last_draw = 0.0

    @property
    def label(self) -> str:
        """The label of the level under way."""
        return self._label

    def status_line(self, message: str) -> None:
        """One line redrawn in place on a TTY (e.g. while waiting for a quiet host)."""
        if self.enabled:
            self.stream.write("\r" + message.ljust(78))
            self.stream.flush()
            self._status_shown = True

    def end_status_line(self) -> None:
        if self._status_shown:
            self.stream.write("\r" + " " * 78 + "\r")
            self.stream.flush()
            self._status_shown = False

    def on_outcome(self, state: LevelState, outcome: RequestOutcome) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last_draw < 0.2 and (state.total is None or len(state.outcomes) < state.total):
            return
        self._last_draw = now
        elapsed = max(1e-9, (time.perf_counter_ns() - state.started_ns) / 1e9)
        failed = sum(1 for o in state.outcomes if not o.ok)
        total = "?" if state.total is None else str(state.total)
        line = (
            f"\r  {self._label}: {len(state.outcomes)}/{total} requests, {failed} failed, "
            f"{state.output_tokens / elapsed:,.0f} tok/s"
        )
        self.stream.write(line.ljust(78))
        self.stream.flush()

    def level_finished(self, result: LevelResult) -> None:
        if not self.enabled:
            return
        self.stream.write("\r" + " " * 78 + "\r")
        self.stream.write(f"  {self._label}: done, {result.completed} ok, {result.failed} failed\n")
        self.stream.flush()


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _level_name(r: LevelResult) -> str:
    if r.trace_timing is not None:  # a replay: its rate is the trace's own (or none for one burst)
        name = "trace" if r.request_rate is None else f"trace {r.request_rate:.3g}/s"
    else:
        name = f"c={r.concurrency}" if r.concurrency is not None else f"rate={r.request_rate:g}"
    return name + (f" #{r.trial + 1}" if r.trial else "")


def _flags(r: LevelResult) -> list[str]:
    """Why a level's timings are not to be trusted as the backend's: the client's state, the host's."""
    flags = []
    if r.client is not None and r.client.cause is not None:
        flags.append(f"client {r.client.cause}")
    elif r.client is not None and r.client.saturated:  # a record from before the cause was told apart
        flags.append("client saturated")
    if r.host is not None and r.host.quiet is False:
        flags.append("host not quiet")
    return flags


def level_notes(results: list[LevelResult]) -> list[str]:
    """The notes under the table: each flagged level with its figures, then what to change per cause."""
    lines, advice = [], {}
    for r in results:
        client, host = r.client, r.host
        if client is not None and client.cause is not None:
            lines.append(f"  {_level_name(r)}: client {client.cause}: {client.reason}")
            if client.advice:
                advice[f"client {client.cause}"] = client.advice
        if host is not None and host.quiet is False:
            lines.append(
                f"  {_level_name(r)}: host not quiet after waiting {host.waited_s:g} s: other processes used "
                f"{host.other_cpu_cores or 0:.2f} cores > {host.threshold_cores or 0:g}"
            )
            advice["host not quiet"] = "stop the other work on the host, or run when it is idle"
    lines += [f"  fix for {what}: {text}" for what, text in advice.items()]
    return ["notes:", *lines] if lines else []


def summary_table(results: list[LevelResult]) -> str:
    header = (
        "level",
        "ok",
        "fail",
        "TTFT p50",
        "TTFT p99",
        "TPOT p50",
        "ITL p50",
        "E2E p50",
        "out tok/s",
        "req/s",
    )
    rows = [header]
    notes = []
    for r in results:
        level = _level_name(r)
        if r.status != "complete":
            level += f" ({r.status})"
        level += "".join(f" [{flag}]" for flag in _flags(r))
        if r.reconnects or r.retries:
            level += " *"
            notes.append(f"* {level.removesuffix(' *')}: {_resent_words(r)}")
        rows.append(
            (
                level,
                str(r.completed),
                str(r.failed),
                _fmt(r.ttft_ms.p50 if r.ttft_ms else None),
                _fmt(r.ttft_ms.p99 if r.ttft_ms else None),
                _fmt(r.tpot_ms.p50 if r.tpot_ms else None, 2),
                _fmt(r.itl_ms.p50 if r.itl_ms else None, 2),
                _fmt(r.e2e_ms.p50 if r.e2e_ms else None),
                _fmt(r.output_throughput_tok_s),
                _fmt(r.request_throughput_rps, 2),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([*lines, "(latencies in ms)", *notes])


def _resent_words(r: LevelResult) -> str:
    """What `ok` hides: requests the client sent again (the server dropped them, or asked to retry)."""
    parts = []
    if r.reconnects:
        parts.append(
            f"{r.reconnects} request{'s' if r.reconnects > 1 else ''} re-sent after the server dropped a "
            "kept-alive connection unanswered"
        )
    if r.retries:
        parts.append(f"{r.retries} HTTP 429/503 answer{'s' if r.retries > 1 else ''} retried")
    return "; ".join(parts) + " (latency counts from the first send)"


def result_lines(results: list[LevelResult], path: object | None) -> list[str]:
    """What `collect` prints after a run (and after each suite cell): the level table and the run file."""
    lines = [summary_table(results), *level_notes(results)] if results else []
    if path is not None:
        lines.append(f"run file: {path}")
    return lines
