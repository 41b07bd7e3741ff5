"""The host's load before each level, and the bounded wait for a quiet host (--quiet-wait)."""

from __future__ import annotations

import asyncio
import io
import os
import signal
from pathlib import Path

import pytest
from pydantic import ValidationError

from collector.config.collect import CollectConfig
from collector.measure.selfcheck import BUSY_ADVICE, STARVED_ADVICE, assess
from collector.run import hostwait
from collector.run.hostwait import HostSample, Sampler, host_before_level, is_quiet, other_cpu_cores
from collector.run.progress import Progress, level_notes, summary_table
from collector.run.runner import CollectResult, collect
from collector.schema import HostLoad, LevelResult, load_run
from tests.helpers.scripted_server import Script, ScriptedServer


def test_other_cpu_cores_by_hand() -> None:
    # host busy 2.0 s over 1 s, this process 0.3 s, its children 0.2 s: others used 1.5 cores.
    assert other_cpu_cores(2.0, 0.3, 0.2, 1.0) == pytest.approx(1.5)
    assert other_cpu_cores(0.4, 0.1, 0.05, 0.5) == pytest.approx(0.5)  # 0.25 s over half a second
    assert other_cpu_cores(0.1, 0.12, 0.0, 1.0) == 0.0  # tick rounding: never below zero
    assert other_cpu_cores(1.0, 0.0, 0.0, 0.0) is None


def test_is_quiet() -> None:
    assert is_quiet(HostSample(1.0, 0.2, 0.0), 0.25) is True
    assert is_quiet(HostSample(1.0, 0.3, 0.0), 0.25) is False
    assert is_quiet(HostSample(None, None, None), 0.25) is None


class _FakeHost:
    """Samples with given other-CPU figures; each sample advances a fake clock by one second."""

    def __init__(self, others: list[float | None]) -> None:
        self.others, self.now, self.calls = others, 0.0, 0

    async def sample(self) -> HostSample:
        other = self.others[min(self.calls, len(self.others) - 1)]
        self.calls += 1
        self.now += 1.0
        return HostSample(load_1m=3.0, other_cpu_cores=other, steal_percent=0.0)

    def clock(self) -> float:
        return self.now


def _wait(fake: _FakeHost, wait_s: float, waits: list[float] | None = None) -> HostLoad:
    def on_wait(_sample: HostSample, waited: float) -> None:
        if waits is not None:
            waits.append(waited)

    return asyncio.run(
        host_before_level(
            wait_s=wait_s, threshold_cores=0.25, sample=fake.sample, clock=fake.clock, on_wait=on_wait
        )
    )


def test_no_wait_records_one_sample() -> None:
    fake = _FakeHost([2.0])
    host = _wait(fake, 0.0)
    assert fake.calls == 1
    assert host.model_dump() == {
        "load_1m": 3.0,
        "other_cpu_cores": 2.0,
        "steal_percent": 0.0,
        "threshold_cores": None,
        "waited_s": 0.0,
        "quiet": None,
    }


def test_wait_ends_when_the_host_quiets() -> None:
    fake, waits = _FakeHost([2.0, 1.0, 0.1]), list[float]()
    host = _wait(fake, 60.0, waits)
    assert fake.calls == 3 and waits == [0.0, 1.0]
    assert (host.quiet, host.waited_s, host.other_cpu_cores, host.threshold_cores) == (True, 2.0, 0.1, 0.25)


def test_wait_never_quiet_stops_after_quiet_wait() -> None:
    fake = _FakeHost([2.0])
    host = _wait(fake, 3.0)
    assert fake.calls == 4  # the first window, then three more until 3 s had passed
    assert (host.quiet, host.waited_s) == (False, 3.0)


def test_unknown_host_load_does_not_wait() -> None:
    fake = _FakeHost([None])
    host = _wait(fake, 60.0)
    assert fake.calls == 1 and host.quiet is None and host.waited_s == 0.0


def test_sample_without_proc_returns_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hostwait, "read_cpu_times", lambda: None)
    monkeypatch.setattr(hostwait, "read_load_1m", lambda: None)
    sample = asyncio.run(hostwait.sample_host(window_s=3600.0))  # would hang if it slept
    assert sample == HostSample(None, None, None)


def _collect(url: str, out: Path, **kw: object) -> CollectResult:
    config = CollectConfig.model_validate(
        {
            "endpoint": url,
            "backend": "openai",
            "out": out,
            "input_tokens": 8,
            "output_tokens": 4,
            "warmup": 0,
            "quality": False,
            **kw,
        }
    )
    return asyncio.run(collect(config))


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs Linux /proc")
@pytest.mark.slow
def test_every_level_records_the_host_and_the_client_figures(tmp_path: Path) -> None:
    with ScriptedServer(Script(ttft_ms=2.0, itl_ms=1.0)) as srv:
        result = _collect(srv.url, tmp_path, concurrency=[1, 2], requests=4)
    assert result.path is not None
    record = load_run(result.path)
    assert len(record.results) == 2
    for level in record.results:
        host, client = level.host, level.client
        assert host is not None and client is not None
        assert host.load_1m is not None and host.load_1m >= 0
        assert host.other_cpu_cores is not None and host.other_cpu_cores >= 0
        assert host.steal_percent is not None and host.steal_percent >= 0
        assert (host.threshold_cores, host.quiet, host.waited_s) == (None, None, 0.0)  # no --quiet-wait
        assert client.host_load_1m is not None and client.host_load_1m >= 0
        assert client.client_cpu_share_percent is None or 0 <= client.client_cpu_share_percent <= 100


