"""Suite-wide rules. A test on a real engine, a browser, vLLM, SGLang or Ray is slow by nature: it gets the
`slow` marker here, once, so `pytest -m "not slow"` is the fast set (README); the default run keeps it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from collector.secrets.scrub import forget_all

SLOW_BY_NATURE = ("engine", "browser", "vllm", "sglang", "ray")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(name) for name in SLOW_BY_NATURE):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _forget_registered_secrets() -> Iterator[None]:
    """Secrets are registered for the life of a process; one test's (a property test registers hundreds of
    random ones) must not scrub the next test's run files."""
    yield
    forget_all()
