"""The workloads through `inferboard collect` against the real embedded llama.cpp engine: its prefix cache
(llamacpp:prompt_tokens_cached) serves the shared prefixes and the multi-turn histories, and nothing of
salted synthetic prompts."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli.main import main
from collector.schema import RunRecord, load_run

pytestmark = pytest.mark.engine

# One user, requests one after another: each request finds the previous ones' work in the cache (if any).
BASE = ["--random-weights", "--no-progress", "--no-quality", "--concurrency", "1", "--warmup", "0"]


def collect(out: Path, *args: str) -> RunRecord:
    result = CliRunner().invoke(main, ["collect", "--out", str(out), *BASE, *args])
    assert result.exit_code == 0, result.output
    (path,) = out.glob("*.json")
    return load_run(path)


def test_shared_prefixes_hit_the_engines_cache_and_salted_prompts_do_not(tmp_path: Path) -> None:
    shared = collect(
        tmp_path / "shared",
        *("--workload", "shared-prefix", "--prefix-groups", "2", "--prefix-tokens", "128"),
        *("--suffix-tokens", "16", "--requests", "8", "--output-tokens", "4"),
    )
    assert shared.workload.kind == "shared-prefix" and shared.workload.salted is False
    settings = shared.workload.shared_prefix
    assert settings is not None and (settings.groups, settings.prompts_per_group) == (2, 4)
    assert shared.workload.input_length_method == "tokenize_endpoint"
    (level,) = shared.results
    cache = level.prefix_cache
    assert cache is not None and cache.hit_rate is not None and cache.cached_tokens is not None
    # 8 prompts of 144 tokens; after each group's first request, its 128-token prefix can come from the
    # cache: ideally 6 x 128 = 768 of 1152 tokens.
    assert cache.prompt_tokens == 8 * 144
    assert cache.cached_tokens >= 0.8 * 6 * 128 and cache.hit_rate >= 0.5

    salted = collect(tmp_path / "salted", "--input-tokens", "144", "--requests", "8", "--output-tokens", "4")
    assert salted.workload.kind == "fixed" and salted.workload.salted is True
    (level,) = salted.results
    cache = level.prefix_cache
    assert cache is not None and cache.prompt_tokens == 8 * 144
    assert cache.cached_tokens == 0 and cache.hit_rate == 0


def test_multi_turn_histories_come_from_the_cache_and_ttft_is_reported_per_turn(tmp_path: Path) -> None:
    record = collect(
        tmp_path,
        *("--workload", "multi-turn", "--turns", "3", "--input-tokens", "32", "--output-tokens", "8"),
        *(
            "--requests",
            "6",
        ),
    )
    (level,) = record.results
    assert level.completed == 6 and [t.turn for t in level.turns] == [1, 2, 3]
    assert all(t.ttft_ms is not None and t.ttft_ms.count == 2 for t in level.turns)
    means = [t.input_tokens_mean for t in level.turns]
    assert None not in means and means == sorted(means)  # each turn carries the growing history
    cache = level.prefix_cache
    assert cache is not None and cache.hit_rate is not None and cache.hit_rate > 0.3
