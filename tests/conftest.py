"""Suite-wide rules. A test on a real engine, a browser, vLLM, SGLang or Ray is slow by nature: it gets the
`slow` marker here, once, so `pytest -m "not slow"` is the fast set (README); the default run keeps it."""

from __future__ import annotations

import pytest

SLOW_BY_NATURE = ("engine", "browser", "vllm", "sglang", "ray")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(name) for name in SLOW_BY_NATURE):
            item.add_marker(pytest.mark.slow)
