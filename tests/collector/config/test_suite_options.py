"""A suite can set what the command line can (issue 10's drift list): workers, retries, the request-record
bound, the hardware label, the engine context and the telemetry rate reach the collection's config; and
the engine context means the same (total) on both sides."""

from __future__ import annotations

from collector.config.suite import expand, parse_suite
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
