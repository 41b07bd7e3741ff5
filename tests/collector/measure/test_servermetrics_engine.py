"""ServerMetricsTracker on the real llama.cpp engine: counter deltas equal what the requests report."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from collector.backends import get_adapter
from collector.measure.servermetrics import ServerMetricsTracker
from collector.schema import ServerMetrics
from collector.server.engine import EmbeddedEngine
from collector.server.ggufgen import generate_gguf

pytestmark = pytest.mark.engine
SLOTS = 4


@pytest.fixture(scope="module")
def engine_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = generate_gguf(Path(tmp_path_factory.mktemp("models")) / "tiny.gguf", "tiny", "f32")
    with EmbeddedEngine(model.path, n_ctx=4096, n_parallel=SLOTS, metrics=True) as engine:
        yield engine.base_url


async def run_level(
    url: str, prompts: list[str], max_tokens: int
) -> tuple[ServerMetrics, list[dict[str, int]]]:
    adapter = get_adapter("llama.cpp")
    async with (
        httpx.AsyncClient(base_url=url, timeout=60) as load,
        httpx.AsyncClient(base_url=url, timeout=30) as scraper,
    ):
        tracker = ServerMetricsTracker(adapter, scraper, interval_s=0.05)
        await tracker.start()
        extras = adapter.request_extras(ignore_eos=True, output_tokens=max_tokens)
        responses = await asyncio.gather(
            *(
                load.post("/v1/completions", json={"prompt": p, "max_tokens": max_tokens, **extras})
                for p in prompts
            )
        )
        result = await tracker.stop()
    return result, [r.json()["usage"] for r in responses]


def test_tracker_deltas_equal_the_tokens_the_requests_report(engine_url: str) -> None:
    prompts = [f"request number {i} asks for some tokens" for i in range(12)]
    result, usages = asyncio.run(run_level(engine_url, prompts, max_tokens=48))
    generated = sum(u["completion_tokens"] for u in usages)
    prompted = sum(u["prompt_tokens"] for u in usages)
    assert generated == 48 * len(prompts)
    assert result.error is None
    assert result.deltas["generation_tokens"] == generated
    # llama.cpp counts cached prompt tokens apart from the ones it evaluated.
    assert result.deltas["prompt_tokens"] + result.deltas["prefix_cache_hits"] == prompted
    assert result.scrapes >= 2
    assert 0 <= result.peaks["running_requests"] <= SLOTS
    assert set(result.peaks) >= {"running_requests", "waiting_requests"}


def test_an_idle_level_has_zero_deltas(engine_url: str) -> None:
    result, usages = asyncio.run(run_level(engine_url, [], max_tokens=8))
    assert usages == []
    assert result.deltas["generation_tokens"] == 0 and result.deltas["prompt_tokens"] == 0
    assert result.peaks["running_requests"] == 0
