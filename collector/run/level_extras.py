"""Per-level measurements beside the request timings: GPU energy (NVML) and server /metrics deltas.

Two alignment rules keep these figures comparable with the latency figures of the same level:
- energy covers exactly the level's measurement window (first counted send, or first scheduled arrival in
  rate mode, to the last completion), the window its output throughput is computed over;
- /metrics is scraped after the warm-up (the runner warms up before `before_level`), so counter deltas such
  as generation_tokens count the level's own requests only.
Scrapes use their own small HTTP client: a scrape waiting behind the load client's pool would both be late
and take a connection from the load.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import httpx

from collector.config.collect import CollectConfig
from collector.load.client import auth_headers
from collector.load.deadline import control_client
from collector.measure.metrics import RequestOutcome, measurement_window_ns
from collector.measure.servermetrics import ServerMetricsTracker
from collector.measure.telemetry import GPUSampler, unavailable
from collector.schema import ClientHealth, Hardware, LevelResult, Telemetry
from collector.server.server import ServerHandle

_SCRAPE_TIMEOUT = httpx.Timeout(5.0)
_SCRAPE_DEADLINE_S = 10.0  # a scrape sits between levels: it must never hold the sweep (or a Ctrl-C)


class LevelExtras:
    """Owns the GPU sampler for the whole run and a /metrics tracker (with its own client) per level."""

    def __init__(
        self,
        config: CollectConfig,
        handle: ServerHandle,
        hardware: Hardware,
        adapter: Any,
        client: httpx.AsyncClient | None = None,  # the load client; kept for callers, not used for scrapes
    ) -> None:
        self._adapter = adapter
        self._base_url = handle.base_url
        api_key = config.api_key.get_secret_value() if config.api_key else None
        self._headers = auth_headers(api_key)
        self._scrape_client: httpx.AsyncClient | None = None
        self._tracker: ServerMetricsTracker | None = None
        self._t_before = 0.0
        # The sampler's clock is time.monotonic(); request times are perf_counter_ns(). Same clock on Linux,
        # but the offset is measured rather than assumed.
        self._perf_to_monotonic_s = time.monotonic() - time.perf_counter_ns() / 1e9
        self.sampler: GPUSampler | None = None
        self.no_telemetry_reason: str | None = None
        if config.embedded:
            self.no_telemetry_reason = "the embedded engine runs on the CPU; no GPU serves the model"
        elif not handle.is_local:
            self.no_telemetry_reason = (
                "the server is remote; GPU telemetry needs the collector on the GPU host"
            )
        elif not hardware.nvml_available:
            self.no_telemetry_reason = f"NVML unavailable: {hardware.nvml_reason}"
        elif hardware.gpu_count == 0:
            self.no_telemetry_reason = "no GPU serves the model"
        else:
            serving = [g.index for g in hardware.gpus][: hardware.gpu_count]
            sampler = GPUSampler(serving, hz=config.telemetry_hz).start()
            if sampler.available:
                self.sampler = sampler
                handle.gpu_count = handle.gpu_count or len(sampler.gpu_indices)
            else:
                self.no_telemetry_reason = sampler.reason or "NVML unavailable"
                sampler.stop()

    async def before_level(self) -> None:
        """Call after the warm-up, right before the level's first request."""
        if self.sampler is not None:
            self._t_before = self.sampler.now()
        if self._adapter.metrics_paths:
            self._scrape_client = control_client(
                self._base_url,
                headers=self._headers,
                timeout=_SCRAPE_TIMEOUT,
                limits=httpx.Limits(max_connections=2, max_keepalive_connections=1),
                total_s=_SCRAPE_DEADLINE_S,
            )
            self._tracker = ServerMetricsTracker(self._adapter, self._scrape_client)
            await self._tracker.start()

    def _sampler_time(self, perf_ns: int) -> float:
        assert self.sampler is not None
        return perf_ns / 1e9 + self._perf_to_monotonic_s - self.sampler.t0

    async def after_level(
        self,
        result: LevelResult,
        health: ClientHealth,
        outcomes: Sequence[RequestOutcome] | None = None,
        from_scheduled: bool = False,
    ) -> LevelResult:
        """The level's result with client health, server-metric deltas and energy attached.

        outcomes: the level's requests, to align the energy window with the measurement window; without
        them the window is before_level() .. now.
        """
        update: dict[str, Any] = {"client": health}
        if self._tracker is not None:
            try:
                update["server_metrics"] = await self._tracker.stop()
            finally:
                self._tracker = None
                await self._close_scraper()
        if self.sampler is not None:
            window = measurement_window_ns(outcomes or [], from_scheduled=from_scheduled)
            if window is not None:
                t_start, t_end = self._sampler_time(window[0]), self._sampler_time(window[1])
            else:
                t_start, t_end = self._t_before, self.sampler.now()
            update["energy"] = self.sampler.level_energy(t_start, t_end, result.output_tokens_total)
        return result.model_copy(update=update)

    async def _close_scraper(self) -> None:
        client, self._scrape_client = self._scrape_client, None
        if client is not None:
            await client.aclose()

    def telemetry(self) -> Telemetry:
        if self.sampler is None:
            return unavailable(self.no_telemetry_reason or "no GPU telemetry", None)
        return self.sampler.record()

    def close(self) -> None:
        if self.sampler is not None:
            self.sampler.stop()
