"""The vLLM adapter against vLLM's real server (CPU build 0.32.0, real SmolLM2-135M-Instruct weights).

Everything the adapter claims from vLLM's documentation is checked here against the server itself:
detection, version, readiness, the tokenize endpoint, ignore_eos/min_tokens, every Prometheus name it
maps (with counter deltas equal to the tokens sent and generated), and both OpenAI APIs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from collector.backends import get_adapter
from collector.backends.detect import identify_backend
from collector.measure.servermetrics import ServerMetricsTracker, canonical_values, ratio_names, snapshot
from tests.helpers.vllm_support import VllmServer, needs_vllm

pytestmark = [pytest.mark.vllm, pytest.mark.slow, needs_vllm]
ADAPTER = get_adapter("vllm")
PROMPT = "The quick brown fox jumps over the lazy dog. Write a short story about a fox:"


async def _completion(client: httpx.AsyncClient, model: str, prompt: str, max_tokens: int) -> dict[str, Any]:
    extras = ADAPTER.request_extras(ignore_eos=True, output_tokens=max_tokens)
    body = {"model": model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0, **extras}
    response = await client.post("/v1/completions", json=body, timeout=300)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_detection_version_and_readiness(vllm_server: VllmServer) -> None:
    async def probe() -> tuple[str, str, Any, bool]:
        async with httpx.AsyncClient(base_url=vllm_server.base_url) as client:
            found = await identify_backend(client)
            info = await ADAPTER.version(client)
            return found.name, found.evidence, info, await ADAPTER.ready(client)

    name, evidence, info, ready = asyncio.run(probe())
    assert name == "vllm", evidence
    assert info.version == "0.32.0" and info.source == "GET /version"
    root = str(vllm_server.model_dir)
    assert info.reported == {"id": vllm_server.model, "root": root, "max_model_len": 2048}
    assert ready
    assert ADAPTER.readiness_paths == ("/health",)


def test_tokenize_gives_the_exact_prompt_length(vllm_server: VllmServer) -> None:
    async def run() -> tuple[list[int] | None, dict[str, Any]]:
        async with httpx.AsyncClient(base_url=vllm_server.base_url) as client:
            tokens = await ADAPTER.tokenize(client, PROMPT, vllm_server.model)
            return tokens, await _completion(client, vllm_server.model, PROMPT, 4)

    tokens, answer = asyncio.run(run())
    assert tokens is not None and len(tokens) > 10
    # SmolLM2's tokenizer adds no BOS: the server's prompt count is exactly the tokenize count.
    assert answer["usage"]["prompt_tokens"] == len(tokens)


@pytest.mark.parametrize("max_tokens", [1, 40])
def test_ignore_eos_gives_exactly_max_tokens(vllm_server: VllmServer, max_tokens: int) -> None:
    async def run() -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=vllm_server.base_url) as client:
            # A question the model answers in a few tokens: without ignore_eos it would stop early.
            return await _completion(client, vllm_server.model, "What is the capital of France?", max_tokens)

    answer = asyncio.run(run())
    assert answer["usage"]["completion_tokens"] == max_tokens
    assert answer["choices"][0]["finish_reason"] == "length"


def test_every_mapped_prometheus_name_exists(vllm_server: VllmServer) -> None:
    async def scrape() -> dict[str, float] | Any:
        async with httpx.AsyncClient(base_url=vllm_server.base_url) as client:
            return await snapshot(client, "/metrics", ratio_names(ADAPTER))

    values = asyncio.run(scrape())
    assert isinstance(values, dict)
    found = canonical_values(ADAPTER, values)
    assert set(found) == set(ADAPTER.metric_names), "a mapped metric is missing from vLLM's /metrics"
    # The first candidate of each name is the one vLLM 0.32 exposes (older spellings come after it).
    for canonical, candidates in ADAPTER.metric_names.items():
        assert candidates[0] in values or f"{candidates[0]}_total" in values, canonical


def test_counter_deltas_equal_the_tokens_sent_and_generated(vllm_server: VllmServer) -> None:
    shared = " ".join(f"word{i}" for i in range(120))  # long enough to fill whole KV blocks

    async def run() -> tuple[Any, list[dict[str, Any]]]:
        async with (
            httpx.AsyncClient(base_url=vllm_server.base_url) as load,
            httpx.AsyncClient(base_url=vllm_server.base_url) as scraper,
        ):
            tracker = ServerMetricsTracker(ADAPTER, scraper, interval_s=0.2)
            await tracker.start()
            first = await _completion(load, vllm_server.model, shared + " first", 24)
            rest = await asyncio.gather(
                *(_completion(load, vllm_server.model, f"{shared} request {i}", 24) for i in range(4))
            )
            return await tracker.stop(), [first, *rest]

    result, answers = asyncio.run(run())
    prompted = sum(a["usage"]["prompt_tokens"] for a in answers)
    generated = sum(a["usage"]["completion_tokens"] for a in answers)
    assert generated == 24 * len(answers)
    assert result.error is None
    assert result.deltas["generation_tokens"] == generated
    assert result.deltas["prompt_tokens"] == prompted
    assert result.deltas["prefix_cache_queries"] == prompted  # vLLM counts queried prompt tokens
    # The four later requests share the first one's prefix: whole cached blocks are hits.
    assert 0 < result.deltas["prefix_cache_hits"] < prompted
    assert result.deltas["preemptions"] == 0
    assert result.peaks["running_requests"] >= 1
    assert 0 < result.peaks["kv_cache_usage"] <= 1
    assert result.peaks["waiting_requests"] >= 0


@pytest.mark.parametrize("api", ["completions", "chat"])
def test_streaming_apis_report_usage(vllm_server: VllmServer, api: str) -> None:
    path = "/v1/completions" if api == "completions" else "/v1/chat/completions"
    body: dict[str, Any] = {"model": vllm_server.model, "max_tokens": 12, "temperature": 0, "stream": True}
    body["stream_options"] = {"include_usage": True}
    body.update(ADAPTER.request_extras(ignore_eos=True, output_tokens=12))
    if api == "chat":
        body["messages"] = [{"role": "user", "content": "What is the capital of France?"}]
    else:
        body["prompt"] = "What is the capital of France?"
    with (
        httpx.Client(base_url=vllm_server.base_url, timeout=300) as client,
        client.stream("POST", path, json=body) as response,
    ):
        assert response.status_code == 200
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    usage = httpx.Response(200, content=lines[-2].removeprefix("data: ")).json()["usage"]
    assert usage["completion_tokens"] == 12


def test_greedy_answer_shows_the_weights_are_real(vllm_server: VllmServer) -> None:
    # The ChatML turn without the template's default system prompt (with it, 135M parameters ramble).
    prompt = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    body = {"model": vllm_server.model, "prompt": prompt, "max_tokens": 16, "temperature": 0}
    with httpx.Client(base_url=vllm_server.base_url, timeout=300) as client:
        answer = client.post("/v1/completions", json=body).json()
    assert answer["choices"][0]["text"] == "The capital of France is Paris."
