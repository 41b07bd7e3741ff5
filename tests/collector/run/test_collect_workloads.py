"""The workloads and the capacity search through `inferboard collect` against the scripted server: the
options reach the runner, the levels run, and the run file records the workload and its figures."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from collector.schema import Capacity, load_run
from tests.helpers.rel_support import FAST, cli, spawn, wait_for_text
from tests.helpers.scripted_server import Script, ScriptedServer

REPO = Path(__file__).resolve().parents[3]
TRACE = REPO / "docs" / "examples" / "trace-small.jsonl"
BATCH = 3
SERVICE_MS = 200.0


@pytest.mark.slow
def test_capacity_search_finds_exactly_the_servers_batch_limit(tmp_path: Path) -> None:
    # B streams at once, the rest queue: with B + 1 users one request per round waits a whole service time,
    # so a TTFT SLO of 1.5 service times holds for every request up to B users and for 3 in 4 at B + 1.
    script = Script(ttft_ms=SERVICE_MS, itl_ms=5.0, batch_limit=BATCH)
    with ScriptedServer(script) as srv:
        got = cli(
            [
                "--endpoint",
                srv.url,
                *FAST,
                "--output-tokens",
                "1",
                "--requests",
                "8",
                "--find-capacity",
                "concurrency",
                "--slo",
                f"ttft={1.5 * SERVICE_MS:g}",
                "--capacity-max",
                "16",
            ],
            tmp_path,
        )
    assert got.exit_code == 0, got.stderr
    record = got.record()
    capacity = record.capacity
    assert isinstance(capacity, Capacity)
    assert capacity.capacity == BATCH and capacity.next_level == BATCH + 1
    assert [p.level for p in capacity.probes] == [1, 2, 4, 3]
    assert [p.phase for p in capacity.probes] == ["expand", "expand", "expand", "bisect"]
    assert capacity.attainment_at_capacity == 1.0
    assert capacity.attainment_at_next_level is not None and capacity.attainment_at_next_level <= 0.75
    assert not (capacity.lower_bound or capacity.zero_capacity or capacity.interrupted)
    # Every probe is a normal level of the run, in the order probed.
    assert [r.concurrency for r in record.results] == [1, 2, 4, 3]
    assert record.workload.mode == "concurrency" and record.workload.slo is not None


@pytest.mark.slow
def test_capacity_below_the_lowest_level_is_zero_and_a_reachable_maximum_a_lower_bound(
    tmp_path: Path,
) -> None:
    with ScriptedServer(Script(ttft_ms=SERVICE_MS, itl_ms=5.0, batch_limit=BATCH)) as srv:
        base = ["--endpoint", srv.url, *FAST, "--output-tokens", "1", "--requests", "4"]
        zero = cli([*base, "--find-capacity", "concurrency", "--slo", "ttft=50"], tmp_path / "zero")
        bound = cli(
            [*base, "--find-capacity", "concurrency", "--slo", "ttft=300", "--capacity-max", "2"],
            tmp_path / "bound",
        )
    zero_cap = zero.record().capacity
    assert zero_cap is not None and zero_cap.zero_capacity and zero_cap.capacity == 0
    assert "zero capacity" in zero_cap.note
    bound_cap = bound.record().capacity
    assert bound_cap is not None and bound_cap.lower_bound and bound_cap.capacity == 2
    assert "lower bound" in bound_cap.note


@pytest.mark.slow
def test_capacity_search_by_request_rate_with_timed_probes(tmp_path: Path) -> None:
    with ScriptedServer(Script(ttft_ms=20.0, itl_ms=2.0)) as srv:
        got = cli(
            [
                "--endpoint",
                srv.url,
                *FAST,
                "--duration",
                "1",
                "--find-capacity",
                "rate",
                "--slo",
                "ttft=2000",
                "--capacity-max",
                "4",
            ],
            tmp_path,
        )
    assert got.exit_code == 0, got.stderr
    record = got.record()
    assert record.capacity is not None and record.capacity.mode == "rate"
    assert record.capacity.lower_bound and record.capacity.capacity == 4
    assert [r.request_rate for r in record.results] == [1, 2, 4]
    assert record.workload.mode == "rate"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--find-capacity", "concurrency"], "--find-capacity needs --slo"),
        (["--find-capacity", "rate", "--slo", "ttft=5", "--concurrency", "1,2"], "drop --concurrency"),
        (["--slo-attainment", "1.5"], "SLO attainment must be <= 1"),
        (["--capacity-max", "0"], "capacity max must be > 0"),
        (["--find-capacity", "concurrency", "--slo", "ttft=5", "--capacity-max", "2.5"], "whole number"),
        (["--find-capacity", "concurrency", "--slo", "ttft=5", "--repeats", "2"], "drop --repeats"),
        (["--workload", "multi-turn", "--duration", "5"], "drop --duration"),
        (["--preset", "8k/1k", "--workload", "shared-prefix"], "--preset needs --workload preset"),
        (["--preset", "2k/2k"], "unknown sequence-length preset '2k/2k'"),
        (["--workload", "trace"], "needs --trace FILE"),
        (["--workload", "multi-turn", "--request-rate", "2"], "use --concurrency"),
        (["--turns", "0"], "turns must be >= 1"),
        (["--think-time", "-1"], "think time must be >= 0"),
        (["--trace-scale", "0"], "trace scale must be > 0"),
    ],
)
def test_bad_workload_and_capacity_options_are_one_line_errors(
    tmp_path: Path, args: list[str], message: str
) -> None:
    got = cli(["--endpoint", "http://127.0.0.1:9", *FAST, *args], tmp_path)
    assert got.exit_code == 2
    assert message in got.stderr, got.stderr
    assert "Traceback" not in got.stderr and not got.run_files()


def test_a_bad_trace_line_is_named_before_anything_starts(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"timestamp": 0, "input_length": 5, "output_length": 2}\n{"timestamp": 1}\n')
    got = cli(["--endpoint", "http://127.0.0.1:9", *FAST, "--trace", str(bad)], tmp_path / "out")
    assert got.exit_code == 2 and "bad.jsonl line 2: 'input_length' must be an integer" in got.stderr


@pytest.mark.slow
def test_trace_replay_of_the_shipped_example(tmp_path: Path) -> None:
    lines = TRACE.read_text().splitlines()
    with ScriptedServer(Script(ttft_ms=5.0, itl_ms=1.0)) as srv:
        got = cli(
            [
                "--endpoint",
                srv.url,
                *FAST,
                "--trace",
                str(TRACE),
                "--trace-scale",
                "4",
                "--trace-requests",
                "12",
            ],
            tmp_path,
        )
    assert got.exit_code == 0, got.stderr
    record = got.record()
    settings = record.workload.trace
    assert record.workload.kind == "trace" and settings is not None and record.workload.salted is False
    assert settings.requests == 12 and settings.time_scale == 4 and settings.block_tokens == 512
    first, last = json.loads(lines[0]), json.loads(lines[11])
    assert settings.span_s == pytest.approx((last["timestamp"] - first["timestamp"]) / 1000 / 4)
    ids = {h for line in lines[:12] for h in json.loads(line)["hash_ids"]}
    assert settings.unique_blocks == len(ids)
    assert settings.generated_by is not None and "trace_gen" in settings.generated_by
    (level,) = record.results
    assert level.completed == 12 and level.concurrency is None
    assert level.request_rate == pytest.approx(11 / settings.span_s)
    assert level.trace_timing is not None and level.trace_timing.send_error_ms is not None
    assert level.trace_timing.late_over_10ms <= 12
    assert "\ntrace 10.3/s " in got.stdout  # the summary table names the replay
    # max_tokens = each request's output_length: the scripted server streams exactly that many tokens.
    assert level.output_tokens_total == sum(json.loads(line)["output_length"] for line in lines[:12])


def test_a_trace_sent_at_once_has_no_rate(tmp_path: Path) -> None:
    burst = tmp_path / "burst.jsonl"
    burst.write_text('{"timestamp": 0, "input_length": 6, "output_length": 3, "hash_ids": [1]}\n' * 3)
    with ScriptedServer(Script(ttft_ms=5.0, itl_ms=1.0)) as srv:
        got = cli(["--endpoint", srv.url, *FAST, "--trace", str(burst)], tmp_path / "out")
    assert got.exit_code == 0, got.stderr
    (level,) = got.record().results
    assert level.completed == 3 and level.request_rate is None and "\ntrace " in got.stdout


def test_multi_turn_reports_ttft_per_turn(tmp_path: Path) -> None:
    with ScriptedServer(Script(ttft_ms=5.0, itl_ms=1.0)) as srv:
        got = cli(
            [
                "--endpoint",
                srv.url,
                *FAST,
                "--workload",
                "multi-turn",
                "--turns",
                "3",
                "--think-time",
                "0.01",
                "--concurrency",
                "2",
                "--requests",
                "6",
            ],
            tmp_path,
        )
    assert got.exit_code == 0, got.stderr
    record = got.record()
    settings = record.workload.multi_turn
    assert record.workload.api == "chat" and record.workload.kind == "multi-turn"
    assert settings is not None and settings.turns == 3 and settings.turn_output_tokens == 8
    assert settings.think_time_s == 0.01 and settings.sessions == 2
    (level,) = record.results
    assert level.completed == 6  # two users, one session of three turns each
    assert [t.turn for t in level.turns] == [1, 2, 3]
    assert all(t.ttft_ms is not None and t.ttft_ms.count == 2 for t in level.turns)


@pytest.mark.slow
def test_a_preset_sets_lengths_and_requests_per_user(tmp_path: Path) -> None:
    with ScriptedServer(Script(ttft_ms=2.0, itl_ms=0.1)) as srv:
        got = cli(
            ["--endpoint", srv.url, "--backend", "openai", "--preset", "1k/1k", "--concurrency", "1,2"],
            tmp_path,
        )
    assert got.exit_code == 0, got.stderr
    record = got.record()
    workload = record.workload
    assert workload.kind == "preset" and workload.preset == "1k/1k" and workload.length_range_ratio == 0.8
    assert workload.input_tokens == 1024 and workload.output_tokens == 1024 and workload.salted is True
    # 10 x concurrency measured requests per level (InferenceX's num-prompts).
    assert [r.completed for r in record.results] == [10, 20]
    for level in record.results:
        # Output lengths are uniform in [floor(0.8 L), L]: the scripted server streams exactly max_tokens.
        assert 819 * level.completed <= level.output_tokens_total <= 1024 * level.completed
    assert any("preset 1k/1k" in note for note in record.notes)
    assert workload.warmup_requests == 2  # 2 x concurrency: the first level's (the note states the rule)


@pytest.mark.slow
def test_ctrl_c_during_the_search_keeps_the_probes_and_marks_the_capacity_interrupted(tmp_path: Path) -> None:
    progress, out = tmp_path / "progress.txt", tmp_path / "runs"
    with ScriptedServer(Script(ttft_ms=5.0, itl_ms=10.0)) as srv:
        args = ["--endpoint", srv.url, *FAST, "--requests", "60", "--find-capacity", "concurrency"]
        proc = spawn([*args, "--slo", "ttft=1000", "--capacity-max", "64"], out, progress)
        try:
            # The progress shows the search: each probe's level and attainment as it finishes.
            wait_for_text(progress, "capacity probe 1 (expand): c=1 attainment 1.000 meets", 120, proc)
            wait_for_text(progress, "capacity probe 2: c=2: ", 60, proc)
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)
        finally:
            proc.kill()
    assert proc.returncode == 130
    [path] = out.glob("*.json")
    record = load_run(path)
    assert record.status == "interrupted"
    capacity = record.capacity
    assert capacity is not None and capacity.interrupted and not capacity.lower_bound
    assert [p.level for p in capacity.probes] == [1] and capacity.capacity == 1
    assert [r.concurrency for r in record.results] == [1, 2]
    assert record.results[1].status == "interrupted"
