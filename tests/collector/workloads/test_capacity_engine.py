"""The capacity search against the real embedded llama.cpp engine with 2 parallel slots: a third concurrent
request waits for a slot (about one service time), so at a TTFT SLO of half a service time the capacity is
the number of slots."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.backends import get_adapter
from collector.load.client import ClientShards, PreparedRequest
from collector.load.scheduling import LevelState, closed_loop
from collector.measure.metrics import aggregate_level
from collector.schema import SLO, Capacity, LevelResult, Timeouts
from collector.server.engine import EmbeddedEngine
from collector.server.ggufgen import generate_gguf
from collector.workloads.capacity import find_capacity

pytestmark = [pytest.mark.engine, pytest.mark.slow]
SLOTS = 2
OUTPUT = 512
ADAPTER = get_adapter("llama.cpp")


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = generate_gguf(Path(tmp_path_factory.mktemp("models")) / "tiny.gguf", "tiny", "f32")
    with EmbeddedEngine(model.path, n_ctx=4096, n_parallel=SLOTS, metrics=True, alias="tiny") as engine:
        yield engine.base_url


def _requests() -> list[PreparedRequest]:
    extras = ADAPTER.request_extras(ignore_eos=True, output_tokens=OUTPUT)
    return [
        PreparedRequest(
            "/v1/completions",
            json.dumps(
                {
                    "model": "tiny",
                    "prompt": f"{i:08x} a short prompt",
                    "max_tokens": OUTPUT,
                    "stream": True,
                    **extras,
                }
            ).encode(),
            OUTPUT,
        )
        for i in range(64)
    ]


async def _level(url: str, users: int, count: int, slo: SLO | None) -> LevelResult:
    state = LevelState(total=count)
    async with ClientShards(
        url, api_key=None, timeouts=Timeouts(connect_s=10.0, read_s=60.0, total_s=600.0), users=users
    ) as shards:
        await closed_loop(
            shards,
            _requests(),
            concurrency=users,
            count=count,
            duration_s=None,
            total_timeout_s=120,
            state=state,
        )
    return aggregate_level(
        state.outcomes,
        concurrency=users,
        request_rate=None,
        measure_from_scheduled=False,
        ignore_eos=True,
        slo=slo,
    )


async def _service_ms(url: str) -> float:
    """One service time: the fastest of two requests sent alone (contention only ever inflates it)."""
    single = await _level(url, 1, 2, None)
    return min(r.e2e_ms or 0.0 for r in single.requests)


async def _search(url: str) -> tuple[Capacity, list[float]]:
    await _level(url, 1, 2, None)  # warm-up: the first request pays one-off costs
    services: list[float] = []

    async def probe(level: float) -> float:
        # This machine is shared: its speed drifts by several times within a minute, so the SLO (half a
        # service time) is measured around each probe, the faster of just before and just after it.
        before = await _service_ms(url)
        users = int(level)
        count = max(8, 4 * users)  # one stray slow request must not sink a low level
        state = LevelState(total=count)
        async with ClientShards(
            url, api_key=None, timeouts=Timeouts(connect_s=10.0, read_s=60.0, total_s=600.0), users=users
        ) as shards:
            await closed_loop(
                shards,
                _requests(),
                concurrency=users,
                count=count,
                duration_s=None,
                total_timeout_s=120,
                state=state,
            )
        services.append(min(before, await _service_ms(url)))
        result = aggregate_level(
            state.outcomes,
            concurrency=users,
            request_rate=None,
            measure_from_scheduled=False,
            ignore_eos=True,
            slo=SLO(ttft_ms=services[-1] / 2),
        )
        assert result.goodput is not None and result.failed == 0
        return result.goodput.fraction

    slo = SLO(ttft_ms=await _service_ms(url) / 2)
    return await find_capacity(probe, mode="concurrency", slo=slo, attainment=0.8, maximum=8), services


def test_capacity_equals_the_engines_parallel_slots(url: str) -> None:
    result, services = asyncio.run(_search(url))
    assert min(services) > 20  # the SLO is meaningful only if a service time dwarfs the prefill
    assert result.capacity == SLOTS, result
    assert result.next_level == SLOTS + 1
    assert [p.level for p in result.probes] == [1, 2, 4, 3]
