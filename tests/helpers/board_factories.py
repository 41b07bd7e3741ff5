"""A crafted set for the configuration leaderboard and charts: 10 runs of one configuration, 3 of another."""

from __future__ import annotations

from collector.schema import RunRecord
from tests.helpers.gen_factories import make_run

LEVELS = (1, 4, 16)


def crafted() -> list[RunRecord]:
    """10 runs of vLLM (2 trials each, c=16 client-saturated in every run) and 3 of SGLang (1 trial)."""
    vllm = [
        make_run(
            f"aaaa{i:08d}",
            backend="vllm",
            repeats=2,
            speed=1.0 + 0.01 * i,
            saturated_levels=(16,),
            created_day=i,
        )
        for i in range(10)
    ]
    sglang = [
        make_run(f"bbbb{i:08d}", backend="sglang", version="0.3.5", speed=0.8, created_day=i)
        for i in range(3)
    ]
    return vllm + sglang