def _busy_host(calls: list[int]) -> Sampler:
    async def sample() -> HostSample:
        calls.append(1)
        assert len(calls) < 10_000, "the wait did not stop"
        await asyncio.sleep(0.01)
        return HostSample(load_1m=5.0, other_cpu_cores=1.5, steal_percent=0.0)

    return sample


@pytest.mark.slow
def test_quiet_wait_on_a_busy_host_runs_out_and_measures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(hostwait, "sample_host", _busy_host(calls))
    with ScriptedServer(Script(ttft_ms=2.0, itl_ms=1.0)) as srv:
        result = _collect(srv.url, tmp_path, concurrency=[1], requests=2, quiet_wait_s=0.2, quiet_cores=0.25)
    assert result.path is not None
    record = load_run(result.path)
    [level] = record.results
    assert level.completed == 2 and level.host is not None
    assert level.host.quiet is False and level.host.waited_s >= 0.2
    assert level.host.other_cpu_cores == 1.5 and level.host.threshold_cores == 0.25
    assert any("not quiet" in note for note in record.notes)


def test_ctrl_c_stops_the_quiet_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    busy = _busy_host(calls)

    async def sample() -> HostSample:
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)  # taken by the collector's handler, as a Ctrl-C would be
        return await busy()

    monkeypatch.setattr(hostwait, "sample_host", sample)
    with ScriptedServer(Script(ttft_ms=2.0, itl_ms=1.0)) as srv:
        result = _collect(srv.url, tmp_path, concurrency=[1], requests=2, quiet_wait_s=3600.0)
    assert result.exit_code == 130
    assert result.path is not None
    record = load_run(result.path)
    assert record.status_reason == "stopped by SIGINT while waiting for a quiet host before c=1"
    assert record.status == "interrupted"
    assert record.results == []


def _level(concurrency: int, **kw: object) -> LevelResult:
    return LevelResult(
        concurrency=concurrency,
        request_rate=None,
        completed=4,
        failed=0,
        duration_s=1.0,
        ttft_ms=None,
        tpot_ms=None,
        itl_ms=None,
        e2e_ms=None,
        per_user_tok_s=None,
        output_throughput_tok_s=10.0,
        request_throughput_rps=4.0,
        input_tokens_total=32,
        output_tokens_total=16,
        **kw,  # type: ignore[arg-type]
    )


def test_console_tells_busy_from_starved_with_the_advice() -> None:
    starved = assess([20.0] * 100, cpu_s=0.02, wall_s=1.0, load_1m=9.5)
    busy = assess([1.0] * 100, cpu_s=0.95, wall_s=1.0)
    results = [
        _level(1, client=assess([1.0] * 100, cpu_s=0.1, wall_s=1.0)),
        _level(2, client=starved),
        _level(
            4, client=busy, host=HostLoad(other_cpu_cores=1.2, threshold_cores=0.25, waited_s=5, quiet=False)
        ),
    ]
    table = summary_table(results)
    assert "c=2 [client starved]" in table and "c=4 [client busy] [host not quiet]" in table
    assert "c=1 [" not in table
    notes = level_notes(results)
    assert notes[0] == "notes:"
    assert f"  c=2: client starved: {starved.reason}" in notes
    assert f"  fix for client starved: {STARVED_ADVICE}" in notes
    assert f"  fix for client busy: {BUSY_ADVICE}" in notes
    assert "  c=4: host not quiet after waiting 5 s: other processes used 1.20 cores > 0.25" in notes
    assert level_notes(results[:1]) == []


def test_quiet_options_are_bounded() -> None:
    with pytest.raises(ValidationError, match="quiet wait must be <= 3600 \\(an hour per level\\)"):
        CollectConfig(quiet_wait_s=7200)
    with pytest.raises(ValidationError, match="quiet cores must be >= 0"):
        CollectConfig(quiet_cores=-0.5)


def test_progress_draws_the_wait_on_a_tty_only() -> None:
    stream = io.StringIO()
    progress = Progress(stream, enabled=True)
    progress.end_status_line()
    assert stream.getvalue() == ""  # nothing drawn, nothing to clear
    progress.status_line("  c=1: waiting for a quiet host")
    progress.end_status_line()
    assert stream.getvalue().startswith("\r  c=1: waiting for a quiet host") and stream.getvalue().endswith(
        "\r"
    )
    quiet = io.StringIO()
    Progress(quiet, enabled=False).status_line("x")
    assert quiet.getvalue() == ""
