"""Ctrl-C and SIGTERM during a sweep: the first stops the current level and lets the run be written; a
second leaves at once, killing any server the collector started (never leaving one behind)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collector import stop
from collector.stop import Interrupted

__all__ = ["Interrupt", "Interrupted", "blocking_phase", "handle_signals", "setup_interruption"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class Interrupt:
    """First SIGINT/SIGTERM: stop the current level and write what we have. Second: leave at once."""

    fired: int = 0
    signal_name: str = ""
    current: asyncio.Task[Any] | None = None
    emergency: list[Callable[[], None]] = field(default_factory=list)

    def fire(self, sig: signal.Signals) -> None:
        self.fired += 1
        if self.fired > 1:
            for cleanup in [*self.emergency, _kill_child_process_groups]:
                with contextlib.suppress(Exception):
                    cleanup()
            os._exit(130)
        self.signal_name = sig.name
        # The graceful path after this runs partly outside the event loop's control (writing the run file,
        # stopping a server): an asyncio signal handler would only run once the loop is free again, so the
        # next signal is taken by a plain handler, which runs between any two Python bytecodes.
        with contextlib.suppress(RuntimeError, ValueError):
            loop = asyncio.get_running_loop()
            for s in _SIGNALS:
                loop.remove_signal_handler(s)
                signal.signal(s, lambda signum, frame: self.fire(signal.Signals(signum)))
        if self.current is not None:
            self.current.cancel()


def _kill_child_process_groups() -> None:
    """SIGKILL our children and the process groups they lead (a launched server runs in its own group), so
    leaving at once never leaves a server behind. Linux /proc; elsewhere a no-op."""
    children: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        with contextlib.suppress(OSError, ValueError):
            children.update(int(pid) for pid in task.read_text().split())
    for pid in children:
        with contextlib.suppress(OSError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def handle_signals(interrupt: Interrupt) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    installed = []
    stop.arm(interrupt.fire)
    for sig in _SIGNALS:
        try:
            loop.add_signal_handler(sig, stop.dispatch_pending)
            # The loop's C-level handler still wakes the loop; the Python-level one (a no-op by default)
            # records the signal for the CPU-bound steps that never give the loop control (`stop.check`).
            signal.signal(sig, stop.note)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread / platform
            pass
    try:
        yield
    finally:
        stop.disarm()
        for sig in installed:
            loop.remove_signal_handler(sig)
            if previous[sig] is not None:
                signal.signal(sig, previous[sig])


@contextlib.contextmanager
def blocking_phase(interrupt: Interrupt) -> Iterator[None]:
    """For synchronous setup steps run on the loop's thread: the loop cannot run its signal callbacks until
    they return (a launch may wait minutes for readiness), so a plain handler raises `Interrupted` at once.
    The step's own cleanup (stopping a half-started server) runs as the exception unwinds."""

    active = True

    def raise_interrupted(signum: int, _frame: object) -> None:
        # Inert once the phase is over, in case a handler could not be put back (getsignal() gives None
        # for one installed from C): the loop's wakeup fd still delivers the signal to the loop's handler.
        stop.note(signum)  # so the loop's callback for this signal dispatches it, as before
        if active:
            interrupt.signal_name = signal.Signals(signum).name
            raise Interrupted(interrupt.signal_name)

    previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    try:
        for sig in _SIGNALS:
            signal.signal(sig, raise_interrupted)
    except ValueError:  # not the main thread: signals stay with the loop
        yield
        return
    try:
        yield
    finally:
        active = False
        for sig, handler in previous.items():
            if handler is not None:
                signal.signal(sig, handler)


def setup_interruption(interrupt: Interrupt, exc: BaseException) -> str | None:
    """The one-line message for a signal that stopped the setup, or None when `exc` is not one."""
    if isinstance(exc, Interrupted) or (isinstance(exc, asyncio.CancelledError) and interrupt.fired):
        name = interrupt.signal_name or "SIGINT"
        return f"interrupted by {name} before the first level: nothing was measured, no run file written"
    return None
