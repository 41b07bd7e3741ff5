"""Engine and client on disjoint CPU sets: the plan (pure), the options, and the placement applied to real
threads, a real child process, the embedded engine and a launched server."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from collector.cli.main import main
from collector.config.collect import CollectConfig
from collector.config.cpus import cpu_list_text, parse_cpu_list
from collector.server.isolation import (
    CpuPlan,
    IsolationError,
    client_placement,
    engine_env,
    engine_placement,
    plan_cpus,
)
from tests.helpers.netutil import free_port

TWO_CPUS = len(os.sched_getaffinity(0)) >= 2
needs_two = pytest.mark.skipif(not TWO_CPUS, reason="isolation needs at least 2 CPUs available")


@pytest.mark.parametrize(
    ("text", "cpus", "back"),
    [
        ("0", [0], "0"),
        ("0-3,6", [0, 1, 2, 3, 6], "0-3,6"),
        ("5,1,2", [1, 2, 5], "1-2,5"),
        (" 2 - 3", [2, 3], "2-3"),
    ],
)
def test_cpu_lists_parse_and_print_compactly(text: str, cpus: list[int], back: str) -> None:
    assert parse_cpu_list(text) == cpus
    assert cpu_list_text(cpus) == back


@pytest.mark.parametrize("bad", ["", "a", "1-", "3-1", "0,,1", "-1", "99999999"])
def test_bad_cpu_lists_are_refused_naming_the_text(bad: str) -> None:
    with pytest.raises(ValueError, match=r"CPU list|range"):
        parse_cpu_list(bad)
    with pytest.raises(ValidationError):
        CollectConfig(client_cpus=bad)


def test_auto_on_two_cpus_gives_the_client_the_top_one_and_the_engine_the_other() -> None:
    plan = plan_cpus([0, 1], "auto", "auto", workers=1, local_engine=True)
    assert (plan.client, plan.engine, plan.applied) == ((1,), (0,), True)


def test_auto_gives_the_client_one_cpu_per_worker_up_to_half_the_host() -> None:
    eight = list(range(8))
    assert plan_cpus(eight, "auto", "auto", workers=2, local_engine=True) == CpuPlan(
        (6, 7), (0, 1, 2, 3, 4, 5)
    )
    assert plan_cpus(eight, "auto", "auto", workers=64, local_engine=True).client == (4, 5, 6, 7)


def test_one_explicit_side_leaves_the_rest_to_the_other() -> None:
    assert plan_cpus([0, 1, 2, 3], "auto", "0", workers=1, local_engine=True) == CpuPlan((1, 2, 3), (0,))
    assert plan_cpus([0, 1, 2, 3], "3", "auto", workers=1, local_engine=True) == CpuPlan((3,), (0, 1, 2))


def test_nothing_is_pinned_for_an_external_server_when_off_or_on_one_cpu() -> None:
    external = plan_cpus([0, 1], "auto", "auto", workers=1, local_engine=False)
    assert not external.applied and "external server" in (external.reason or "")
    assert "turned off" in (plan_cpus([0, 1], "off", "auto", workers=1, local_engine=True).reason or "")
    assert "only 1 CPU" in (plan_cpus([0], "auto", "auto", workers=1, local_engine=True).reason or "")


def test_sets_that_overlap_or_lie_outside_the_host_are_refused_in_one_line() -> None:
    with pytest.raises(IsolationError, match="overlap"):
        plan_cpus([0, 1, 2], "0-1", "1-2", workers=1, local_engine=True)
    with pytest.raises(IsolationError, match="CPU 7 is not available"):
        plan_cpus([0, 1], "auto", "7", workers=1, local_engine=True)
    with pytest.raises(IsolationError, match="no CPU is left for the client"):
        plan_cpus([0, 1], "auto", "0-1", workers=1, local_engine=True)


def test_engine_environment_sets_thread_settings_only_where_not_given() -> None:
    added, notes = engine_env(CpuPlan((3,), (0, 1, 2)), {"OMP_NUM_THREADS": "2"})
    assert added == {"VLLM_CPU_OMP_THREADS_BIND": "0-2", "LLAMA_ARG_THREADS": "3"}
    assert "OMP_NUM_THREADS=2 kept as given" in notes
    assert engine_env(CpuPlan(reason="external"), {}) == ({}, [])


def _allowed(tid: int | str) -> str:
    for line in Path(f"/proc/self/task/{tid}/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("no Cpus_allowed_list")


@needs_two
def test_a_child_started_inside_the_engine_placement_inherits_the_engine_cpus() -> None:
    cpus = sorted(os.sched_getaffinity(0))
    plan = CpuPlan(client=(cpus[-1],), engine=(cpus[0],))
    probe = [sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"]
    with engine_placement(plan):
        inside = subprocess.run(probe, capture_output=True, text=True, check=True).stdout
    assert json.loads(inside) == [cpus[0]]
    assert sorted(os.sched_getaffinity(0)) == cpus  # the caller's own set is restored
    with client_placement(plan):
        assert sorted(os.sched_getaffinity(0)) == [cpus[-1]]
    assert sorted(os.sched_getaffinity(0)) == cpus


@needs_two
@pytest.mark.engine
def test_every_thread_of_the_embedded_engine_runs_on_the_engine_cpus() -> None:
    from collector.server.engine import EmbeddedEngine
    from collector.server.ggufgen import cached_model

    cpus = sorted(os.sched_getaffinity(0))
    plan = CpuPlan(client=(cpus[-1],), engine=(cpus[0],))
    before = set(os.listdir("/proc/self/task"))
    engine = EmbeddedEngine(cached_model("tiny", "f32").path, n_ctx=256, n_parallel=1, n_threads=1)
    try:
        with engine_placement(plan):
            engine.start()
        new = set(os.listdir("/proc/self/task")) - before
        assert new, "the engine started no thread"
        assert {_allowed(tid) for tid in new} == {str(cpus[0])}
        assert _allowed(os.getpid()) == cpu_list_text(cpus)
    finally:
        engine.stop()


QUICK = ["--requests", "3", "--warmup", "0", "--input-tokens", "8", "--output-tokens", "4", "--no-progress"]


def _collect(out: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["collect", "--out", str(out), "--no-quality", *QUICK, *args])
    assert result.exit_code == 0, result.output
    (path,) = out.glob("*.json")
    record: dict[str, Any] = json.loads(path.read_text())
    return record


@needs_two
@pytest.mark.engine
def test_an_embedded_run_records_its_cpu_split_and_greedy_sampling(tmp_path: Path) -> None:
    record = _collect(tmp_path, "--random-weights", "--concurrency", "1")
    cpus = sorted(os.sched_getaffinity(0))
    isolation = record["isolation"]
    assert isolation["applied"] is True
    assert isolation["engine_cpus"] == cpus[:-1] and isolation["client_cpus"] == [cpus[-1]]
    assert isolation["engine_threads"] == len(cpus) - 1
    assert record["launch"]["engine_settings"]["n_threads"] == len(cpus) - 1
    assert record["workload"]["sampling"] == "greedy"
    assert record["workload"]["request_params"]["temperature"] == 0
    assert sorted(os.sched_getaffinity(0)) == cpus  # the in-process caller keeps its cores


@pytest.mark.engine
def test_server_default_sampling_sends_no_temperature_and_custom_is_named(tmp_path: Path) -> None:
    plain = _collect(tmp_path / "a", "--random-weights", "--concurrency", "1", "--sampling", "server-default")
    assert plain["workload"]["sampling"] == "server-default"
    assert "temperature" not in plain["workload"]["request_params"]
    custom = _collect(
        tmp_path / "b", "--random-weights", "--concurrency", "1", "--request-param", "temperature=0.7"
    )
    assert custom["workload"]["sampling"] == "custom"
    assert custom["workload"]["request_params"]["temperature"] == 0.7


@needs_two
@pytest.mark.engine
def test_a_launched_server_gets_the_engine_cpus_and_thread_settings(tmp_path: Path) -> None:
    from collector.server.engine import engine_command
    from collector.server.ggufgen import cached_model

    port = free_port()
    gguf = cached_model("tiny", "f32").path
    # The launched server reports its own CPU set in its log before it serves: evidence from inside it.
    probe = "import os,sys; print('CPUS', sorted(os.sched_getaffinity(0)), os.environ.get('OMP_NUM_THREADS'))"
    serve = shlex.join(engine_command(gguf, port=port, n_parallel=1, n_ctx=256))
    launch = f"sh -c {shlex.quote(f'{shlex.quote(sys.executable)} -c {shlex.quote(probe)}; exec {serve}')}"
    record = _collect(
        tmp_path,
        "--launch",
        launch,
        "--endpoint",
        f"http://127.0.0.1:{port}",
        "--backend",
        "llama.cpp",
        "--concurrency",
        "1",
    )
    cpus = sorted(os.sched_getaffinity(0))
    engine = cpus[:-1]
    assert record["isolation"]["applied"] is True and record["isolation"]["engine_cpus"] == engine
    assert record["launch"]["env"]["OMP_NUM_THREADS"] == str(len(engine))
    log = (tmp_path / record["launch"]["log_file"]).read_text()
    assert f"CPUS {engine} {len(engine)}" in log


def test_an_external_server_is_left_alone_and_the_run_says_so() -> None:
    plan = plan_cpus([0, 1], "auto", "auto", workers=1, local_engine=False)
    from collector.server.isolation import isolation_record

    record = isolation_record(plan, engine_method=None, engine_threads=None)
    assert record.applied is False and record.reason is not None and "left alone" in record.reason
