"""collector.schema.BACKEND_FACTS (what the site's backend profiles read) agrees with every adapter."""

from __future__ import annotations

import pytest

from collector.backends import ADAPTERS
from collector.schema import API_CHECKS, BACKEND_FACTS


def test_every_adapter_has_facts_and_no_facts_without_an_adapter() -> None:
    assert set(BACKEND_FACTS) == set(ADAPTERS)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_facts_equal_the_adapter(name: str) -> None:
    adapter, facts = ADAPTERS[name], BACKEND_FACTS[name]
    assert facts.display_name == adapter.display_name
    assert facts.docs_url == adapter.docs_url
    assert facts.default_port == adapter.default_port
    assert facts.readiness_paths == adapter.readiness_paths
    assert facts.metrics_paths == adapter.metrics_paths
    assert facts.launch_template == adapter.launch_template
    assert (facts.ignore_eos, facts.min_tokens, facts.tokenize) == (
        adapter.supports_ignore_eos,
        adapter.supports_min_tokens,
        adapter.has_tokenize,
    )
    if name != "openai":  # the generic adapter scrapes the union of every known backend's names
        assert dict(facts.metric_names) == dict(adapter.metric_names)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_api_facts_cover_every_check_and_name_their_source(name: str) -> None:
    facts = BACKEND_FACTS[name]
    assert set(facts.api) == set(API_CHECKS)
    for fact in facts.api.values():
        assert fact.source, (name, fact)
        if fact.basis == "documented":
            assert fact.source.startswith("https://"), (name, fact)
    flags = {"ignore_eos": facts.ignore_eos, "min_tokens": facts.min_tokens, "tokenize": facts.tokenize}
    for key, on in flags.items():
        assert facts.api[key].value.startswith("yes") == on, (name, key)


def test_backends_never_run_here_say_so() -> None:
    never = {name for name, facts in BACKEND_FACTS.items() if facts.checked_live is None}
    assert {"lmdeploy", "mlc", "trtllm", "tgi", "ollama"} <= never
    assert not never & {"vllm", "llama.cpp", "transformers", "sglang"}
