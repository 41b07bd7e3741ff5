"""The server's own Prometheus `/metrics`, scraped around each load level.

`parse_prometheus` is a pure parser of the text exposition format (labels with escapes, comments,
NaN/+Inf, histogram and summary series as ordinary samples). `snapshot` scrapes once and sums each sample
name over its label sets (several models or data-parallel engines), averaging the fraction gauges.
`ServerMetricsTracker` takes a snapshot before a level, samples the gauges every few seconds while it runs
and one after it, and returns the schema's `ServerMetrics`: counter increases (`deltas`) and gauge maxima
(`peaks`) under backend-independent names (see `collector.backends.base`), plus why figures are missing.

Scrape with a client of its own where possible: at high concurrency the load generator's connection pool
is full and a scrape would queue behind the requests it is meant to observe.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import httpx

from collector.backends.base import COUNTER_METRICS, GAUGE_METRICS, RATIO_METRICS, BackendAdapter
from collector.schema import ServerMetrics

DEFAULT_INTERVAL_S = 2.0
# After a level, a server may still be adding the last requests to its counters (llama.cpp updates them
# after the response is sent): the 'after' scrape is repeated until the counters stop moving, at most this
# many times this far apart (a bounded poll, not a fixed sleep).
SETTLE_SCRAPES = 20
SETTLE_INTERVAL_S = 0.05
SCRAPE_TIMEOUT = httpx.Timeout(5.0)


@dataclass(frozen=True)
class Sample:
    name: str
    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass(frozen=True)
class Exposition:
    samples: list[Sample]
    types: dict[str, str]
    skipped_lines: int


@dataclass(frozen=True)
class ScrapeError:
    message: str


_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}


def _parse_labels(text: str, start: int) -> tuple[tuple[tuple[str, str], ...], int]:
    """Parse `{a="x",b="y"}` from text[start] == '{'; return the pairs and the index after '}'."""
    pairs: list[tuple[str, str]] = []
    i = start + 1
    n = len(text)
    while True:
        while i < n and text[i] in " \t,":
            i += 1
        if i >= n:
            raise ValueError("unterminated label set")
        if text[i] == "}":
            return tuple(pairs), i + 1
        eq = text.find("=", i)
        if eq < 0:
            raise ValueError("label without '='")
        key = text[i:eq].strip()
        i = eq + 1
        while i < n and text[i] in " \t":
            i += 1
        if i >= n or text[i] != '"':
            raise ValueError("label value not quoted")
        i += 1
        value: list[str] = []
        while i < n and text[i] != '"':
            if text[i] == "\\" and i + 1 < n:
                value.append(_ESCAPES.get(text[i + 1], "\\" + text[i + 1]))
                i += 2
            else:
                value.append(text[i])
                i += 1
        if i >= n:
            raise ValueError("unterminated label value")
        pairs.append((key, "".join(value)))
        i += 1


def _parse_sample(line: str) -> Sample:
    brace = line.find("{")
    space = min((p for p in (line.find(" "), line.find("\t")) if p >= 0), default=-1)
    if brace >= 0 and (space < 0 or brace < space):
        name = line[:brace]
        labels, end = _parse_labels(line, brace)
        rest = line[end:].split()
    else:
        if space < 0:
            raise ValueError("no value")
        name, labels, rest = line[:space], (), line[space:].split()
    if not name or not rest:
        raise ValueError("no name or no value")
    # float() reads NaN, +Inf and -Inf as Prometheus writes them; a trailing timestamp is ignored.
    return Sample(name=name, labels=labels, value=float(rest[0]))


def parse_prometheus(text: str) -> Exposition:
    """Parse Prometheus text exposition; malformed lines are skipped and counted, never fatal."""
    samples: list[Sample] = []
    types: dict[str, str] = {}
    skipped = 0
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3].strip()
            continue
        try:
            samples.append(_parse_sample(line))
        except ValueError:
            skipped += 1
    return Exposition(samples=samples, types=types, skipped_lines=skipped)


def aggregate(samples: Iterable[Sample], mean_names: frozenset[str] = frozenset()) -> dict[str, float]:
    """Sum each sample name over its label sets (mean for names in `mean_names`); NaN samples are dropped."""
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    for sample in samples:
        if math.isnan(sample.value):
            continue
        totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
        counts[sample.name] = counts.get(sample.name, 0) + 1
    for name in mean_names:
        if name in totals:
            totals[name] /= counts[name]
    return totals


def resolve(values: Mapping[str, float], candidates: Iterable[str]) -> float | None:
    """The first candidate name present, also trying the `_total` suffix counters get on exposition."""
    for name in candidates:
        for key in (name, f"{name}_total"):
            if key in values:
                return values[key]
    return None


def ratio_names(adapter: BackendAdapter) -> frozenset[str]:
    """Prometheus names of the adapter's fraction gauges (averaged, not summed, across label sets)."""
    names: set[str] = set()
    for canonical in RATIO_METRICS:
        names.update(adapter.metric_names.get(canonical, ()))
    return frozenset(names)


