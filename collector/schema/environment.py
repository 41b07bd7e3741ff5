"""Where a run was measured: the host, its GPUs and the GPU telemetry time series (part of the run record)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from collector.schema.base import Strict


class Host(Strict):
    cpu_model: str | None = Field(None, description="CPU model name.")
    cpu_cores_logical: int | None = Field(None, description="Logical CPU count.")
    cpu_cores_physical: int | None = Field(None, description="Physical core count, when known.")
    ram_gib: float | None = Field(None, description="Total RAM in GiB.")
    os: str | None = Field(None, description="Operating system and distribution.")
    kernel: str | None = Field(None, description="Kernel release.")
    python: str = Field(description="Python version of the collector.")
    cloud_instance: str | None = Field(None, description="Cloud instance type, when known.")


class GPU(Strict):
    index: int = Field(description="NVML device index.")
    name: str = Field(description="Device name as NVML reports it.")
    memory_mib: float | None = Field(None, description="Total device memory in MiB.")
    power_limit_w: float | None = Field(None, description="Enforced power limit in watts.")
    max_sm_clock_mhz: int | None = Field(None, description="Maximum SM clock.")
    max_mem_clock_mhz: int | None = Field(None, description="Maximum memory clock.")
    mig_mode: bool | None = Field(None, description="Whether MIG mode is enabled.")
    pci_bus_id: str | None = Field(None, description="PCI bus id.")


class Hardware(Strict):
    accelerator: Literal["gpu", "cpu", "unknown"] = Field(
        description="'cpu' when no GPU served the model; 'unknown': an imported run that did not state it."
    )
    host: Host = Field(description="The host the collector ran on.")
    gpus: list[GPU] = Field(default_factory=list, description="GPUs visible through NVML.")
    gpu_count: int = Field(0, description="Number of GPUs serving the model (for per-GPU figures).", ge=0)
    driver_version: str | None = Field(None, description="NVIDIA driver version.")
    cuda_version: str | None = Field(None, description="CUDA driver API version.")
    nvml_available: bool = Field(description="Whether NVML could be initialised.")
    nvml_reason: str | None = Field(None, description="Why NVML is unavailable, when it is.")
    label: str | None = Field(None, description="Hardware label given by flag (e.g. imported runs).")


class Software(Strict):
    python: str = Field(description="Python version of the collector.")
    platform: str = Field(description="Platform string of the collector host.")
    packages: dict[str, str] = Field(default_factory=dict, description="Versions of key Python packages.")


class TelemetrySample(Strict):
    t_s: float = Field(description="Seconds since the run started.")
    gpu: int = Field(description="GPU index.")
    power_w: float | None = Field(None, description="Power draw.")
    energy_mj: float | None = Field(None, description="Total energy counter (millijoules) where supported.")
    util_pct: float | None = Field(None, description="SM utilisation.")
    memory_used_mib: float | None = Field(None, description="Memory used.")
    sm_clock_mhz: int | None = Field(None, description="SM clock.")
    mem_clock_mhz: int | None = Field(None, description="Memory clock.")
    temperature_c: float | None = Field(None, description="GPU temperature.")


class Telemetry(Strict):
    available: bool = Field(description="Whether GPU telemetry was collected.")
    reason: str | None = Field(None, description="Why not, when not.")
    sample_hz: float | None = Field(None, description="Target sampling frequency.")
    samples: list[TelemetrySample] = Field(default_factory=list, description="Time series (bounded).")
    samples_dropped: int = Field(0, description="Samples not kept because of the bound.")
