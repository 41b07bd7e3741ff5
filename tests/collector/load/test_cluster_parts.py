"""--cluster without a cluster: the pure arithmetic that joins actors' outcomes (hand-computed), the options'
checks, and the one line a missing Ray gives."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError

from collector.cli.collect import config_from_args
from collector.cli.main import main
from collector.config.collect import CollectConfig
from collector.load.actors import merge_health, offset_from_pings, shift_outcome, start_skew_ms
from collector.measure.metrics import RequestOutcome, aggregate_level
from collector.schema import ClientHealth, ClusterLevel, trial_unclean_reasons

REPO = Path(__file__).resolve().parents[3]


def test_offset_comes_from_the_fastest_ping() -> None:
    # (driver send, actor clock, driver receive): the second ping has the smallest round trip (4 ns); its
    # midpoint on the driver is 1002, the actor read 1502 then: the actor runs 500 ns ahead.
    pings = [(0, 600, 20), (1000, 1502, 1004), (2000, 2510, 2010)]
    assert offset_from_pings(pings) == (500, 4)
    with pytest.raises(ValueError, match="no pings"):
        offset_from_pings([])


def test_shift_moves_every_time_and_keeps_the_rest() -> None:
    outcome = RequestOutcome(
        scheduled_ns=100,
        sent_ns=110,
        chunk_ns=[150, 160],
        end_ns=170,
        completion_tokens=2,
        first_answer_ns=150,
    )
    moved = shift_outcome(outcome, -100)
    assert (moved.scheduled_ns, moved.sent_ns, moved.chunk_ns, moved.end_ns) == (0, 10, [50, 60], 70)
    assert moved.first_answer_ns == 50 and moved.first_reasoning_ns is None
    assert moved.completion_tokens == 2 and outcome.sent_ns == 110  # the original is untouched


def test_start_skew_is_the_spread_of_the_starts() -> None:
    assert start_skew_ms([5_000_000, 2_000_000, 3_500_000]) == 3.0
    assert start_skew_ms([7]) is None


def test_merged_health_is_saturated_when_any_actor_was() -> None:
    calm = ClientHealth(loop_lag_p99_ms=0.5, loop_lag_max_ms=1.0, cpu_percent=20.0, cpu_seconds=1.0)
    busy = ClientHealth(
        loop_lag_p99_ms=9.0,
        loop_lag_max_ms=12.0,
        cpu_percent=97.0,
        cpu_seconds=2.5,
        saturated=True,
        reason="x",
    )
    merged = merge_health([calm, None, busy])
    assert merged is not None
    assert merged.saturated and merged.reason == "actor 2: x"
    assert (merged.loop_lag_p99_ms, merged.loop_lag_max_ms, merged.cpu_percent) == (9.0, 12.0, 97.0)
    assert merged.cpu_seconds == 3.5
    assert merge_health([None]) is None


def _config(**kw: object) -> CollectConfig:
    return CollectConfig.model_validate({"endpoint": "http://127.0.0.1:9", **kw})


def test_cluster_options_are_checked() -> None:
    assert _config(cluster="ray://head.example:10001", client_hosts=3).client_hosts == 3
    for bad, message in [
        ({"cluster": "ray:/x"}, "must be 'ray' or 'ray://HOST:PORT'"),
        ({"client_hosts": 2}, "need --cluster"),
        ({"cluster": "ray", "workers": 2}, "do not mix"),
        ({"cluster": "ray", "client_hosts": 0}, "client hosts must be >= 1"),
        ({"cluster": "ray", "actors_per_host": 257}, "actors per host must be <= 256"),
    ]:
        with pytest.raises(ValidationError, match=message):
            _config(**bad)


def test_cluster_without_ray_says_how_to_install_it_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError, installed or not
    result = CliRunner().invoke(
        main, ["collect", "--endpoint", "http://127.0.0.1:9", "--cluster", "ray", "--no-progress"]
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["error: --cluster needs Ray, which is not installed here: pip install -e .[cluster]"]


def test_the_rayjob_example_is_a_valid_collect_command_matching_its_cluster() -> None:
    manifest = yaml.safe_load((REPO / "docs" / "examples" / "rayjob-collect.yaml").read_text())
    spec = manifest["spec"]
    words = shlex.split(spec["entrypoint"])
    assert words[:2] == ["inferboard", "collect"]
    config = config_from_args(words[2:])
    [clients] = spec["rayClusterSpec"]["workerGroupSpecs"]
    assert config.cluster == "ray"
    assert config.client_hosts == clients["replicas"] == clients["minReplicas"] == clients["maxReplicas"]
    assert config.actors_per_host == int(clients["rayStartParams"]["num-cpus"])
    assert spec["rayClusterSpec"]["headGroupSpec"]["rayStartParams"]["num-cpus"] == "0"


def test_a_level_started_with_too_much_skew_decides_nothing() -> None:
    level = aggregate_level(
        [], concurrency=4, request_rate=None, measure_from_scheduled=False, ignore_eos=True
    )
    level.cluster = ClusterLevel(actors=2, start_skew_ms=7.5, skew_flagged=True)
    assert "start_skew" in trial_unclean_reasons(level)
    level.cluster = ClusterLevel(actors=2, start_skew_ms=0.5)
    assert "start_skew" not in trial_unclean_reasons(level)
