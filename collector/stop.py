"""Stop when asked, also inside CPU-bound steps.

The collector takes SIGINT/SIGTERM through the event loop (`run.interrupts`), whose callbacks run only when
the loop gets control. A step that computes for minutes without awaiting (building 200 prompts of 10M tokens,
parsing a huge trace, serialising request bodies) never gives it control, so the signal would wait for the
step to end. Python-level signal handlers, however, run between any two bytecodes: while signals are
`armed`, `note` (the Python-level handler) records each signal, and the CPU-bound loops call `check()` every
so often. `check()` hands each recorded signal to the dispatcher exactly once (the loop's own callback for the
same signal finds it already handed over), then stops the step: with `asyncio.CancelledError` when the
dispatcher cancelled the running task (the usual case: the setup or the level is cancelled, as if the signal
had arrived at an `await`), else with `Interrupted` for the caller to catch (a prompt pool grown between two
levels just stops growing; the sweep sees the signal before the next level).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from types import FrameType

Dispatch = Callable[[signal.Signals], None]


class Interrupted(BaseException):
    """A signal stopped a step that could not be cancelled at an `await` (a blocking setup step, or a
    CPU-bound one that noticed it through `check`)."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


_received: list[signal.Signals] = []
_dispatched = 0
_dispatch: Dispatch | None = None


def arm(dispatch: Dispatch) -> None:
    """From now on recorded signals go to `dispatch` (once each); forgets signals of an earlier run."""
    global _dispatch, _dispatched
    _received.clear()
    _dispatched = 0
    _dispatch = dispatch


def disarm() -> None:
    global _dispatch, _dispatched
    _received.clear()
    _dispatched = 0
    _dispatch = None


def note(signum: int, _frame: FrameType | None = None) -> None:
    """The Python-level signal handler: records the signal (it runs between bytecodes, even in a loop that
    never awaits). The C-level handler still wakes the event loop, whose callback is `dispatch_pending`."""
    _received.append(signal.Signals(signum))


def dispatch_pending() -> None:
    """Hand every recorded signal not yet handed over to the dispatcher (the loop's signal callback)."""
    global _dispatched
    while _dispatch is not None and _dispatched < len(_received):
        sig = _received[_dispatched]
        _dispatched += 1
        _dispatch(sig)


def check() -> None:
    """Called by CPU-bound loops: returns at once unless a signal was recorded; then stops the step."""
    if not _received:
        return
    dispatch_pending()
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop: a synchronous caller
        task = None
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
    raise Interrupted(_received[0].name)
