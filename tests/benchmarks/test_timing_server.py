"""Smoke tests of the benchmark timing server and floor client (real processes on loopback, no mocks).

Timing bounds are deliberately loose: other work shares this machine, and these tests check that the parts
work and report sensible figures, not the machine's precision (the benchmark reports that).
"""

from __future__ import annotations

import http.client
import json
import shutil
import sys
from collections.abc import Iterator

import bench_lib
import floor_client
import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("gcc") is None and shutil.which("cc") is None,
    reason="needs a C compiler to build the timing server",
)

TTFT_MS, ITL_MS, TOKENS = 50.0, 5.0, 10


@pytest.fixture(scope="module")
def server() -> Iterator[bench_lib.TimingServer]:
    srv = bench_lib.start_server(TTFT_MS, ITL_MS, TOKENS, cpu=None, realtime=False)
    yield srv
    srv.stop()


def _post(port: int, path: str, body: dict[str, object]) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    headers = {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    return resp.status, headers, data


def _events(data: bytes) -> list[str]:
    return [line[6:] for line in data.decode().split("\n") if line.startswith("data: ")]


def test_completions_stream_has_n_chunks_then_usage_then_done(server: bench_lib.TimingServer) -> None:
    status, headers, data = _post(
        server.port,
        "/v1/completions",
        {
            "model": "timing",
            "prompt": "one two three",
            "max_tokens": 7,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    assert status == 200
    assert headers["transfer-encoding"] == "chunked"
    events = _events(data)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    content = [c for c in chunks if c["choices"] and c["choices"][0]["text"]]
    assert len(content) == 7
    assert content[-1]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 7, "total_tokens": 10}


def test_chat_stream_without_include_usage_has_no_usage_chunk(server: bench_lib.TimingServer) -> None:
    status, _, data = _post(
        server.port,
        "/v1/chat/completions",
        {"model": "timing", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3, "stream": True},
    )
    assert status == 200
    chunks = [json.loads(e) for e in _events(data)[:-1]]
    assert all("usage" not in c for c in chunks)
    assert sum(1 for c in chunks if c["choices"][0]["delta"].get("content")) == 3


def test_models_health_and_unknown_route(server: bench_lib.TimingServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        answers = []
        for path in ("/v1/models", "/health", "/nope"):  # one keep-alive connection
            conn.request("GET", path)
            resp = conn.getresponse()
            answers.append((resp.status, resp.read()))
    finally:
        conn.close()
    assert answers[0][0] == 200 and json.loads(answers[0][1])["data"][0]["id"] == "timing"
    assert answers[1][0] == 200
    assert answers[2][0] == 404


def test_floor_client_measures_the_known_timing_and_server_logs_lateness(
    server: bench_lib.TimingServer,
) -> None:
    server.stats(reset=True)
    result = floor_client.run("127.0.0.1", server.port, concurrency=4, requests=8, max_tokens=TOKENS)
    assert result["completed"] == 8 and result["failed"] == 0
    assert result["output_tokens"] == 8 * TOKENS and result["chunks"] == 8 * TOKENS
    # Loose bounds: the truth is 50 ms / 5 ms; a loaded CI machine adds lateness but not this much.
    assert TTFT_MS <= result["ttft_ms"]["p50"] < TTFT_MS + 40
    assert ITL_MS - 1 < result["tpot_ms"]["p50"] < ITL_MS + 3
    ideal = bench_lib.ideal_throughput(4, TTFT_MS, ITL_MS, TOKENS)
    assert 0.3 * ideal < result["output_throughput_tok_s"] <= 1.05 * ideal
    assert result["cpu_s_in_loop"] > 0
    stats = server.stats()
    assert stats["chunks"] == 8 * TOKENS
    assert stats["streams_done"] == 8 and stats["streams_aborted"] == 0
    lateness = stats["lateness_us"]
    assert 0 <= lateness["p50"] <= lateness["p99"] <= lateness["max"] + 1
    assert stats["first_chunk_lateness_us"]["n"] == 8


def test_sigterm_prints_final_stats() -> None:
    srv = bench_lib.start_server(TTFT_MS, ITL_MS, TOKENS, cpu=None, realtime=False)
    floor_client.run("127.0.0.1", srv.port, concurrency=2, requests=2, max_tokens=TOKENS)
    final = srv.stop()
    assert final is not None and final["chunks"] == 2 * TOKENS
    assert final["config"]["tokens"] == TOKENS


def test_run_child_reports_cpu_seconds() -> None:
    run = bench_lib.run_child([sys.executable, "-c", "sum(range(3_000_000)); print('ok')"])
    assert run.returncode == 0 and run.stdout.strip() == "ok"
    assert run.cpu_s > 0