async def snapshot(
    client: httpx.AsyncClient, path: str = "/metrics", mean_names: frozenset[str] = frozenset()
) -> dict[str, float] | ScrapeError:
    """Scrape `path` once: sample name -> value summed over label sets, or why it failed."""
    try:
        response = await client.get(path, timeout=SCRAPE_TIMEOUT)
    except httpx.HTTPError as exc:
        return ScrapeError(f"GET {path}: {type(exc).__name__}: {exc}".rstrip(": "))
    if response.status_code != 200:
        return ScrapeError(f"GET {path}: HTTP {response.status_code}")
    exposition = parse_prometheus(response.text)
    if not exposition.samples:
        return ScrapeError(f"GET {path}: no Prometheus samples in the response")
    return aggregate(exposition.samples, mean_names)


def canonical_values(adapter: BackendAdapter, values: Mapping[str, float]) -> dict[str, float]:
    """Backend-independent name -> value for every canonical metric the scrape contains."""
    out: dict[str, float] = {}
    for canonical, candidates in adapter.metric_names.items():
        value = resolve(values, candidates)
        if value is not None and math.isfinite(value):
            out[canonical] = value
    return out


def level_metrics(
    before: Mapping[str, float], after: Mapping[str, float], samples: Iterable[Mapping[str, float]]
) -> tuple[dict[str, float], dict[str, float], list[str]]:
    """Pure: counter deltas (after - before), gauge peaks over every scrape, and problems found."""
    problems: list[str] = []
    deltas: dict[str, float] = {}
    for name in COUNTER_METRICS:
        if name in after:
            # A labelled counter's series appears on its first increment (SGLang's cached_tokens, whose
            # `cache_source` series is created by the first cache hit): absent from a scrape that succeeded
            # means it was still 0.
            delta = after[name] - before.get(name, 0.0)
            if delta < 0:
                problems.append(f"{name} went down ({before[name]:g} -> {after[name]:g}): server restarted?")
                continue
            deltas[name] = delta
    peaks: dict[str, float] = {}
    for scrape in (before, *samples, after):
        for name in GAUGE_METRICS:
            if name in scrape:
                peaks[name] = max(peaks.get(name, scrape[name]), scrape[name])
    return deltas, peaks, problems


class ServerMetricsTracker:
    """Scrape before a level, sample during it (asyncio task), scrape after; `stop()` gives the figures.

    Never raises for a missing or broken endpoint: the reason ends up in `ServerMetrics.error`.
    """

    def __init__(
        self,
        adapter: BackendAdapter,
        client: httpx.AsyncClient,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        path: str | None = None,
    ) -> None:
        self._adapter = adapter
        self._client = client
        self._interval_s = interval_s
        self._path = path if path is not None else next(iter(adapter.metrics_paths), None)
        self._mean_names = ratio_names(adapter)
        self._before: dict[str, float] | None = None
        self._samples: list[dict[str, float]] = []
        self._scrapes = 0
        self._last_error: str | None = None
        self._task: asyncio.Task[None] | None = None

    async def _scrape(self) -> dict[str, float] | None:
        assert self._path is not None
        result = await snapshot(self._client, self._path, self._mean_names)
        if isinstance(result, ScrapeError):
            self._last_error = result.message
            return None
        self._scrapes += 1
        return canonical_values(self._adapter, result)

    async def _sample_loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            values = await self._scrape()
            if values is not None:
                self._samples.append(values)

    async def start(self) -> None:
        """Take the 'before' snapshot and start sampling (nothing to do when the backend has no metrics)."""
        if self._path is None:
            return
        self._before = await self._scrape()
        if self._before is not None:
            self._task = asyncio.create_task(self._sample_loop(), name="server-metrics-sampler")

    async def stop(self) -> ServerMetrics:
        """Stop sampling, take the 'after' snapshot and return deltas and peaks for the level."""
        await self.cancel()
        if self._path is None:
            return ServerMetrics(error=f"{self._adapter.display_name} exposes no Prometheus metrics")
        if self._before is None:
            return ServerMetrics(scrapes=self._scrapes, error=self._last_error or "no scrape succeeded")
        after = await self._settled_scrape()
        if after is None:
            return ServerMetrics(scrapes=self._scrapes, error=f"after the level: {self._last_error}")
        deltas, peaks, problems = level_metrics(self._before, after, self._samples)
        if not self._before and not after:
            names = ", ".join(sorted({n for c in self._adapter.metric_names.values() for n in c})) or "none"
            problems.append(f"{self._path} answered but has none of the known metric names ({names})")
        return ServerMetrics(
            deltas=deltas, peaks=peaks, scrapes=self._scrapes, error="; ".join(problems) or None
        )

    async def _settled_scrape(self) -> dict[str, float] | None:
        """The 'after' snapshot once two scrapes in a row agree on every counter (bounded)."""
        latest = await self._scrape()
        for _ in range(SETTLE_SCRAPES):
            if latest is None:
                return None
            await asyncio.sleep(SETTLE_INTERVAL_S)
            again = await self._scrape()
            if again is None or all(again.get(n) == latest.get(n) for n in COUNTER_METRICS):
                return latest if again is None else again
            latest = again
        return latest

    async def cancel(self) -> None:
        """Stop sampling without a result (error and Ctrl-C paths)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
