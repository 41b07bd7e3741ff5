"""Reliability (issue 23): Ctrl-C and SIGTERM are noticed inside CPU-bound steps (building huge prompts,
multi-turn sessions, trace prompts) that never give the event loop control. Real signals to a real
`inferboard collect` process; the test polls for the exit with a deadline far below what the step would
take if the signal waited for it (minutes), and never measures elapsed time itself."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector import stop
from collector.schema import load_run
from collector.workloads import prompts as workload
from tests.helpers.rel_support import spawn, wait_for_text
from tests.helpers.scripted_server import Script, ScriptedServer

BIG = 150 * 2**20  # bytes of prompts the child holds once it is surely inside the CPU-bound step


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _wait_until_building(proc: subprocess.Popen[str], progress: Path, marker: str) -> None:
    """The child has printed `marker` and holds BIG bytes more: it is in the middle of building prompts."""
    wait_for_text(progress, marker, 60, proc)
    deadline = time.monotonic() + 120
    while _rss(proc.pid) < BIG:
        assert proc.poll() is None, progress.read_text()
        assert time.monotonic() < deadline, "the child never started building"
        time.sleep(0.05)


def _exit_status(proc: subprocess.Popen[str], limit_s: float) -> int:
    """Poll for the exit; kill and fail if the child is still busy after `limit_s` (a step that ignores the
    signal needs minutes here)."""
    deadline = time.monotonic() + limit_s
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            proc.communicate()
            raise AssertionError("the signal was not noticed: the child was still building prompts")
        time.sleep(0.05)
    return proc.returncode


def _trace(path: Path, lines: int, tokens: int) -> Path:
    path.write_text(
        "".join(f'{{"timestamp": {i}, "input_length": {tokens}, "output_length": 4}}\n' for i in range(lines))
    )
    return path


CASES = {
    # 60 prompts of 10M tokens (40 MB each, ~4 s each to draw): built before the first level.
    "fixed-setup": (["--input-tokens", "10000000", "--requests", "60"], "preparing prompts", None),
    # Sessions of 4 turns of 2.4M tokens, built when the level starts: the run keeps what was done.
    "multi-turn-level": (
        ["--workload", "multi-turn", "--turns", "4", "--input-tokens", "2400000", "--requests", "200"],
        "preparing prompts",
        "interrupted",
    ),
    # A trace whose every request asks 10M tokens: trace prompts are built during the setup.
    "trace-setup": (["--workload", "trace"], "preparing prompts", None),
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "sig"),
    [("fixed-setup", signal.SIGINT), ("multi-turn-level", signal.SIGINT), ("trace-setup", signal.SIGTERM)],
)
def test_a_signal_stops_prompt_building_and_keeps_what_was_done(
    tmp_path: Path, case: str, sig: signal.Signals
) -> None:
    args, marker, kept = CASES[case]
    if case == "trace-setup":
        args = [*args, "--trace", str(_trace(tmp_path / "t.jsonl", 60, 10_000_000))]
    progress, out = tmp_path / "progress.txt", tmp_path / "runs"
    with ScriptedServer(Script(ttft_ms=1.0, itl_ms=1.0)) as srv:
        base = ["--endpoint", srv.url, "--backend", "openai", "--output-tokens", "4", "--warmup", "0"]
        proc = spawn([*base, "--concurrency", "1", *args], out, progress)
        try:
            _wait_until_building(proc, progress, marker)
            proc.send_signal(sig)
            status = _exit_status(proc, 45)
        finally:
            proc.kill()
            proc.communicate()
    err = progress.read_text()
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert status == 130, err
    assert "Traceback" not in err
    if kept is None:
        nothing = "nothing was measured, no run file written"
        assert errors == [f"error: interrupted by {sig.name} before the first level: {nothing}"]
        assert not list(out.glob("*.json"))
    else:
        assert errors == [f"error: interrupted by {sig.name}: completed levels were kept"]
        [path] = out.glob("*.json")
        assert load_run(path).status == kept


def _one_word_at_a_time(text: str, min_chars: int, rng: random.Random, *, sep_first: bool) -> str:
    """The loop `_grow` replaced: its batches must draw exactly these words."""
    while len(text) < min_chars:
        word = rng.choice(workload._WORDS)
        text += " " + word if sep_first else word + " "
    return text


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    start=st.text(alphabet="ab ", max_size=20),
    min_chars=st.integers(0, 300_000),
    sep_first=st.booleans(),
)
def test_batched_word_drawing_gives_the_same_text_as_one_word_at_a_time(
    seed: int, start: str, min_chars: int, sep_first: bool
) -> None:
    a, b = random.Random(seed), random.Random(seed)
    assert workload._grow(start, min_chars, a, sep_first=sep_first) == _one_word_at_a_time(
        start, min_chars, b, sep_first=sep_first
    )
    assert a.random() == b.random()  # and leaves the generator where the old loop left it


def test_check_dispatches_each_signal_once_and_stops_the_step() -> None:
    fired: list[signal.Signals] = []
    stop.arm(fired.append)
    try:
        stop.check()  # nothing pending: returns
        stop.note(signal.SIGTERM)
        with pytest.raises(stop.Interrupted) as caught:
            stop.check()  # no running task to cancel: the caller is told
        assert caught.value.signal_name == "SIGTERM"
        stop.dispatch_pending()  # the event loop's callback for the same signal: already handed over
        assert fired == [signal.SIGTERM]
    finally:
        stop.disarm()
    stop.check()  # disarmed: nothing pending
