"""Per-level measurements beside the request timings: GPU energy (NVML) and server /metrics deltas."""

from __future__ import annotations

from typing import Any

import httpx

from collector.config import CollectConfig
from collector.schema import ClientHealth, Hardware, LevelResult, Telemetry
from collector.server import ServerHandle
from collector.servermetrics import ServerMetricsTracker
from collector.telemetry import GPUSampler, level_energy, telemetry_record, unavailable


class LevelExtras:
    """Owns the GPU sampler for the whole run and a /metrics tracker per level."""

    def __init__(
        self,
        config: CollectConfig,
        handle: ServerHandle,
        hardware: Hardware,
        adapter: Any,
        client: httpx.AsyncClient,
    ) -> None:
        self._adapter = adapter
        self._client = client
        self._tracker: ServerMetricsTracker | None = None
        self._gpus: list[int] = []
        self._t_start = 0.0
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
                self._gpus = list(sampler.gpu_indices)
                handle.gpu_count = handle.gpu_count or len(self._gpus)
            else:
                self.no_telemetry_reason = sampler.reason or "NVML unavailable"
                sampler.stop()
        self._hz = config.telemetry_hz

    async def before_level(self) -> None:
        if self.sampler is not None:
            self._t_start = self.sampler.now()
        if self._adapter.metrics_paths:
            self._tracker = ServerMetricsTracker(self._adapter, self._client)
            await self._tracker.start()

    async def after_level(self, result: LevelResult, health: ClientHealth) -> LevelResult:
        update: dict[str, Any] = {"client": health}
        if self._tracker is not None:
            update["server_metrics"] = await self._tracker.stop()
            self._tracker = None
        if self.sampler is not None:
            t_end = self.sampler.now()
            samples = self.sampler.window(self._t_start - 1.0, t_end + 1.0)
            update["energy"] = level_energy(
                samples, self._t_start, t_end, result.output_tokens_total, self._gpus
            )
        return result.model_copy(update=update)

    def telemetry(self) -> Telemetry:
        if self.sampler is None:
            return unavailable(self.no_telemetry_reason or "no GPU telemetry", None)
        return telemetry_record(
            self.sampler.window(0.0, self.sampler.now() + 1.0), self._hz, dropped=self.sampler.dropped
        )

    def close(self) -> None:
        if self.sampler is not None:
            self.sampler.stop()
