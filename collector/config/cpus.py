"""CPU lists as the --client-cpus/--engine-cpus options take them ('0-3,6', auto, off)."""

from __future__ import annotations

import re
from collections.abc import Sequence

AUTO = "auto"
OFF = "off"
_CPU_LIST = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")
MAX_CPU = 65535  # far above any host's CPU count: a larger index is a typo


def parse_cpu_list(text: str) -> list[int]:
    """'0-2,5' -> [0, 1, 2, 5] (sorted, unique). Raises ValueError naming the text."""
    compact = text.replace(" ", "")
    if not _CPU_LIST.match(compact):
        raise ValueError(f"{text!r} is not a CPU list such as 0-3,6 (or auto, off)")
    cpus: set[int] = set()
    for part in compact.split(","):
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if last < first or last > MAX_CPU:
            raise ValueError(f"{text!r}: range {part} must run upward and stay under {MAX_CPU}")
        cpus.update(range(first, last + 1))
    return sorted(cpus)


def check_cpu_option(text: str) -> str:
    """Validator for --client-cpus/--engine-cpus: auto, off or a CPU list."""
    if text.strip().lower() in (AUTO, OFF):
        return text.strip().lower()
    parse_cpu_list(text)
    return text.strip()


def cpu_list_text(cpus: Sequence[int]) -> str:
    """[0, 1, 2, 5] -> '0-2,5' (the form vLLM's VLLM_CPU_OMP_THREADS_BIND and taskset take)."""
    ordered = sorted(set(cpus))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)
