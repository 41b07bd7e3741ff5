"""Prometheus text parsing, aggregation and the per-level tracker (loopback servers, no engine)."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from collector.backends import get_adapter
from collector.measure.servermetrics import (
    ScrapeError,
    ServerMetricsTracker,
    aggregate,
    canonical_values,
    level_metrics,
    parse_prometheus,
    ratio_names,
    resolve,
    snapshot,
)
from collector.schema import ServerMetrics

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "backends"

HAND_WRITTEN = """\
# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\F.TXT",error="Cannot find:\\n\\"F.TXT\\""} 1.458255915e9
weird{a="x,y",b="}{"} 2
nan_gauge NaN
inf_gauge +Inf
neg_inf_gauge -Inf
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
this line is not a sample
broken{a="unterminated} 1
"""


def test_parse_hand_written_exposition() -> None:
    exposition = parse_prometheus(HAND_WRITTEN)
    assert exposition.types == {
        "http_requests_total": "counter",
        "rpc_duration_seconds": "summary",
        "http_request_duration_seconds": "histogram",
    }
    assert exposition.skipped_lines == 2
    by_name = {(s.name, s.labels): s.value for s in exposition.samples}
    assert by_name[("http_requests_total", (("method", "post"), ("code", "400")))] == 3
    path_sample = next(s for s in exposition.samples if s.name == "msdos_file_access_time_seconds")
    assert dict(path_sample.labels) == {"path": "C:\\DIR\\F.TXT", "error": 'Cannot find:\n"F.TXT"'}
    assert by_name[("weird", (("a", "x,y"), ("b", "}{")))] == 2
    assert by_name[("inf_gauge", ())] == math.inf and by_name[("neg_inf_gauge", ())] == -math.inf
    assert math.isnan(by_name[("nan_gauge", ())])
    assert by_name[("http_request_duration_seconds_bucket", (("le", "+Inf"),))] == 144320


def test_aggregate_sums_label_sets_and_averages_ratios() -> None:
    text = 'kv{engine="0"} 0.2\nkv{engine="1"} 0.6\nrunning{engine="0"} 3\nrunning{engine="1"} 4\nx NaN\n'
    samples = parse_prometheus(text).samples
    assert aggregate(samples) == pytest.approx({"kv": 0.8, "running": 7.0})
    assert aggregate(samples, frozenset({"kv"})) == pytest.approx({"kv": 0.4, "running": 7.0})
    assert resolve({"a_total": 5.0}, ("missing", "a")) == 5.0 and resolve({}, ("a",)) is None


def test_doc_metric_bodies_map_to_canonical_names() -> None:
    for backend, name, expected in [
        ("vllm", "vllm_metrics.txt", {"running_requests": 3, "waiting_requests": 1, "kv_cache_usage": 0.25,
                                      "preemptions": 0, "prompt_tokens": 1200, "generation_tokens": 560,
                                      "prefix_cache_queries": 1200, "prefix_cache_hits": 320}),
        ("sglang", "sglang_metrics.txt", {"running_requests": 162, "waiting_requests": 2826,
                                          "kv_cache_usage": 0.28, "prompt_tokens": 8128902,
                                          "generation_tokens": 7557572}),
        ("tgi", "tgi_metrics.txt", {"running_requests": 6, "waiting_requests": 2, "prompt_tokens": 2000,
                                    "generation_tokens": 5120}),
        ("trtllm", "trtllm_prometheus.txt", {"running_requests": 4, "waiting_requests": 0,
                                             "kv_cache_usage": 0.5, "prompt_tokens": 512,
                                             "generation_tokens": 1024}),
    ]:  # fmt: skip
        adapter = get_adapter(backend)
        values = aggregate(parse_prometheus((FIXTURES / name).read_text()).samples, ratio_names(adapter))
        assert canonical_values(adapter, values) == pytest.approx(expected), backend
        # The generic adapter knows every backend's names.
        assert canonical_values(get_adapter("openai"), values) == pytest.approx(expected), backend


def test_level_metrics_deltas_peaks_and_counter_reset() -> None:
    before = {"prompt_tokens": 100.0, "generation_tokens": 50.0, "running_requests": 0.0}
    during = [
        {"running_requests": 7.0, "kv_cache_usage": 0.4},
        {"running_requests": 3.0, "kv_cache_usage": 0.9},
    ]
    after = {"prompt_tokens": 180.0, "generation_tokens": 10.0, "running_requests": 1.0}
    deltas, peaks, problems = level_metrics(before, after, during)
    assert deltas == {"prompt_tokens": 80.0}
    assert peaks == {"running_requests": 7.0, "kv_cache_usage": 0.9}
    assert problems == ["generation_tokens went down (50 -> 10): server restarted?"]


class CountingMetricsServer:
    """Loopback /metrics whose counters grow by 10 tokens per scrape; or a fixed status code."""

    def __init__(self, status: int = 200) -> None:
        self.scrapes = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/metrics" or status != 200:
                    self.send_response(404 if self.path != "/metrics" else status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                owner.scrapes += 1
                n = owner.scrapes
                body = (
                    "# TYPE vllm:generation_tokens_total counter\n"
                    f'vllm:generation_tokens_total{{engine="0"}} {10 * n}\n'
                    f'vllm:generation_tokens_total{{engine="1"}} {10 * n}\n'
                    "# TYPE vllm:num_requests_running gauge\n"
                    f'vllm:num_requests_running{{engine="0"}} {n % 3}\n'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def metrics_server() -> Iterator[Callable[[int], CountingMetricsServer]]:
    servers: list[CountingMetricsServer] = []

    def start(status: int = 200) -> CountingMetricsServer:
        servers.append(CountingMetricsServer(status))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.mark.slow
def test_tracker_deltas_and_peaks_over_a_level(
    metrics_server: Callable[[int], CountingMetricsServer],
) -> None:
    server = metrics_server(200)

    async def level() -> ServerMetrics:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            tracker = ServerMetricsTracker(get_adapter("vllm"), client, interval_s=0.02)
            await tracker.start()
            while server.scrapes < 4:  # the sampler runs while the "level" does
                await asyncio.sleep(0.02)
            return await tracker.stop()

    result = asyncio.run(level())
    scrapes = server.scrapes
    assert result.model_dump() == {
        "deltas": {"generation_tokens": 20.0 * (scrapes - 1)},  # two engines, summed
        "peaks": {"running_requests": 2.0},
        "scrapes": scrapes,
        "error": None,
    }


def test_tracker_reports_missing_endpoint_and_backends_without_metrics(
    metrics_server: Callable[[int], CountingMetricsServer],
) -> None:
    server = metrics_server(404)

    async def level(backend: str) -> ServerMetrics:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            tracker = ServerMetricsTracker(get_adapter(backend), client, interval_s=0.01)
            await tracker.start()
            await asyncio.sleep(0.03)
            return await tracker.stop()

    missing = asyncio.run(level("vllm"))
    assert missing.model_dump() == {
        "deltas": {},
        "peaks": {},
        "scrapes": 0,
        "error": "GET /metrics: HTTP 404",
    }
    none = asyncio.run(level("ollama"))
    assert none.model_dump()["error"] == "Ollama exposes no Prometheus metrics"

    async def scrape_closed() -> object:
        async with httpx.AsyncClient(base_url="http://127.0.0.1:9") as client:
            return await snapshot(client)

    error = asyncio.run(scrape_closed())
    assert isinstance(error, ScrapeError) and error.message.startswith("GET /metrics: ConnectError")
