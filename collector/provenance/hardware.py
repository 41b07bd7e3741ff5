"""Hardware and software detection for the run record (`Hardware`, `Software`).

Host facts come from /proc and /etc (Linux); GPU facts from NVML through nvidia-ml-py (`import pynvml`).
Nothing here raises because a fact is unavailable: a missing fact is None, a missing NVML is a clean CPU
record with the NVML error text as the reason.
"""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import pynvml

from collector.schema import GPU, Hardware, Host, Software

T = TypeVar("T")

DEFAULT_PACKAGES: tuple[str, ...] = (
    "inferboard",
    "httpx",
    "pydantic",
    "numpy",
    "xllamacpp",
    "gguf",
    "nvidia-ml-py",
    "uvloop",
    "click",
    "PyYAML",
)

# sys_vendor values whose DMI product name is the cloud instance type (AWS Nitro reports e.g. 'p5.48xlarge';
# other clouds report a generic product name, so they are not listed).
_INSTANCE_TYPE_VENDORS = frozenset({"Amazon EC2"})


def _read(path: str | Path) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def nvml_error_text(exc: BaseException) -> str:
    """A one-line description of an NVML failure (the library's own message)."""
    return str(exc).strip() or type(exc).__name__


@contextmanager
def nvml_session() -> Iterator[str | None]:
    """Initialise NVML for the duration of the block; yields None when it works, else the reason it does not.

    NVML reference-counts init/shutdown, so nested sessions (sampler + detection) are safe.
    """
    try:
        pynvml.nvmlInit()
    except (pynvml.NVMLError, OSError) as exc:
        yield nvml_error_text(exc)
        return
    try:
        yield None
    finally:
        with suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()


def nvml_try(call: Callable[[], T]) -> T | None:
    """The result of one NVML query, or None when the device does not support it or it fails."""
    try:
        return call()
    except pynvml.NVMLError:
        return None


def _cpu_facts(cpuinfo: str) -> tuple[str | None, int | None]:
    model: str | None = None
    cores: set[tuple[str, str]] = set()
    physical_id = core_id = None
    for line in [*cpuinfo.splitlines(), ""]:
        key, _, value = (part.strip() for part in line.partition(":"))
        if key in ("model name", "Model", "Hardware") and model is None and value:
            model = value
        elif key == "physical id":
            physical_id = value
        elif key == "core id":
            core_id = value
        elif not key:  # blank line ends one processor block
            if physical_id is not None and core_id is not None:
                cores.add((physical_id, core_id))
            physical_id = core_id = None
    return model, (len(cores) or None)


def _ram_gib(meminfo: str | None) -> float | None:
    match = re.search(r"^MemTotal:\s+(\d+)\s*kB", meminfo or "", re.MULTILINE)
    return round(int(match.group(1)) / 2**20, 2) if match else None


def _os_name(os_release: str | None) -> str | None:
    fields: dict[str, str] = {}
    for line in (os_release or "").splitlines():
        key, eq, value = line.partition("=")
        if eq:
            fields[key.strip()] = value.strip().strip("\"'")
    return fields.get("PRETTY_NAME") or fields.get("NAME") or platform.system() or None


def _cloud_instance() -> str | None:
    vendor = (_read("/sys/class/dmi/id/sys_vendor") or "").strip()
    if vendor not in _INSTANCE_TYPE_VENDORS:
        return None
    return (_read("/sys/class/dmi/id/product_name") or "").strip() or None


def detect_host() -> Host:
    """CPU, memory, OS and Python facts of this machine."""
    cpu_model, physical = _cpu_facts(_read("/proc/cpuinfo") or "")
    return Host(
        cpu_model=cpu_model or platform.processor() or None,
        cpu_cores_logical=os.cpu_count(),
        cpu_cores_physical=physical,
        ram_gib=_ram_gib(_read("/proc/meminfo")),
        os=_os_name(_read("/etc/os-release")),
        kernel=platform.release() or None,
        python=platform.python_version(),
        cloud_instance=_cloud_instance(),
    )


def _cuda_version(raw: int | None) -> str | None:
    # NVML encodes CUDA 12.4 as 12040.
    return f"{raw // 1000}.{raw % 1000 // 10}" if raw else None


def _gpu_record(index: int) -> GPU:
    handle: Any = pynvml.nvmlDeviceGetHandleByIndex(index)
    memory = nvml_try(lambda: pynvml.nvmlDeviceGetMemoryInfo(handle))
    power_mw = nvml_try(lambda: pynvml.nvmlDeviceGetEnforcedPowerLimit(handle))
    mig = nvml_try(lambda: pynvml.nvmlDeviceGetMigMode(handle))
    pci = nvml_try(lambda: pynvml.nvmlDeviceGetPciInfo(handle))
    return GPU(
        index=index,
        name=_text(pynvml.nvmlDeviceGetName(handle)),
        memory_mib=round(memory.total / 2**20, 1) if memory is not None else None,
        power_limit_w=round(power_mw / 1000.0, 1) if power_mw is not None else None,
        max_sm_clock_mhz=nvml_try(lambda: pynvml.nvmlDeviceGetMaxClockInfo(handle, pynvml.NVML_CLOCK_SM)),
        max_mem_clock_mhz=nvml_try(lambda: pynvml.nvmlDeviceGetMaxClockInfo(handle, pynvml.NVML_CLOCK_MEM)),
        mig_mode=bool(mig[0]) if mig is not None else None,
        pci_bus_id=_text(pci.busId) if pci is not None else None,
    )


def detect_hardware(gpu_indices: Sequence[int] | None = None, label: str | None = None) -> Hardware:
    """The serving hardware: this host, plus the GPUs NVML sees.

    gpu_indices: the GPUs serving the model. None = every visible GPU serves it; an empty list = a CPU engine
    (accelerator 'cpu', gpu_count 0, visible GPUs still listed for the record).
    """
    host = detect_host()
    with nvml_session() as reason:
        if reason is not None:
            return Hardware(
                accelerator="cpu", host=host, nvml_available=False, nvml_reason=reason, label=label
            )
        try:
            count = pynvml.nvmlDeviceGetCount()
            visible = list(range(count))
            serving = visible if gpu_indices is None else [i for i in gpu_indices if i in visible]
            missing = sorted(set(gpu_indices or []) - set(visible))
            if missing:
                raise ValueError(f"GPU index {missing} not visible to NVML ({count} GPUs)")
            gpus = [_gpu_record(i) for i in (serving if gpu_indices else visible)]
            driver = nvml_try(pynvml.nvmlSystemGetDriverVersion)
            cuda = nvml_try(pynvml.nvmlSystemGetCudaDriverVersion)
        except pynvml.NVMLError as exc:
            return Hardware(
                accelerator="cpu",
                host=host,
                nvml_available=False,
                nvml_reason=nvml_error_text(exc),
                label=label,
            )
    return Hardware(
        accelerator="gpu" if serving else "cpu",
        host=host,
        gpus=gpus,
        gpu_count=len(serving),
        driver_version=_text(driver) if driver is not None else None,
        cuda_version=_cuda_version(cuda),
        nvml_available=True,
        label=label,
    )


def detect_software(packages: Sequence[str] = DEFAULT_PACKAGES) -> Software:
    """Python version, platform, and the installed versions of `packages` (missing ones are left out)."""
    versions: dict[str, str] = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return Software(python=platform.python_version(), platform=platform.platform(), packages=versions)
