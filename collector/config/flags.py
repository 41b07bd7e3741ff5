"""Compound flag values of `collect` (SLO limits, quantization and serving facts) parsed into the options
model's objects; shared by the command line and the suite runner, whose explicit flags override cells."""

from __future__ import annotations

import json
import math
from typing import Any

import click

from collector.provenance.facts import parse_quantization_pairs, parse_serving_pairs
from collector.schema import SLO
from collector.schema.models import Scalar

__all__ = ["parse_request_params", "parse_slo", "provenance_options"]


def parse_slo(value: str | None) -> SLO | None:
    """'ttft=500,tpot=50[,e2e=10000]' (milliseconds) -> SLO; limits finite and > 0, each key once."""
    if value is None:
        return None
    limits: dict[str, float] = {}
    for part in value.split(","):
        key, sep, num = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in ("ttft", "tpot", "e2e"):
            raise click.BadParameter(f"expected e.g. 'ttft=500,tpot=50' (ms), got {value!r}")
        if f"{key}_ms" in limits:
            raise click.BadParameter(f"{key} is given twice in {value!r}")
        try:
            limit = float(num)
        except ValueError:
            raise click.BadParameter(f"{key} limit must be a number of ms, got {num!r}") from None
        if not math.isfinite(limit) or limit <= 0:
            raise click.BadParameter(f"{key} limit must be a finite number of ms > 0, got {num.strip()!r}")
        limits[f"{key}_ms"] = limit
    return SLO(**limits)


def parse_request_params(items: tuple[str, ...]) -> dict[str, Scalar]:
    """--request-param KEY=VALUE (repeatable) -> extra body fields; a JSON scalar value (1, 0.5, true, null)
    keeps its type, anything else is a string."""
    params: dict[str, Scalar] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}")
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        if isinstance(value, float) and not math.isfinite(value):
            value = text
        params[key.strip()] = value if value is None or isinstance(value, str | int | float | bool) else text
    return params


def provenance_options(quant: tuple[str, ...], serving: tuple[str, ...], tp: int | None) -> dict[str, Any]:
    """--quantization/--serving/--tp as schema objects (source 'flag'); bad items name the flag."""
    try:
        return {
            "quantization": parse_quantization_pairs(quant),
            "serving": parse_serving_pairs(serving, tensor_parallel=tp),
        }
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
