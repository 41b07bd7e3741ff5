"""The run page says how engine and client shared the host and what sampling every request asked for;
the "n trials × m requests" figure reads as a product only when it is one."""

from __future__ import annotations

from collector.schema import Isolation
from generator.pages.runsummary import conditions_text
from tests.helpers.gen_factories import make_run


def test_an_isolated_greedy_run_names_both_cpu_sets_and_greedy() -> None:
    record = make_run()
    record.isolation = Isolation(applied=True, client_cpus=[1], engine_cpus=[0])
    record.workload.sampling = "greedy"
    assert conditions_text(record) == "engine on CPU 0, client on CPU 1; greedy sampling (temperature 0)"


def test_an_external_server_says_why_it_was_not_isolated() -> None:
    record = make_run()
    record.isolation = Isolation(applied=False, reason="external server <b>left alone</b>")
    record.workload.sampling = "server-default"
    text = conditions_text(record)
    assert text.startswith("engine and client not isolated (external server")
    assert text.endswith("; the server's default sampling")


def test_older_runs_say_what_they_do_not_record() -> None:
    record = make_run()
    record.isolation = None
    record.workload.sampling = None
    assert conditions_text(record) == "CPU placement not recorded; sampling not recorded"


def test_trials_and_requests_read_as_a_product_only_when_they_are_one() -> None:
    from generator.render.templates import trials_requests

    assert trials_requests(3, 42) == "3 × 14"  # 3 trials of 14 requests each
    assert trials_requests(3, 41) == "3 trials, 41 requests"  # uneven: the total, in words
    assert trials_requests(1, 6) == "1 × 6"
    assert trials_requests(2, None) == "2"
