"""What every backend adapter knows, and the shared HTTP helpers that never raise.

An adapter describes one serving backend: its default port, how to tell it is ready, where it reports its
version and configuration, which request extras it honours, its tokenize endpoint, its Prometheus metric
names and how it is usually launched (those declared facts are its entry in collector.schema.BACKEND_FACTS).
Adapters are stateless; the caller passes an `httpx.AsyncClient` whose `base_url` is the server root and
which already carries the API key header (never logged here).

Rule: a version the server does not report is `None` (recorded as unknown), never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx

from collector.schema import BACKEND_FACTS, BackendFacts

Scalar = str | int | float | bool | None

# Canonical server-metric names used in run files, whatever each backend calls them.
GAUGE_METRICS: tuple[str, ...] = ("running_requests", "waiting_requests", "kv_cache_usage")
COUNTER_METRICS: tuple[str, ...] = (
    "preemptions",
    "prefix_cache_hits",
    "prefix_cache_queries",
    "prompt_tokens",
    "generation_tokens",
)
# Gauges that are fractions: averaged (not summed) over label sets, e.g. one series per data-parallel engine.
RATIO_METRICS: frozenset[str] = frozenset({"kv_cache_usage"})

PROBE_TIMEOUT = httpx.Timeout(5.0)


@dataclass(frozen=True)
class VersionInfo:
    """What the server says about itself. `version=None` means unknown (never a guess)."""

    version: str | None
    source: str | None
    reported: dict[str, Scalar] = field(default_factory=dict)
    commit: str | None = None
    image: str | None = None


UNKNOWN_VERSION = VersionInfo(version=None, source=None, reported={})


async def get_json(client: httpx.AsyncClient, path: str) -> Any | None:
    """GET `path` and decode JSON; None on any transport error, non-200 status or invalid JSON."""
    try:
        response = await client.get(path, timeout=PROBE_TIMEOUT)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    try:
        return response.json()
    except ValueError:
        return None


async def post_json(client: httpx.AsyncClient, path: str, body: Mapping[str, object]) -> Any | None:
    """POST a JSON body and decode the JSON answer; None on any failure."""
    try:
        response = await client.post(path, json=dict(body), timeout=PROBE_TIMEOUT)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def scalar_fields(body: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Scalar]:
    """The listed keys of a JSON object whose values are scalars (nested values are skipped)."""
    out: dict[str, Scalar] = {}
    for key in keys:
        value = body.get(key)
        if value is None and key not in body:
            continue
        if value is None or isinstance(value, str | int | float | bool):
            out[key] = value
    return out


def version_string(value: object) -> str | None:
    """A non-empty version string, else None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def int_list(value: object) -> list[int] | None:
    """A list of ints (token ids), else None; bools are not ids."""
    if not isinstance(value, list):
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return None
    return list(value)


class BackendAdapter:
    """Base adapter: the declared facts come from `collector.schema.BACKEND_FACTS` (one table, also read by
    the site); a subclass names its entry (`class X(BackendAdapter, facts=BACKEND_FACTS["x"])`) and overrides
    the behaviour that differs (version, tokenize, request extras). Without an entry it keeps the generic
    OpenAI-compatible server's facts."""

    facts: ClassVar[BackendFacts] = BACKEND_FACTS["openai"]
    name: ClassVar[str]
    display_name: ClassVar[str]
    default_port: ClassVar[int]
    readiness_paths: ClassVar[tuple[str, ...]]
    supports_ignore_eos: ClassVar[bool]
    supports_min_tokens: ClassVar[bool]
    has_tokenize: ClassVar[bool]
    docs_url: ClassVar[str]
    # Where the Prometheus text lives; empty when the backend exposes none.
    metrics_paths: ClassVar[tuple[str, ...]]
    # Canonical name -> Prometheus names it may have (versions differ); the first present wins.
    metric_names: ClassVar[Mapping[str, tuple[str, ...]]]
    launch_template: ClassVar[str]

    def __init_subclass__(cls, *, facts: BackendFacts | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if facts is not None:
            cls._adopt(facts)

    @classmethod
    def _adopt(cls, facts: BackendFacts) -> None:
        """Set the class attributes the collector reads from the backend's entry in BACKEND_FACTS."""
        cls.facts = facts
        cls.name = facts.name
        cls.display_name = facts.display_name
        cls.default_port = facts.default_port
        cls.readiness_paths = facts.readiness_paths
        cls.supports_ignore_eos = facts.ignore_eos
        cls.supports_min_tokens = facts.min_tokens
        cls.has_tokenize = facts.tokenize
        cls.docs_url = facts.docs_url
        cls.metrics_paths = facts.metrics_paths
        cls.metric_names = facts.metric_names
        cls.launch_template = facts.launch_template

    def request_extras(self, *, ignore_eos: bool, output_tokens: int | None) -> dict[str, object]:
        """Body fields that make the output length exact here (empty when not asked for or unsupported)."""
        extras: dict[str, object] = {}
        if not ignore_eos:
            return extras
        if self.supports_ignore_eos:
            extras["ignore_eos"] = True
        if self.supports_min_tokens and output_tokens is not None:
            extras["min_tokens"] = output_tokens
        return extras

    async def version(self, client: httpx.AsyncClient) -> VersionInfo:
        """Version and configuration as the server reports them; UNKNOWN_VERSION when it does not."""
        return UNKNOWN_VERSION

    async def tokenize(self, client: httpx.AsyncClient, text: str, model: str) -> list[int] | None:
        """Token ids of `text` without special tokens (BOS), or None when unsupported or failed."""
        return None

    async def ready(self, client: httpx.AsyncClient) -> bool:
        """True when the first readiness path answers 200 (a 503 while loading is 'not yet')."""
        for path in self.readiness_paths:
            try:
                response = await client.get(path, timeout=PROBE_TIMEOUT)
            except httpx.HTTPError:
                return False
            if response.status_code == 404:
                continue  # this server version lacks the path; try the next one
            return response.status_code == 200
        return False

    def launch_command(self, *, model: str, port: int | None = None) -> str:
        """The launch template filled in, e.g. for the docs or a suite file."""
        return self.launch_template.format(model=model, port=port or self.default_port)


# The base's own defaults are the generic server's entry (__init_subclass__ runs for subclasses only).
BackendAdapter._adopt(BackendAdapter.facts)
