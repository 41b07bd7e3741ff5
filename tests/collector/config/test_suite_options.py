"""A suite can set what the command line can (issue 10's drift list): workers, retries, the request-record
bound, the hardware label, the engine context and the telemetry rate reach the collection's config; and
the engine context means the same (total) on both sides."""

from __future__ import annotations

import click
import pytest
from pydantic import ValidationError

from collector.config.collect import CollectConfig
from collector.config.flags import parse_request_params
from collector.config.options import SERVER_FIELDS, CollectOptions
from collector.config.suite import SuiteError, expand, parse_suite
from collector.run.suites import cell_config

SUITE = """
name: drift
defaults:
  workers: 2
  retries: 3
  max_request_records: 7
  telemetry_hz: 4
  concurrency: [1]
servers:
  - name: remote
    endpoint: http://127.0.0.1:8000
    hardware_label: "8x H100 (remote)"
  - name: local
    engine: {shape: tiny, n_ctx: 4096, parallel: 4}
"""


def test_a_suite_sets_what_the_command_line_sets() -> None:
    remote, local = expand(parse_suite(SUITE))
    config = cell_config(remote, environ={})
    assert (config.workers, config.retries, config.max_request_records) == (2, 3, 7)
    assert config.telemetry_hz == 4
    assert config.hardware_label == "8x H100 (remote)"
    engine = cell_config(local, environ={})
    assert (engine.engine_ctx, engine.engine_parallel) == (4096, 4)


def test_command_line_flags_override_the_suite_under_the_same_names() -> None:
    (remote, _) = expand(parse_suite(SUITE))
    config = cell_config(
        remote, {"workers": 1, "max_request_records": 9, "connect_timeout_s": 2.5}, environ={}
    )
    assert (config.workers, config.max_request_records, config.connect_timeout_s) == (1, 9, 2.5)


def test_suite_options_are_the_options_model_fields_under_the_same_names() -> None:
    from_model = {name for name in CollectConfig.model_fields if name not in SERVER_FIELDS}
    assert set(CollectOptions.model_fields) - {"api_key_env"} == from_model - {"notes", "command", "suite"}
    for name in CollectOptions.model_fields.keys() - {"api_key_env"}:
        assert CollectOptions.model_fields[name].description == CollectConfig.model_fields[name].description


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"request_rate": [0]}, "request rate must be > 0"),
        ({"read_timeout_s": 0}, "a timeout must be > 0"),
        ({"slo": {"ttft_ms": -1}}, "SLO ttft must be a finite number of ms > 0"),
        ({"workers": 5000}, r"workers must be <= 1024 \(load-generating processes\)"),
    ],
)
def test_suite_options_are_checked_like_the_flags(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CollectOptions.model_validate(options)


def test_the_deprecated_timeouts_mapping_still_reads_as_the_timeout_options() -> None:
    text = SUITE.replace("  workers: 2\n", "  workers: 2\n  timeouts: {connect_s: 4, total_s: 90}\n")
    remote, _ = expand(parse_suite(text))
    config = cell_config(remote, environ={})
    assert (config.connect_timeout_s, config.read_timeout_s, config.request_timeout_s) == (4, 60, 90)
    with pytest.raises(SuiteError, match=r"defaults: Value error, timeouts.connect_s and connect_timeout_s"):
        parse_suite(text.replace("  workers: 2\n", "  workers: 2\n  connect_timeout_s: 5\n"))


@pytest.mark.parametrize(
    ("server", "message"),
    [
        (
            "{name: e, engine: {n_ctx: 8}}",
            r"servers\[0\]\.engine\.n_ctx: Value error, engine context must be >= 16",
        ),
        ("{name: e, engine: {parallel: 0}}", "engine parallel slots must be >= 1"),
        (
            "{name: r, endpoint: 'http://h:1', ready_timeout_s: 1e9}",
            r"a timeout must be <= 604800 \(a week\)",
        ),
    ],
)
def test_server_keys_are_checked_like_the_flags(server: str, message: str) -> None:
    with pytest.raises(SuiteError, match=message):
        parse_suite(f"name: x\nservers:\n  - {server}\n")


def test_request_params_are_a_flag_too() -> None:
    assert parse_request_params(("temperature=0.7", "top_k=5", "stop=END", "logprobs=true", "x=null")) == {
        "temperature": 0.7,
        "top_k": 5,
        "stop": "END",
        "logprobs": True,
        "x": None,
    }
    with pytest.raises(click.BadParameter, match="expected KEY=VALUE"):
        parse_request_params(("temperature",))
    remote, _ = expand(parse_suite(SUITE.replace("  workers: 2\n", "  request_params: {top_p: 0.9}\n")))
    assert cell_config(remote, environ={}).request_params == {"top_p": 0.9}
    config = cell_config(remote, {"request_params": ("top_p=0.5",)}, environ={})
    assert config.request_params == {"top_p": 0.5}
