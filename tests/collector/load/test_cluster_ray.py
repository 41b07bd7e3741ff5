"""--cluster on a real local Ray cluster (Ray's own two-node test cluster on this host) against the scripted
timing server: merged figures agree with one client process, every request is accounted for, a killed
actor leaves a partial level with the other actors' requests, and a cluster too small fails in one line."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collector.config.collect import CollectConfig
from collector.load import aio
from collector.load.cluster import NAME_PREFIX
from collector.run.runner import CollectError, collect
from collector.schema import LevelResult, RunRecord, load_run
from tests.helpers.rel_support import spawn
from tests.helpers.scripted_server import Script, ScriptedServer

ray = pytest.importorskip(
    "ray", reason="Ray (the `cluster` extra) is not installed: pip install -e .[cluster] (tests/run.sh does)"
)
pytestmark = [pytest.mark.ray, pytest.mark.slow]

NODE_CPUS = 2
STORE = 100 * 1024 * 1024  # Ray's object store per node: kept small (the smallest Ray accepts is ~75 MB)
SCRIPT = Script(ttft_ms=30.0, itl_ms=4.0)
OUTPUT_TOKENS = 10


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[Any]:
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": NODE_CPUS, "object_store_memory": STORE, "include_dashboard": False},
    )
    cluster.add_node(num_cpus=NODE_CPUS, object_store_memory=STORE)
    try:
        ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()


def _collect(url: str, out: Path, **kw: object) -> RunRecord:
    config = CollectConfig.model_validate(
        {
            "endpoint": url,
            "backend": "openai",
            "out": out,
            "input_tokens": 8,
            "output_tokens": OUTPUT_TOKENS,
            "warmup": 0,
            "client_cpus": "off",
            **kw,
        }
    )
    result = aio.run(collect(config))
    assert result.path is not None, result.message
    return load_run(result.path)


def _accounted(level: LevelResult) -> int:
    return level.completed + level.failed


def test_merged_level_agrees_with_one_process(two_nodes: Any, tmp_path: Path) -> None:
    users, requests = 8, 240
    with ScriptedServer(SCRIPT) as srv:
        single = _collect(srv.url, tmp_path / "one", concurrency=[users], requests=requests).results[0]
        run = _collect(
            srv.url,
            tmp_path / "many",
            concurrency=[users],
            requests=requests,
            cluster="ray",
            client_hosts=2,
            actors_per_host=2,
        )
    level = run.results[0]
    assert _accounted(single) == _accounted(level) == requests and level.failed == 0
    assert level.cluster is not None and sum(level.cluster.requests_per_actor) == requests
    assert level.cluster.actors == 4 and not level.cluster.partial and level.status == "complete"
    assert level.cluster.start_skew_ms is not None
    # Both runs measure the scripted delays (TTFT 30 ms, then one token every 4 ms) ...
    for one in (single, level):
        assert one.ttft_ms is not None and one.tpot_ms is not None
        assert SCRIPT.ttft_ms <= one.ttft_ms.p50 < SCRIPT.ttft_ms + 15.0
        assert abs(one.tpot_ms.p50 - SCRIPT.itl_ms) < 1.0
    # ... and agree with each other: the merged records are one level, not averaged percentiles.
    assert single.ttft_ms is not None and level.ttft_ms is not None
    assert single.tpot_ms is not None and level.tpot_ms is not None
    assert abs(level.ttft_ms.p50 - single.ttft_ms.p50) <= 2.0
    assert abs(level.tpot_ms.p50 - single.tpot_ms.p50) <= 0.3
    cluster = run.cluster
    assert cluster is not None and cluster.nodes == 2 and len(cluster.actors) == 4
    assert (
        cluster.ray_version == ray.__version__ and cluster.client_hosts == 2 and cluster.actors_per_host == 2
    )
    assert all(a.pings >= 16 and a.clock_rtt_ms > 0 and a.cpus == 1.0 for a in cluster.actors)
    # One host, one monotonic clock: the true offset is 0, so each measured one is within half its round trip.
    assert all(abs(a.clock_offset_ms) <= a.clock_rtt_ms / 2 + 0.001 for a in cluster.actors)
    assert level.cluster.skew_flagged == (level.cluster.start_skew_ms > cluster.skew_limit_ms)
    assert level.client is not None
    assert level.client.saturated == bool(level.cluster.saturated_actors)
    cpu = level.cluster.actor_cpu_percent
    assert len(cpu) == 4 and all(c is not None and c > 0 for c in cpu)
    assert level.client.cpu_percent == max(c for c in cpu if c is not None)  # the worst actor's
    assert run.workload.requests_per_level == requests


def test_open_loop_arrivals_are_dealt_across_actors(two_nodes: Any, tmp_path: Path) -> None:
    with ScriptedServer(SCRIPT) as srv:
        run = _collect(
            srv.url, tmp_path, request_rate=[40.0], requests=60, concurrency=[], cluster="ray", client_hosts=2
        )
    level = run.results[0]
    assert level.completed == 60 and level.cluster is not None
    assert level.cluster.requests_per_actor == [30, 30]
    # Latency counts from the schedule: an actor that started late would show it in TTFT.
    assert level.ttft_ms is not None and level.ttft_ms.p50 < SCRIPT.ttft_ms + 50.0
    assert len({r.scheduled_ms for r in level.requests}) == 60


def _first_actor_once_it_has_done(done: int, timeout_s: float = 120.0) -> Any:
    """Client actor 0 of the running collection, once it has finished `done` requests (generous deadline)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        named = ray.util.list_named_actors(all_namespaces=True)
        first = [a for a in named if a["name"].startswith(NAME_PREFIX) and a["name"].endswith("-0")]
        if first:
            actor = ray.get_actor(first[0]["name"], namespace=first[0]["namespace"])
            if ray.get(actor.done.remote(), timeout=30) >= done:
                return actor
        time.sleep(0.05)
    raise AssertionError("client actor 0 never got going")


