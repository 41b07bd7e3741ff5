"""The engine context of a collection is the TOTAL context, split across the slots (docs/suites.md, `--ctx`
of the engine command): checked on the real embedded engine's /props, including the 4096 that used to be
silently replaced by a size computed from the workload."""

from __future__ import annotations

import httpx
import pytest

from collector.config.collect import CollectConfig
from collector.server.server import ServerStartError, _per_slot_context, embedded_server

pytestmark = pytest.mark.engine


def _props(base_url: str) -> dict[str, object]:
    with httpx.Client(base_url=base_url, timeout=10.0, trust_env=False) as client:
        props = client.get("/props").json()
    assert isinstance(props, dict)
    return props


@pytest.mark.parametrize(("n_ctx", "parallel"), [(4096, 4), (2048, 2)])
def test_the_given_engine_context_is_the_total_split_across_slots(n_ctx: int, parallel: int) -> None:
    config = CollectConfig(engine_ctx=n_ctx, engine_parallel=parallel, concurrency=[1], output_tokens=8)
    with embedded_server(config) as handle:
        props = _props(handle.base_url)
        assert props["total_slots"] == parallel
        generation = props["default_generation_settings"]
        assert isinstance(generation, dict)
        assert generation["n_ctx"] == n_ctx // parallel
        assert handle.launch.engine_settings["n_ctx"] == n_ctx
        assert handle.model is not None and handle.model.max_context == n_ctx // parallel


def test_without_a_context_each_slot_is_sized_to_the_workload() -> None:
    config = CollectConfig(engine_parallel=2, concurrency=[1], input_tokens=64, output_tokens=8)
    with embedded_server(config) as handle:
        generation = _props(handle.base_url)["default_generation_settings"]
        assert isinstance(generation, dict)
        assert generation["n_ctx"] == _per_slot_context(config)


def test_a_context_too_small_for_the_slots_is_refused_in_one_line() -> None:
    config = CollectConfig(engine_ctx=16, engine_parallel=4, concurrency=[1])
    with pytest.raises(ServerStartError, match="too small for 4 slots"), embedded_server(config):
        pass
