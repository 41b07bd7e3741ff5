"""The capacity search driving real load levels (collector.load + collector.metrics) against a scripted
server that serves at most B streams at once and queues the rest.

Service time S = the scripted TTFT (one output token). Up to B users, every request is admitted at once and
its TTFT is ~S; with B + 1 users, one request of the first round waits a whole service time (TTFT ~2 S). A
TTFT SLO of 1.5 S therefore holds at 99% exactly up to B users: the capacity is exactly B.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from collector.load.client import ClientShards, PreparedRequest
from collector.load.scheduling import LevelState, closed_loop
from collector.measure.metrics import aggregate_level
from collector.schema import SLO, Capacity, Timeouts
from collector.workloads.capacity import find_capacity
from tests.helpers.scripted_server import Script, ScriptedServer

BATCH = 3
SERVICE_MS = 200.0
SLO_TTFT = SLO(ttft_ms=1.5 * SERVICE_MS)


def _requests() -> list[PreparedRequest]:
    body = {"model": "scripted", "prompt": "hello", "max_tokens": 1, "stream": True}
    return [PreparedRequest("/v1/completions", json.dumps(body).encode(), 1)]


async def _search(url: str, maximum: int) -> Capacity:
    requests = _requests()

    async def probe(level: float) -> float:
        users = int(level)
        state = LevelState(total=3 * users)
        async with ClientShards(
            url, api_key=None, timeouts=Timeouts(connect_s=10.0, read_s=60.0, total_s=600.0), users=users
        ) as shards:
            await closed_loop(
                shards,
                requests,
                concurrency=users,
                count=3 * users,
                duration_s=None,
                total_timeout_s=30.0,
                state=state,
            )
        result = aggregate_level(
            state.outcomes,
            concurrency=users,
            request_rate=None,
            measure_from_scheduled=False,
            ignore_eos=True,
            slo=SLO_TTFT,
        )
        assert result.goodput is not None and result.failed == 0
        return result.goodput.fraction

    return await find_capacity(probe, mode="concurrency", slo=SLO_TTFT, maximum=maximum)


@pytest.mark.slow
def test_capacity_equals_the_servers_batch_limit() -> None:
    with ScriptedServer(Script(ttft_ms=SERVICE_MS, itl_ms=5.0, batch_limit=BATCH)) as srv:
        result = asyncio.run(_search(srv.url, maximum=16))
    assert result.capacity == BATCH
    assert result.next_level == BATCH + 1
    assert [p.level for p in result.probes] == [1, 2, 4, 3]
    assert result.attainment_at_capacity == 1.0
    # Four users, three slots: one request in each round of four waits a whole service time.
    assert result.attainment_at_next_level is not None and result.attainment_at_next_level <= 0.75


@pytest.mark.slow
def test_a_maximum_below_the_batch_limit_is_reported_as_a_lower_bound() -> None:
    with ScriptedServer(Script(ttft_ms=SERVICE_MS, itl_ms=5.0, batch_limit=BATCH)) as srv:
        result = asyncio.run(_search(srv.url, maximum=2))
    assert result.capacity == 2 and result.lower_bound
