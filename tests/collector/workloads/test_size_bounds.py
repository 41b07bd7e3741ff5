"""Reliability (issue 23): every size a user can ask for is bounded before the work starts, with the bound
and its reason in one line; only what is used is built."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from collector.config import workloads as config_workloads
from collector.config.collect import CollectConfig
from collector.config.suite import MAX_SUITE_RUNS, SuiteError, parse_suite
from collector.errors import WorkloadError
from collector.workloads import trace
from collector.workloads.shared_prefix import shared_prefix_prompts
from tests.helpers.rel_support import cli
from tests.helpers.scripted_server import Script, ScriptedServer

# Any JSON value a trace line could hold in a field, the absurd ones included.
ANY_NUMBER = st.one_of(
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
)
FIELD = st.one_of(
    ANY_NUMBER, st.lists(st.integers(-(10**20), 10**20), max_size=50), st.lists(ANY_NUMBER, max_size=3)
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["timestamp", "input_length", "output_length", "hash_ids", "x"]), FIELD)
)
def test_any_trace_line_parses_within_bounds_or_is_one_line_naming_it(obj: dict[str, object]) -> None:
    line = json.dumps(obj)
    try:
        [request] = trace.parse_trace(f"\n{line}\n", "t.jsonl")
    except WorkloadError as exc:
        message = str(exc)
        assert message.startswith("t.jsonl line 2") and "\n" not in message and len(message) < 400
        return
    assert 0 <= request.timestamp_ms <= trace.MAX_TIMESTAMP_MS
    assert 1 <= request.input_length <= trace.MAX_TOKENS and 1 <= request.output_length <= trace.MAX_TOKENS
    assert len(request.hash_ids) <= request.input_length


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ('{"input_length": 100000000000, "output_length": 1}', "'input_length' must be <= 10,000,000 tokens"),
        ('{"input_length": 1, "output_length": ' + "9" * 5000 + "}", "line 1: Exceeds the limit"),
        ('{"timestamp": ' + "9" * 400 + ', "input_length": 1, "output_length": 1}', "'timestamp' must be <="),
        ('{"input_length": 1, "output_length": 1, "x": ' + "[" * 100000 + "]" * 100000 + "}", "nested too"),
        (
            json.dumps({"input_length": 600, "output_length": 1, "hash_ids": list(range(200_000))}),
            "200,000 hash ids for 600 input tokens; one id names a block of the prompt and a block holds",
        ),
    ],
)
def test_absurd_trace_lines_are_refused_naming_the_line_and_the_bound(line: str, why: str) -> None:
    with pytest.raises(WorkloadError) as caught:
        trace.parse_trace(line, "t.jsonl")
    assert str(caught.value).startswith("t.jsonl line 1") and why in str(caught.value)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(0, trace.MAX_TIMESTAMP_MS), min_size=1, max_size=20),
    st.floats(1e-300, 1e6),
)
def test_a_schedule_is_at_most_a_week_and_never_goes_backwards(stamps: list[float], scale: float) -> None:
    requests = [trace.TraceRequest(ts, 1, 1) for ts in stamps]
    try:
        offsets = trace.schedule_s(requests, scale)
    except WorkloadError as exc:
        assert "a replay over a week" in str(exc) and "--trace-scale" in str(exc)
        return
    assert all(0 <= o <= trace.MAX_SPAN_S for o in offsets)
    assert offsets == sorted(offsets)


def test_a_trace_out_of_order_from_its_first_line_is_said() -> None:
    requests = [trace.TraceRequest(ts, 1, 1) for ts in (5000.0, 0.0, 1.0, 2.0)]
    warning = trace.out_of_order(requests)
    assert warning is not None and "3 of 4 requests" in warning and "first: request 2" in warning
    assert trace.out_of_order(sorted(requests, key=lambda r: r.timestamp_ms)) is None


def test_an_endless_or_huge_trace_file_is_refused_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace, "MAX_TRACE_BYTES", 1 << 20)
    with pytest.raises(WorkloadError, match=r"trace /dev/zero is over 1 MiB \(it is read whole"):
        trace.load_trace(Path("/dev/zero"))


@settings(max_examples=60, deadline=None)
@given(groups=st.integers(1, 6), per_group=st.integers(1, 4), limit=st.integers(1, 30))
def test_shared_prefix_builds_only_the_prompts_and_groups_it_uses(
    groups: int, per_group: int, limit: int
) -> None:
    def build(lim: int | None) -> list[tuple[int, str]]:
        prompts, _ = asyncio.run(
            shared_prefix_prompts(
                groups=groups,
                prefix_tokens=8,
                suffix_tokens=4,
                prompts_per_group=per_group,
                output_tokens=4,
                seed=1,
                tokenize=None,
                limit=lim,
            )
        )
        return [(p.group, p.text) for p in prompts]

    full, limited = build(None), build(limit)
    assert len(limited) == min(limit, groups * per_group)
    assert [g for g, _ in limited] == [i % groups for i in range(len(limited))]
    if groups <= limit:  # every group is used: the same prompts as the whole build
        assert limited == full[: len(limited)]


def test_ten_million_prefix_groups_for_eight_requests_build_eight_prompts() -> None:
    prompts, _ = asyncio.run(
        shared_prefix_prompts(
            groups=10_000_000,
            prefix_tokens=16,
            suffix_tokens=4,
            prompts_per_group=1,
            output_tokens=4,
            seed=0,
            tokenize=None,
            limit=8,
        )
    )
    assert [p.group for p in prompts] == list(range(8))


def test_prompts_that_cannot_fit_in_memory_are_refused_before_any_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(config_workloads, "available_memory", lambda: 4 * 2**30)
    with pytest.raises(
        ValidationError, match=r"200 prompts of up to 10,000,000 tokens would take about 14\.9 GiB"
    ):
        CollectConfig(endpoint="http://h:1", input_tokens=10_000_000, requests=200, concurrency=[1], warmup=0)
    CollectConfig(endpoint="http://h:1", input_tokens=1000, requests=200, concurrency=[1], warmup=0)


def test_a_conversation_longer_than_any_context_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"--turns 1000 x .* over 10,000,000 \(no model's context"):
        CollectConfig(
            endpoint="http://h:1", workload="multi-turn", turns=1000, input_tokens=10_000_000, output_tokens=8
        )


@pytest.mark.parametrize(("servers", "workloads"), [(2000, 2000), (MAX_SUITE_RUNS + 1, 1), (40, 26)])
def test_a_suite_of_too_many_runs_is_refused_naming_the_product(servers: int, workloads: int) -> None:
    lines = ["name: big", "servers:"] + [f"  - {{name: s{i}, endpoint: 'http://h'}}" for i in range(servers)]
    lines += ["workloads:"] + [f"  - {{name: w{i}}}" for i in range(workloads)]
    with pytest.raises(SuiteError) as caught:
        parse_suite("\n".join(lines) + "\n", "s.yaml")
    assert f"{servers:,} servers x {workloads:,} workloads = {servers * workloads:,} runs" in str(
        caught.value
    )
    assert f"at most {MAX_SUITE_RUNS:,}" in str(caught.value)


def test_hash_ids_beyond_what_the_prompt_holds_build_no_block() -> None:
    many = trace.parse_trace(
        json.dumps({"input_length": 600, "output_length": 1, "hash_ids": list(range(600))})
    )
    used = trace.parse_trace(json.dumps({"input_length": 600, "output_length": 1, "hash_ids": [0, 1]}))
    [a], _ = asyncio.run(trace.trace_prompts(many, seed=3, tokenize=None))
    [b], _ = asyncio.run(trace.trace_prompts(used, seed=3, tokenize=None))
    assert a.text == b.text


def test_a_trace_out_of_order_warns_on_the_console_and_in_the_run(tmp_path: Path) -> None:
    lines = [{"timestamp": ts, "input_length": 8, "output_length": 2} for ts in (900, 0, 10, 20)]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with ScriptedServer(Script(ttft_ms=1.0, itl_ms=1.0)) as srv:
        got = cli(
            ["--endpoint", srv.url, "--backend", "openai", "--workload", "trace", "--trace", str(path)],
            tmp_path / "runs",
        )
    assert got.exit_code == 0, got.stderr
    [warning] = [line for line in got.stderr.splitlines() if line.startswith("warning: trace:")]
    assert "3 of 4 requests" in warning
    assert warning.removeprefix("warning: ") in got.record().notes
