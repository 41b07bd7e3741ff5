"""Backend adapters and `--backend auto` against response bodies copied from each backend's documentation,
served by a real HTTP server on loopback (tests/fixtures/backends/README.md lists the sources)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from collector.backends import ADAPTERS, UnknownBackendError, backend_names, get_adapter
from collector.backends.detect import detect_backend, identify_backend

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "backends"
T = TypeVar("T")

Route = tuple[int, str, bytes]  # status, content type, body


def fixture(name: str) -> Route:
    content_type = "application/json" if name.endswith(".json") else "text/plain; version=0.0.4"
    return 200, content_type, (FIXTURES / name).read_bytes()


class DocServer:
    """A loopback HTTP server answering fixed routes; records the POST bodies it receives."""

    def __init__(self, routes: dict[tuple[str, str], Route], server_header: str = "") -> None:
        self.routes = routes
        self.posted: list[tuple[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                if method == "POST":
                    length = int(self.headers.get("Content-Length") or 0)
                    owner.posted.append((self.path, json.loads(self.rfile.read(length) or b"null")))
                status, content_type, body = owner.routes.get(
                    (method, self.path), (404, "application/json", b'{"detail":"Not Found"}')
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def version_string(self) -> str:
                return server_header or "docserver"

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
def serve() -> Iterator[Callable[..., DocServer]]:
    servers: list[DocServer] = []

    def start(routes: dict[tuple[str, str], Route], server_header: str = "") -> DocServer:
        servers.append(DocServer(routes, server_header))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def run_with(server: DocServer, call: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    async def go() -> T:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            return await call(client)

    return asyncio.run(go())


VLLM = {
    ("GET", "/health"): (200, "text/plain", b""),
    ("GET", "/version"): fixture("vllm_version.json"),
    ("GET", "/v1/models"): fixture("vllm_models.json"),
    ("POST", "/tokenize"): fixture("vllm_tokenize.json"),
    ("GET", "/metrics"): fixture("vllm_metrics.txt"),
}
SGLANG = {
    ("GET", "/health"): (200, "text/plain", b""),
    ("GET", "/get_server_info"): fixture("sglang_server_info.json"),
    ("GET", "/get_model_info"): fixture("sglang_model_info.json"),
    ("POST", "/tokenize"): fixture("sglang_tokenize.json"),
    ("GET", "/metrics"): fixture("sglang_metrics.txt"),
}
TGI = {
    ("GET", "/health"): (200, "text/plain", b""),
    ("GET", "/info"): fixture("tgi_info.json"),
    ("POST", "/tokenize"): fixture("tgi_tokenize.json"),
    ("GET", "/metrics"): fixture("tgi_metrics.txt"),
}
OLLAMA = {("GET", "/api/version"): fixture("ollama_version.json")}
TRTLLM = {
    ("GET", "/health"): (200, "text/plain", b""),
    ("GET", "/version"): fixture("trtllm_version.json"),
    ("GET", "/prometheus/metrics"): fixture("trtllm_prometheus.txt"),
}
LMDEPLOY = {
    ("GET", "/health"): (200, "text/plain", b""),
    ("GET", "/v1/models"): fixture("lmdeploy_models.json"),
}
LLAMACPP = {
    ("GET", "/health"): (200, "application/json", b'{"status":"ok"}'),
    ("GET", "/props"): fixture("llamacpp_props.json"),
    ("POST", "/tokenize"): fixture("llamacpp_tokenize.json"),
}


def test_registry_knows_every_backend_and_aliases() -> None:
    assert set(backend_names()) == {
        "vllm", "sglang", "lmdeploy", "trtllm", "tgi", "mlc", "llama.cpp", "ollama", "openai", "transformers"
    }  # fmt: skip
    assert get_adapter("LlamaCpp").name == "llama.cpp"
    assert get_adapter("tensorrt-llm").name == "trtllm"
    with pytest.raises(UnknownBackendError, match=r"unknown backend 'vlm'; known: .*vllm"):
        get_adapter("vlm")


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_every_adapter_is_described(name: str) -> None:
    adapter = get_adapter(name)
    assert adapter.display_name and adapter.docs_url.startswith("https://")
    assert 0 < adapter.default_port < 65536 and adapter.readiness_paths
    if adapter.launch_template:
        command = adapter.launch_command(model="org/model", port=9999)
        assert "9999" in command and "org/model" in command


def test_request_extras_per_backend() -> None:
    assert get_adapter("vllm").request_extras(ignore_eos=True, output_tokens=64) == {
        "ignore_eos": True,
        "min_tokens": 64,
    }
    assert get_adapter("llama.cpp").request_extras(ignore_eos=True, output_tokens=64) == {"ignore_eos": True}
    assert get_adapter("lmdeploy").request_extras(ignore_eos=True, output_tokens=8) == {
        "ignore_eos": True,
        "min_new_tokens": 8,
    }
    assert get_adapter("mlc").request_extras(ignore_eos=True, output_tokens=8) == {
        "debug_config": {"ignore_eos": True}
    }
    assert get_adapter("tgi").request_extras(ignore_eos=True, output_tokens=8) == {}
    for name in ADAPTERS:
        assert get_adapter(name).request_extras(ignore_eos=False, output_tokens=8) == {}


def test_vllm_version_tokenize_ready(serve: Callable[..., DocServer]) -> None:
    server = serve(VLLM)
    adapter = get_adapter("vllm")
    info = run_with(server, adapter.version)
    assert (info.version, info.source) == ("0.9.1", "GET /version")
    assert info.reported["max_model_len"] == 131072
    assert run_with(server, lambda c: adapter.tokenize(c, "Hello, world!", "m")) == [9906, 11, 1917, 0]
    assert server.posted[-1] == (
        "/tokenize",
        {"model": "m", "prompt": "Hello, world!", "add_special_tokens": False},
    )
    assert run_with(server, adapter.ready) is True


def test_sglang_version_and_tokenize(serve: Callable[..., DocServer]) -> None:
    server = serve(SGLANG)
    adapter = get_adapter("sglang")
    info = run_with(server, adapter.version)
    assert (info.version, info.source) == ("0.4.9", "GET /get_server_info")
    assert info.reported["tp_size"] == 1 and info.reported["model_path"] == "qwen/qwen2.5-0.5b-instruct"
    assert "internal_states" not in info.reported  # nested values are not scalars
    tokens = run_with(server, lambda c: adapter.tokenize(c, "SGLang provides", "qwen"))
    assert tokens is not None and len(tokens) == 9


def test_sglang_without_server_info_reports_model_only(serve: Callable[..., DocServer]) -> None:
    server = serve({k: v for k, v in SGLANG.items() if k[1] != "/get_server_info"})
    info = run_with(server, get_adapter("sglang").version)
    assert info.version is None and info.source is None
    assert info.reported == {
        "model_path": "qwen/qwen2.5-0.5b-instruct",
        "tokenizer_path": "qwen/qwen2.5-0.5b-instruct",
    }


def test_tgi_info_and_tokenize(serve: Callable[..., DocServer]) -> None:
    server = serve(TGI)
    adapter = get_adapter("tgi")
    info = run_with(server, adapter.version)
    assert (info.version, info.source, info.commit, info.image) == ("0.5.0", "GET /info", None, None)
    assert info.reported["max_total_tokens"] == 2048 and info.reported["router"] == "text-generation-router"
    assert run_with(server, lambda c: adapter.tokenize(c, "test me", "m")) == [0, 1425]
    assert server.posted[-1] == ("/tokenize", {"inputs": "test me"})


def test_ollama_trtllm_llamacpp_versions(serve: Callable[..., DocServer]) -> None:
    assert run_with(serve(OLLAMA), get_adapter("ollama").version).version == "0.12.6"
    assert run_with(serve(TRTLLM), get_adapter("trtllm").version).version == "1.0.0"
    server = serve(LLAMACPP)
    info = run_with(server, get_adapter("llama.cpp").version)
    assert (info.version, info.source) == ("b6123-1a2b3c4d", "GET /props build_info")
    assert info.reported["n_ctx"] == 4096 and info.reported["total_slots"] == 4
    tokens = run_with(server, lambda c: get_adapter("llama.cpp").tokenize(c, "Hello world", "m"))
    assert tokens == [9707, 1879]
    assert server.posted[-1] == ("/tokenize", {"content": "Hello world", "add_special": False})


def test_backends_without_version_endpoint_report_unknown(serve: Callable[..., DocServer]) -> None:
    server = serve(LMDEPLOY)
    for name in ("lmdeploy", "mlc", "openai"):
        info = run_with(server, get_adapter(name).version)
        assert (info.version, info.source) == (None, None)
        assert run_with(server, lambda c, n=name: get_adapter(n).tokenize(c, "x", "m")) is None


def test_unreachable_or_broken_server_gives_unknown_never_raises(serve: Callable[..., DocServer]) -> None:
    broken = serve(
        {
            ("GET", "/version"): (200, "application/json", b"not json"),
            ("GET", "/info"): (200, "application/json", b'{"version": ""}'),
            ("GET", "/health"): (503, "application/json", b'{"error":"loading"}'),
            ("POST", "/tokenize"): (200, "application/json", b'{"tokens": ["a", 1]}'),
        }
    )
    for name in ADAPTERS:
        adapter = get_adapter(name)
        assert run_with(broken, adapter.version).version is None
        assert run_with(broken, lambda c, a=adapter: a.tokenize(c, "x", "m")) is None
    assert run_with(broken, get_adapter("vllm").ready) is False  # 503 while loading

    async def closed_port(client: httpx.AsyncClient) -> tuple[object, ...]:
        adapter = get_adapter("vllm")
        return (
            await adapter.version(client),
            await adapter.ready(client),
            await adapter.tokenize(client, "x", "m"),
        )

    dead = serve({})
    url = dead.base_url
    dead.close()

    async def go() -> tuple[object, ...]:
        async with httpx.AsyncClient(base_url=url) as client:
            return await closed_port(client)

    version, ready, tokens = asyncio.run(go())
    assert version.version is None and ready is False and tokens is None


def test_readiness_skips_paths_the_server_lacks(serve: Callable[..., DocServer]) -> None:
    # LMDeploy builds without /health still answer /v1/models.
    server = serve({("GET", "/v1/models"): fixture("lmdeploy_models.json")})
    assert run_with(server, get_adapter("lmdeploy").ready) is True
    assert run_with(server, get_adapter("vllm").ready) is False


@pytest.mark.parametrize(
    ("routes", "header", "expected"),
    [
        (VLLM, "", "vllm"),
        (SGLANG, "", "sglang"),
        (TGI, "", "tgi"),
        (OLLAMA, "", "ollama"),
        (TRTLLM, "", "trtllm"),
        (LMDEPLOY, "", "lmdeploy"),
        (LLAMACPP, "", "llama.cpp"),
        ({("GET", "/health"): (200, "application/json", b"{}")}, "llama.cpp", "llama.cpp"),
        ({("GET", "/version"): fixture("vllm_version.json")}, "", "openai"),  # vLLM or trtllm: unsure
        ({}, "", "openai"),
    ],
)
def test_detect_backend_from_doc_bodies(
    serve: Callable[..., DocServer], routes: dict[tuple[str, str], Route], header: str, expected: str
) -> None:
    assert run_with(serve(routes, header), detect_backend) == expected


def test_detect_backend_reports_evidence(serve: Callable[..., DocServer]) -> None:
    detection = run_with(serve(TRTLLM), identify_backend)
    assert (detection.name, detection.evidence) == ("trtllm", "Prometheus metric names")
