"""`--backend auto`: tell which server is answering from the endpoints only it has.

All probes run concurrently (a few GETs, 5 s timeout each) and are read in order of how specific they
are: llama.cpp's `/props` (or its `Server: llama.cpp` header), Ollama's `/api/version`, TGI's `/info`,
SGLang's `/server_info` (or `/get_server_info`, deprecated in 0.5 but all that older releases answer), then
the `owned_by` of `/v1/models`, then `/version` plus the Prometheus prefix. Anything ambiguous gives
'openai' (generic) rather than a guess.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from collector.backends.base import PROBE_TIMEOUT

# /v1/models "owned_by" values the servers set by default (see each adapter's sources).
_OWNED_BY = {
    "vllm": "vllm",
    "sglang": "sglang",
    "lmdeploy": "lmdeploy",
    "tensorrt_llm": "trtllm",
    "llamacpp": "llama.cpp",
    "mlc-llm": "mlc",
    "text-generation-inference": "tgi",
    "ollama": "ollama",
    "library": "ollama",
}
# Prometheus name prefixes, checked in this order.
_METRIC_PREFIXES = (
    ("vllm:", "vllm"),
    ("sglang:", "sglang"),
    ("lmdeploy:", "lmdeploy"),
    ("llamacpp:", "llama.cpp"),
    ("tgi_", "tgi"),
    ("trtllm_", "trtllm"),
)


@dataclass(frozen=True)
class Detection:
    name: str
    evidence: str


@dataclass(frozen=True)
class _Probe:
    status: int | None
    body: Any
    text: str
    server_header: str


async def _probe(client: httpx.AsyncClient, path: str) -> _Probe:
    try:
        response = await client.get(path, timeout=PROBE_TIMEOUT)
    except httpx.HTTPError:
        return _Probe(None, None, "", "")
    text = response.text if response.status_code == 200 else ""
    body: Any = None
    if text:
        try:
            body = response.json()
        except ValueError:
            body = None
    return _Probe(response.status_code, body, text, response.headers.get("server", ""))


def _dict(probe: _Probe) -> dict[str, Any]:
    return probe.body if isinstance(probe.body, dict) else {}


def _owned_by(probe: _Probe) -> str | None:
    data = _dict(probe).get("data")
    if isinstance(data, list) and data and isinstance(data[0], dict):
        owner = data[0].get("owned_by")
        if isinstance(owner, str):
            return _OWNED_BY.get(owner.strip().lower())
    return None


def _metric_prefix(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        for prefix, name in _METRIC_PREFIXES:
            if line.startswith(prefix):
                return name
    return None


_PATHS = (
    "/props",
    "/api/version",
    "/info",
    "/server_info",
    "/get_server_info",
    "/v1/models",
    "/version",
    "/metrics",
    "/prometheus/metrics",
)


async def identify_backend(client: httpx.AsyncClient) -> Detection:
    """The backend name and the evidence that decided it ('openai' when unsure)."""
    probes = dict(zip(_PATHS, await asyncio.gather(*(_probe(client, p) for p in _PATHS)), strict=True))
    props = _dict(probes["/props"])
    if "build_info" in props or "default_generation_settings" in props:
        return Detection("llama.cpp", "GET /props has build_info")
    if any(p.server_header.lower().startswith("llama.cpp") for p in probes.values()):
        return Detection("llama.cpp", "Server: llama.cpp header")
    api_version = _dict(probes["/api/version"])
    if set(api_version) == {"version"}:
        return Detection("ollama", "GET /api/version answers {version}")
    info = _dict(probes["/info"])
    if "text-generation" in str(info.get("router", "")) or {"model_id", "max_total_tokens"} <= set(info):
        return Detection("tgi", "GET /info is TGI's Info")
    for path in ("/server_info", "/get_server_info"):
        server_info = _dict(probes[path])
        if "version" in server_info and ("model_path" in server_info or "tp_size" in server_info):
            return Detection("sglang", f"GET {path} has version and server args")
    owner = _owned_by(probes["/v1/models"])
    if owner is not None:
        return Detection(owner, "owned_by of GET /v1/models")
    prefix = _metric_prefix(probes["/metrics"].text) or _metric_prefix(probes["/prometheus/metrics"].text)
    if prefix is not None:
        return Detection(prefix, "Prometheus metric names")
    if "version" in _dict(probes["/version"]):
        # vLLM and trtllm-serve both answer /version; without another signal it could be either.
        return Detection("openai", "GET /version answered but no backend-specific signal")
    return Detection("openai", "no backend-specific endpoint answered")


async def detect_backend(client: httpx.AsyncClient) -> str:
    """Name of the backend behind `client.base_url`; 'openai' when unsure."""
    return (await identify_backend(client)).name
