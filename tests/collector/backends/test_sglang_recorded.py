"""The SGLang adapter against responses RECORDED from SGLang 0.5.23's real server (not its documentation).

tests/fixtures/backends/sglang-0.5.23/README.md says how they were recorded; a loopback HTTP server replays
them at the paths the real server answered (and 404s where it did: `/version`). The live counterpart is
tests/collector/engines/test_engine_sglang.py (opt-in).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from collector.backends import get_adapter
from collector.backends.detect import identify_backend
from collector.measure.servermetrics import (
    aggregate,
    canonical_values,
    level_metrics,
    parse_prometheus,
    ratio_names,
)

RECORDED = Path(__file__).resolve().parents[2] / "fixtures" / "backends" / "sglang-0.5.23"


def body(name: str) -> Any:
    return json.loads((RECORDED / name).read_text())


def routes(*, current_paths: bool = True) -> dict[tuple[str, str], bytes]:
    """What the real server answered; without `current_paths`, an older release's paths only."""
    server_info = (RECORDED / "sglang_server_info.json").read_bytes()
    model_info = (RECORDED / "sglang_model_info.json").read_bytes()
    out = {
        ("GET", "/health"): b"",
        ("GET", "/get_server_info"): server_info,
        ("GET", "/get_model_info"): model_info,
        ("GET", "/v1/models"): (RECORDED / "sglang_models.json").read_bytes(),
        ("POST", "/tokenize"): (RECORDED / "sglang_tokenize.json").read_bytes(),
        ("GET", "/metrics"): (RECORDED / "sglang_metrics.txt").read_bytes(),
    }
    if current_paths:
        out[("GET", "/server_info")] = server_info
        out[("GET", "/model_info")] = model_info
        out[("POST", "/v1/tokenize")] = (RECORDED / "sglang_v1_tokenize.json").read_bytes()
    return out


class Replay:
    """Loopback HTTP server answering the recorded bodies; records which paths were asked."""

    def __init__(self, answers: dict[tuple[str, str], bytes]) -> None:
        self.asked: list[tuple[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.asked.append((method, self.path))
                found = answers.get((method, self.path))
                self.send_response(404 if found is None else 200)
                data = b'{"detail":"Not Found"}' if found is None else found
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def replay() -> Iterator[Replay]:
    server = Replay(routes())
    yield server
    server.close()


def ask(server: Replay, call: Any) -> Any:
    async def go() -> Any:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            return await call(client)

    return asyncio.run(go())


def test_version_comes_from_server_info_not_the_deprecated_alias(replay: Replay) -> None:
    info = ask(replay, get_adapter("sglang").version)
    assert (info.version, info.source) == ("0.5.23", "GET /server_info")
    assert ("GET", "/get_server_info") not in replay.asked  # deprecated: SGLang logs a warning per call
    assert info.reported["attention_backend"] == "torch_native"
    assert info.reported["context_length"] == 2048
    assert info.reported["max_total_num_tokens"] == 8192
    assert info.reported["served_model_name"] == "smollm2-135m"
    assert info.reported["device"] == "cpu"
    assert "internal_states" not in info.reported  # nested values are not scalars


def test_an_older_release_without_server_info_still_gives_the_version() -> None:
    server = Replay(routes(current_paths=False))
    try:
        info = ask(server, get_adapter("sglang").version)
    finally:
        server.close()
    assert (info.version, info.source) == ("0.5.23", "GET /get_server_info")


def test_auto_detection_says_sglang_from_server_info(replay: Replay) -> None:
    detection = ask(replay, identify_backend)
    assert detection.name == "sglang"
    assert detection.evidence == "GET /server_info has version and server args"
    # Without the server-info endpoints, /v1/models' owned_by still says SGLang.
    models = body("sglang_models.json")
    assert models["data"][0]["owned_by"] == "sglang" and models["data"][0]["max_model_len"] == 2048


def test_tokenize_shape_and_both_paths_agree(replay: Replay) -> None:
    adapter = get_adapter("sglang")
    tokens = ask(replay, lambda c: adapter.tokenize(c, "The capital of France is", "smollm2-135m"))
    recorded = body("sglang_tokenize.json")
    assert tokens == recorded["tokens"] and recorded["count"] == len(tokens) == 5
    assert recorded["max_model_len"] == 2048
    assert body("sglang_v1_tokenize.json") == recorded


def test_every_metric_name_the_adapter_claims_is_exposed_and_maps() -> None:
    adapter = get_adapter("sglang")
    text = (RECORDED / "sglang_metrics.txt").read_text()
    values = aggregate(parse_prometheus(text).samples, ratio_names(adapter))
    canonical = canonical_values(adapter, values)
    assert set(canonical) == set(adapter.metric_names)  # no claimed name is missing from the real server
    # The recording's counters after SGLang's own warm-up request (6 prompt, 8 generated tokens) and the
    # recorded stream (5 prompt tokens, 2 of them cached from the warm-up, 12 generated): label sets summed.
    assert canonical == {
        "running_requests": 0.0,
        "waiting_requests": 0.0,
        "kv_cache_usage": 0.0,
        "prefix_cache_hits": 2.0,
        "prompt_tokens": 11.0,
        "generation_tokens": 20.0,
    }


def test_streamed_completion_counts_tokens_from_usage() -> None:
    events = body("sglang_stream.json")
    text_chunks = [e for e in events if e["choices"]]
    usage = events[-1]["usage"]
    # max_tokens = min_tokens = 12 with ignore_eos: exactly 12 tokens, counted by usage, not by chunks.
    assert usage["completion_tokens"] == 12 and usage["prompt_tokens"] == 5
    assert text_chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert all(e["usage"] is None for e in text_chunks)
    assert body("sglang_statuses.json") == {"/version": 404, "/get_server_info": 200, "/health": 200}


def test_a_counter_series_born_during_the_level_counts_from_zero() -> None:
    # SGLang creates the `cache_source` series of cached_tokens on the first cache hit: a scrape taken
    # before any hit lacks the name altogether (seen live: the first level of a chat run lost its delta).
    adapter = get_adapter("sglang")
    text = (RECORDED / "sglang_metrics.txt").read_text()
    fresh = "\n".join(line for line in text.splitlines() if "cached_tokens_total" not in line)

    def scrape(exposition: str) -> dict[str, float]:
        samples = parse_prometheus(exposition).samples
        return canonical_values(adapter, aggregate(samples, ratio_names(adapter)))

    before, after = scrape(fresh), scrape(text)
    assert "prefix_cache_hits" not in before
    deltas, _, problems = level_metrics(before, after, [])
    assert deltas["prefix_cache_hits"] == 2.0 and problems == []
