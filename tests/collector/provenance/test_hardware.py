"""Hardware and software detection on this machine (no GPU driver here: the clean CPU record)."""

from __future__ import annotations

import os
import platform

import pynvml
import pytest

from collector.provenance.hardware import (
    _cpu_facts,
    _cuda_version,
    _os_name,
    _ram_gib,
    detect_hardware,
    detect_software,
)


def _nvml_works() -> bool:
    try:
        pynvml.nvmlInit()
    except (pynvml.NVMLError, OSError):
        return False
    pynvml.nvmlShutdown()
    return True


def test_detect_hardware_never_crashes_and_describes_the_host() -> None:
    hw = detect_hardware()
    assert hw.host.python == platform.python_version()
    assert hw.host.cpu_cores_logical == os.cpu_count()
    if os.path.exists("/proc/meminfo"):
        assert hw.host.ram_gib is not None and hw.host.ram_gib > 0
    if os.path.exists("/proc/cpuinfo"):
        assert hw.host.cpu_model
    assert hw.host.kernel == platform.release()
    hw.model_validate(hw.model_dump())  # round-trips through the schema


@pytest.mark.skipif(_nvml_works(), reason="NVML works here; the no-NVML record is not produced")
def test_without_nvml_the_record_is_cpu_with_the_nvml_error_text() -> None:
    hw = detect_hardware()
    assert hw.accelerator == "cpu"
    assert not hw.nvml_available
    assert hw.nvml_reason  # the library's own message, e.g. 'NVML Shared Library Not Found'
    assert hw.gpus == [] and hw.gpu_count == 0
    assert detect_hardware([0, 1], label="lab box").label == "lab box"


def test_cpu_facts_from_cpuinfo_text() -> None:
    cpuinfo = "".join(
        f"processor\t: {i}\nmodel name\t: Example CPU 9000\nphysical id\t: {i // 4}\ncore id\t\t: {i % 2}\n\n"
        for i in range(8)
    )
    assert _cpu_facts(cpuinfo) == ("Example CPU 9000", 4)
    assert _cpu_facts("processor : 0\nHardware : BCM2835\n") == ("BCM2835", None)


def test_small_parsers() -> None:
    assert _ram_gib("MemTotal:       24683012 kB\nMemFree: 1 kB\n") == pytest.approx(23.54, abs=0.01)
    assert _ram_gib("") is None
    assert (
        _os_name('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
        == "Debian GNU/Linux 12 (bookworm)"
    )
    assert _cuda_version(12040) == "12.4" and _cuda_version(11080) == "11.8" and _cuda_version(None) is None


def test_detect_software_lists_installed_packages_only() -> None:
    sw = detect_software(("pydantic", "numpy", "surely-not-installed-pkg"))
    assert set(sw.packages) == {"pydantic", "numpy"}
    assert sw.python == platform.python_version()
    assert "inferboard" in detect_software().packages
