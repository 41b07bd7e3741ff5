"""The methodology page's workload definitions cannot drift from the collector's generators."""

from __future__ import annotations

from typing import get_args

from collector.schema import CAPACITY_DEFINITIONS, PRESET_DEFINITIONS, WORKLOAD_DEFINITIONS, Workload
from collector.workloads.presets import PRESETS


def test_preset_table_mirrors_the_collector_presets() -> None:
    assert [p.name for p in PRESET_DEFINITIONS] == list(PRESETS)
    for p in PRESET_DEFINITIONS:
        real = PRESETS[p.name]
        assert (p.input_tokens, p.output_tokens, p.range_ratio) == (
            real.input_tokens,
            real.output_tokens,
            real.range_ratio,
        )
        assert (p.prompts_per_user, p.warmup_per_user) == (real.prompts_per_user, real.warmup_per_user)


def test_every_workload_kind_is_defined() -> None:
    literal = get_args(Workload.model_fields["kind"].annotation)[0]
    kinds = set(get_args(literal))
    defined = {d.key for d in WORKLOAD_DEFINITIONS}
    assert kinds - {"dataset"} <= defined
    assert {"salting", "reasoning"} <= defined
    assert {d.key for d in CAPACITY_DEFINITIONS} == {"capacity_search", "capacity_ranking"}
