"""--workers N: load spread over processes, outcomes merged exactly (real scripted server process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config.collect import CollectConfig
from collector.load import aio
from collector.load.workers import split
from collector.run.runner import collect
from collector.schema import load_run
from tests.helpers.scripted_server import Script, ScriptedServer


def test_split_is_even() -> None:
    assert split(10, 3) == [4, 3, 3]
    assert split(2, 4) == [1, 1, 0, 0]
    assert sum(split(1001, 7)) == 1001


def _collect(url: str, out: Path, **kw: object) -> Path:
    config = CollectConfig.model_validate(
        {
            "endpoint": url,
            "backend": "openai",
            "out": out,
            "input_tokens": 8,
            "output_tokens": 10,
            "warmup": 0,
            "workers": 2,
            **kw,
        }
    )
    result = aio.run(collect(config))
    assert result.path is not None
    return result.path


@pytest.mark.slow
def test_closed_loop_over_two_workers(tmp_path: Path) -> None:
    with ScriptedServer(Script(ttft_ms=30.0, itl_ms=4.0)) as srv:
        path = _collect(srv.url, tmp_path, concurrency=[4], requests=12)
    level = load_run(path).results[0]
    assert level.completed == 12 and level.failed == 0
    assert level.ttft_ms is not None and 29.0 <= level.ttft_ms.p50 <= 60.0
    assert level.tpot_ms is not None and abs(level.tpot_ms.p50 - 4.0) < 1.5
    assert load_run(path).workload.workers == 2


@pytest.mark.slow
def test_open_loop_schedule_is_shared_exactly(tmp_path: Path) -> None:
    with ScriptedServer(Script(ttft_ms=20.0, itl_ms=2.0)) as srv:
        path = _collect(srv.url, tmp_path, request_rate=[25.0], requests=20, concurrency=[])
    level = load_run(path).results[0]
    assert level.completed == 20
    # Latency counts from the schedule: if worker start-up leaked into it, TTFT would be seconds.
    assert level.ttft_ms is not None and level.ttft_ms.p50 < 200.0
    scheduled = sorted(r.scheduled_ms for r in level.requests)
    assert scheduled[0] >= 0.0 and len(set(scheduled)) == 20
