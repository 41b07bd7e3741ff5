"""collector.schema.BACKEND_FACTS is the one statement of each adapter's facts, and the adapters' behaviour
agrees with the flags it declares (request extras, tokenize, metrics)."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator

import pytest

from collector.backends import ADAPTERS
from collector.backends.base import BackendAdapter
from collector.backends.openai import merged_metric_names
from collector.schema import API_CHECKS, BACKEND_FACTS

# The adapter attributes that come from BACKEND_FACTS (adapter attribute -> facts field).
FACT_ATTRIBUTES = {
    "name": "name",
    "display_name": "display_name",
    "docs_url": "docs_url",
    "default_port": "default_port",
    "readiness_paths": "readiness_paths",
    "metrics_paths": "metrics_paths",
    "launch_template": "launch_template",
    "supports_ignore_eos": "ignore_eos",
    "supports_min_tokens": "min_tokens",
    "has_tokenize": "tokenize",
    "metric_names": "metric_names",
}
OUTPUT_TOKENS = 37


def test_every_adapter_has_facts_and_no_facts_without_an_adapter() -> None:
    assert set(BACKEND_FACTS) == set(ADAPTERS)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_the_adapter_takes_its_attributes_from_its_facts(name: str) -> None:
    adapter, facts = ADAPTERS[name], BACKEND_FACTS[name]
    assert type(adapter).facts is facts
    for attribute, field in FACT_ATTRIBUTES.items():
        if (name, attribute) == ("openai", "metric_names"):
            continue  # the generic adapter scrapes the union of every known backend's names (below)
        assert getattr(adapter, attribute) == getattr(facts, field), (name, attribute)


def _class_body_assignments(cls: type) -> Iterator[str]:
    tree = ast.parse(inspect.getsource(cls))
    for node in tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else ():
        if isinstance(node, ast.Assign):
            yield from (t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            yield node.target.id


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_no_adapter_restates_a_fact(name: str) -> None:
    restated = set(_class_body_assignments(type(ADAPTERS[name]))) & set(FACT_ATTRIBUTES)
    assert not restated, f"{name}: set {sorted(restated)} in BACKEND_FACTS, not in the adapter class"


def _values(extras: object) -> Iterator[object]:
    """Every key and leaf value of a request-extras body, nested objects included."""
    if isinstance(extras, dict):
        for key, value in extras.items():
            yield key
            yield from _values(value)
    else:
        yield extras


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_request_extras_follow_the_declared_flags(name: str) -> None:
    adapter, facts = ADAPTERS[name], BACKEND_FACTS[name]
    assert adapter.request_extras(ignore_eos=False, output_tokens=OUTPUT_TOKENS) == {}
    extras = adapter.request_extras(ignore_eos=True, output_tokens=OUTPUT_TOKENS)
    sent = list(_values(extras))
    assert ("ignore_eos" in sent) == facts.ignore_eos, (name, extras)
    assert (OUTPUT_TOKENS in sent) == facts.min_tokens, (name, extras)
    if not facts.ignore_eos and not facts.min_tokens:
        assert extras == {}, name
    no_length = adapter.request_extras(ignore_eos=True, output_tokens=None)
    assert OUTPUT_TOKENS not in list(_values(no_length)), name


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_a_tokenize_endpoint_is_declared_iff_the_adapter_calls_one(name: str) -> None:
    overridden = type(ADAPTERS[name]).tokenize is not BackendAdapter.tokenize
    assert overridden == BACKEND_FACTS[name].tokenize, name


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_metric_names_only_where_metrics_are_exposed(name: str) -> None:
    adapter = ADAPTERS[name]
    assert bool(adapter.metrics_paths) == bool(adapter.metric_names), name


def test_the_generic_adapter_scrapes_every_known_name() -> None:
    specific = [adapter for name, adapter in ADAPTERS.items() if name != "openai"]
    assert dict(ADAPTERS["openai"].metric_names) == merged_metric_names(specific)
    assert dict(BACKEND_FACTS["openai"].metric_names) == {}


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
