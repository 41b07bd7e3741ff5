"""Building blocks shared by every run-record model: the strict base, summaries and SLO limits."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | float | bool | None


class Strict(BaseModel):
    """Base for every record model: unknown keys are an error, so typos in run files are caught.

    NaN and infinities are refused everywhere: they are not valid JSON and no measurement produces them.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class Summary(Strict):
    """Summary statistics of one distribution (completed requests only).

    Every distribution inferboard summarises (latencies, token counts, tokens/s) is non-negative. Since
    schema version 2 the statistics are optional: an imported tool may report only some of them (e.g. a
    median and p99 but no p90); an absent statistic is absent, never guessed.
    """

    count: int | None = Field(None, description="Number of values summarised; null when not stated.", ge=0)
    mean: float | None = Field(None, description="Arithmetic mean.", ge=0)
    std: float | None = Field(None, description="Population standard deviation (0 for a single value).", ge=0)
    min: float | None = Field(None, description="Smallest value.", ge=0)
    max: float | None = Field(None, description="Largest value.", ge=0)
    p50: float | None = Field(None, description="Median (linear interpolation between closest ranks).", ge=0)
    p90: float | None = Field(None, description="90th percentile (linear interpolation).", ge=0)
    p95: float | None = Field(None, description="95th percentile (linear interpolation).", ge=0)
    p99: float | None = Field(None, description="99th percentile (linear interpolation).", ge=0)


class SLO(Strict):
    ttft_ms: float | None = Field(None, description="TTFT limit in ms.")
    tpot_ms: float | None = Field(None, description="TPOT limit in ms.")
    e2e_ms: float | None = Field(None, description="E2E latency limit in ms.")
