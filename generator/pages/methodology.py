"""The Methodology page: the schema's definitions and rules, and the hardware and quantizations seen."""

from __future__ import annotations

from collections import Counter

from collector.schema import (
    CAPACITY_DEFINITIONS,
    CLEAN_RULES,
    CONFIGURATION_FIELDS,
    METRIC_DEFINITIONS,
    MIN_DECIDING_REASON,
    MIN_DECIDING_REQUESTS,
    PERCENTILE_MIN_SAMPLES,
    PRESET_DEFINITIONS,
    WORKLOAD_DEFINITIONS,
)
from generator.data.tables import (
    class_label,
)
from generator.pages.common import SiteContext, trusted
from generator.render.templates import template


def methodology_page(ctx: SiteContext) -> str:
    hw: Counter[tuple[str, str, str]] = Counter()
    quant: Counter[tuple[str, str, str]] = Counter()
    for run, info in zip(ctx.runs, ctx.runs_frame.to_dict("records"), strict=True):
        h, q = run.record.hardware, run.record.quantization
        driver = f"{h.driver_version or '—'} / {h.cuda_version or '—'}"
        hw[(info["hardware"], class_label(info["klass"]), driver)] += 1
        quant[(q.format or "unknown", q.weights_dtype or "—", q.kv_cache_dtype or "—")] += 1
    return template("methodology.md.j2").render(
        fragments=ctx.fragments,
        definitions=METRIC_DEFINITIONS,
        workload_definitions=WORKLOAD_DEFINITIONS,
        capacity_definitions=CAPACITY_DEFINITIONS,
        presets=PRESET_DEFINITIONS,
        configuration_fields=CONFIGURATION_FIELDS,
        clean_rules=CLEAN_RULES,
        min_requests=MIN_DECIDING_REQUESTS,
        min_requests_why=MIN_DECIDING_REASON,
        percentile_min=PERCENTILE_MIN_SAMPLES,
        trusted=trusted,
        hardware_rows=[{"hardware": k[0], "klass": k[1], "driver": k[2], "runs": n} for k, n in hw.items()],
        quant_rows=[{"format": k[0], "weights": k[1], "kv": k[2], "runs": n} for k, n in quant.items()],
    )