def _kill_first_actor_after(done: int, errors: list[BaseException]) -> None:
    try:
        ray.kill(_first_actor_once_it_has_done(done))
    except BaseException as exc:
        errors.append(exc)


def test_a_killed_actor_leaves_a_partial_level_with_the_others_requests(
    two_nodes: Any, tmp_path: Path
) -> None:
    errors: list[BaseException] = []
    killer = threading.Thread(target=_kill_first_actor_after, args=(10, errors), daemon=True)
    killer.start()
    with ScriptedServer(SCRIPT) as srv:
        # 200 requests per actor over 2 users each: seconds of load, so the kill lands mid-level.
        run = _collect(srv.url, tmp_path, concurrency=[4, 8], requests=400, cluster="ray", client_hosts=2)
    killer.join(timeout=60)
    assert not errors, errors
    assert run.status == "incomplete" and run.status_reason is not None
    assert "client actor 0" in run.status_reason and "died" in run.status_reason
    assert len(run.results) == 1  # the sweep stops after the partial level, keeping it
    level = run.results[0]
    assert level.status == "incomplete" and level.cluster is not None
    assert level.cluster.partial and level.cluster.lost_actors == [0]
    assert level.cluster.requests_per_actor == [0, 200]  # the other actor's share, all of it
    assert level.cluster.actor_cpu_percent[0] is None and level.cluster.lost_actors == [0]
    assert level.completed == 200 and _accounted(level) == 200


def test_a_cluster_too_small_fails_in_one_line_before_any_load(two_nodes: Any, tmp_path: Path) -> None:
    with ScriptedServer(SCRIPT, in_thread=True) as srv:
        with pytest.raises(CollectError) as caught:
            _collect(srv.url, tmp_path, concurrency=[2], requests=4, cluster="ray", client_hosts=3)
        assert srv.requests_seen == 0
    message = str(caught.value)
    assert "\n" not in message
    assert "cannot place 3 client actors" in message and "it has 2" in message


def test_ctrl_c_stops_every_actor_and_keeps_what_was_done(two_nodes: Any, tmp_path: Path) -> None:
    progress, out = tmp_path / "progress.txt", tmp_path / "runs"
    with ScriptedServer(SCRIPT) as srv:
        args = ["--endpoint", srv.url, "--backend", "openai", "--concurrency", "4", "--requests", "400"]
        args += ["--input-tokens", "8", "--output-tokens", str(OUTPUT_TOKENS), "--warmup", "0"]
        args += ["--cluster", "ray", "--client-hosts", "2", "--client-cpus", "off"]
        proc = spawn(args, out, progress, env={"RAY_ADDRESS": two_nodes.address})
        try:
            _first_actor_once_it_has_done(10)
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=60)
        finally:
            proc.kill()
    assert proc.returncode == 130, progress.read_text()[-2000:]
    [path] = out.glob("*.json")
    run = load_run(path)
    assert run.status == "interrupted"
    [level] = run.results
    assert level.status == "interrupted" and level.cluster is not None and not level.cluster.partial
    shares = level.cluster.requests_per_actor
    assert len(shares) == 2 and all(n >= 1 for n in shares) and sum(shares) < 400
    assert _accounted(level) == sum(shares)  # what every actor did, nothing more, nothing lost
    assert not ray.util.list_named_actors(all_namespaces=True)  # the stopped collection removed its actors
