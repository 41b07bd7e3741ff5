"""Measurement conditions: was the client healthy, was the host quiet, were engine and client isolated?

These fields decide whether a level may count toward a verdict (see `collector.schema.definitions`'
clean-level rules): a level measured by a busy or starved client, or on a busy host, measures that
contention rather than the backend.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from collector.schema.base import Strict


class ClientHealth(Strict):
    """The collector's self-check: is the client itself the bottleneck, and if so, why?"""

    loop_lag_p99_ms: float | None = Field(None, description="p99 event-loop lag while the level ran.")
    loop_lag_max_ms: float | None = Field(None, description="Max event-loop lag while the level ran.")
    cpu_percent: float | None = Field(None, description="Collector CPU use, percent of one core.")
    cpu_seconds: float | None = Field(None, description="Collector CPU seconds spent in the level.")
    saturated: bool = Field(
        False,
        description="True when the client was busy: its own CPU passed the threshold, so its timestamps "
        "include its own queueing (fix: more --workers).",
    )
    starved: bool = Field(
        False,
        description="True when the client's event loop ran late while its own CPU stayed low: something "
        "else held the cores (fix: isolate the engine, quiet the host).",
    )
    cause: Literal["busy", "starved"] | None = Field(
        None, description="Why the level's client timing is not trusted; null when it is."
    )
    reason: str | None = Field(None, description="Which threshold was passed, with the figures.")
    advice: str | None = Field(None, description="What to change so the next run is clean.")
    host_load_1m: float | None = Field(
        None, description="Host 1-minute load average at the end of the level (/proc/loadavg).", ge=0
    )
    host_steal_percent: float | None = Field(
        None, description="CPU time stolen by the hypervisor over the level, percent of all CPU time.", ge=0
    )
    client_cpu_share_percent: float | None = Field(
        None,
        description="The client's CPU seconds as a percent of all busy CPU seconds on the host over the "
        "level.",
        ge=0,
    )


class HostLoad(Strict):
    """The host's load just before a level started (and how long the collector waited for quiet)."""

    load_1m: float | None = Field(None, description="1-minute load average (/proc/loadavg).", ge=0)
    other_cpu_cores: float | None = Field(
        None,
        description="CPU used by processes other than the collector and the server it drives, in cores, "
        "over a short window before the level.",
        ge=0,
    )
    steal_percent: float | None = Field(
        None, description="CPU time stolen by the hypervisor over that window, percent.", ge=0
    )
    threshold_cores: float | None = Field(
        None, description="Quiet threshold on other_cpu_cores the collector waited for; null: no wait."
    )
    waited_s: float = Field(0.0, description="Seconds spent waiting for a quiet host.", ge=0)
    quiet: bool | None = Field(
        None, description="Whether the host was under the threshold when the level started; null: no wait."
    )


class Isolation(Strict):
    """Which CPUs the engine and the load client were given when both ran on one host."""

    applied: bool = Field(description="Whether engine and client were given disjoint CPU sets.")
    client_cpus: list[int] | None = Field(None, description="CPUs the load client was pinned to.")
    engine_cpus: list[int] | None = Field(None, description="CPUs the engine was pinned to.")
    client_method: str | None = Field(None, description="How the client's CPU set was applied.")
    engine_method: str | None = Field(
        None, description="How the engine's CPU set and thread settings were applied."
    )
    engine_threads: int | None = Field(None, description="Engine compute threads set to match its CPUs.")
    reason: str | None = Field(None, description="Why isolation was not applied (e.g. an external server).")
