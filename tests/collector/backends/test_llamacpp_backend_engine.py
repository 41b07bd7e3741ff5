"""The llama.cpp adapter, `--backend auto` and the Prometheus parser against the real llama.cpp engine."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from collector.backends import get_adapter
from collector.backends.detect import identify_backend
from collector.measure.servermetrics import canonical_values, parse_prometheus, snapshot
from collector.server.engine import EmbeddedEngine
from collector.server.ggufgen import generate_gguf

pytestmark = pytest.mark.engine
T = TypeVar("T")


@pytest.fixture(scope="module")
def engine_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = generate_gguf(Path(tmp_path_factory.mktemp("models")) / "tiny.gguf", "tiny", "f32")
    with EmbeddedEngine(model.path, n_ctx=2048, n_parallel=2, metrics=True) as engine:
        yield engine.base_url


def call(url: str, fn: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    async def go() -> T:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            return await fn(client)

    return asyncio.run(go())


def test_ready_version_and_reported_config(engine_url: str) -> None:
    adapter = get_adapter("llama.cpp")
    assert call(engine_url, adapter.ready) is True
    info = call(engine_url, adapter.version)
    build_info = info.reported["build_info"]
    assert isinstance(build_info, str)
    if "unknown" in build_info or build_info.startswith("b0-"):
        assert (info.version, info.source) == (None, None)  # the wheel's build does not know its version
    else:
        assert info.version == build_info
    assert info.reported["n_ctx"] == 1024  # 2048 context shared by 2 slots
    assert info.reported["total_slots"] == 2
    assert isinstance(info.reported["meta.n_params"], int) and info.reported["meta.n_params"] > 0


def test_tokenize_matches_the_servers_prompt_count(engine_url: str) -> None:
    adapter = get_adapter("llama.cpp")
    text = "the quick brown fox jumps over the lazy dog"

    async def both(client: httpx.AsyncClient) -> tuple[list[int] | None, int]:
        tokens = await adapter.tokenize(client, text, "m")
        body = {"prompt": text, "max_tokens": 1, **adapter.request_extras(ignore_eos=True, output_tokens=1)}
        response = await client.post("/v1/completions", json=body)
        return tokens, int(response.json()["usage"]["prompt_tokens"])

    tokens, prompt_tokens = call(engine_url, both)
    assert tokens is not None and len(tokens) > 0
    assert len(tokens) == prompt_tokens  # this vocabulary adds no BOS to completions prompts


def test_detect_backend_on_the_real_engine(engine_url: str) -> None:
    detection = call(engine_url, identify_backend)
    assert detection.name == "llama.cpp"


def test_real_metrics_parse_and_map(engine_url: str) -> None:
    async def scrape(client: httpx.AsyncClient) -> str:
        return (await client.get("/metrics")).text

    exposition = parse_prometheus(call(engine_url, scrape))
    assert exposition.skipped_lines == 0
    assert exposition.types["llamacpp:tokens_predicted_total"] == "counter"
    assert exposition.types["llamacpp:requests_processing"] == "gauge"
    values = call(engine_url, snapshot)
    assert isinstance(values, dict)
    mapped = canonical_values(get_adapter("llama.cpp"), values)
    assert {
        "running_requests",
        "waiting_requests",
        "prompt_tokens",
        "generation_tokens",
        "prefix_cache_hits",
    } <= set(mapped)
