"""Launch figures pooled over runs (generator/analysis/launches.py), checked by hand."""

from __future__ import annotations

from collector.schema import Launch, MemoryFootprint, RunRecord
from generator.analysis.launches import Spread, launch_spread, nearest_load, spread, spread_text
from generator.data.columns import LAUNCH_BY_KEY, NOT_MEASURED
from tests.helpers.gen_factories import make_run


def test_spread_is_median_range_and_count() -> None:
    assert spread([9.0, 1.0, 4.0]) == Spread(4.0, 1.0, 9.0, 3)
    assert spread([2.0, 6.0]) == Spread(4.0, 2.0, 6.0, 2)  # even count: mean of the middle two
    assert spread([]) is None


def test_spread_text_says_not_measured_never_zero() -> None:
    startup = LAUNCH_BY_KEY["startup_s"]
    assert spread_text(None, startup) == NOT_MEASURED
    assert spread_text(Spread(5.48, 5.079, 5.89, 2), startup) == "5.48 s (5.08 – 5.89, n=2)"
    assert spread_text(Spread(0.471, 0.471, 0.471, 1), startup) == "0.471 s (n=1)"


def _with_launch(run_id: str, mode: str, startup: float | None, rss: float | None) -> RunRecord:
    record = make_run(run_id)
    memory = MemoryFootprint(host_rss_mib=rss) if rss is not None else None
    launch = Launch(mode=mode, startup_s=startup, memory=memory)  # type: ignore[arg-type]
    return record.model_copy(update={"launch": launch})


def test_only_launches_the_collector_saw_count() -> None:
    records = [
        _with_launch("a00000000001", "managed", 60.0, 4700.0),
        _with_launch("a00000000002", "embedded", 0.5, 400.0),
        # an external server's figures are not the collector's measurement, even if a file carries some
        _with_launch("a00000000003", "external", 1.0, 100.0),
        _with_launch("a00000000004", "managed", None, None),  # not measured: left out, not counted as 0
    ]
    startup = launch_spread(records, LAUNCH_BY_KEY["startup_s"])
    assert startup == Spread(30.25, 0.5, 60.0, 2)
    rss = launch_spread(records, LAUNCH_BY_KEY["host_rss_mib"])
    assert rss == Spread(2550.0, 400.0, 4700.0, 2)
    assert launch_spread(records, LAUNCH_BY_KEY["gpu_used_mib"]) is None


def test_nearest_load_to_the_seed_user_counts() -> None:
    loads = [1.0, 4.0, 8.0, 32.0, 64.0, 128.0]
    assert nearest_load(loads, 10) == 8.0
    assert nearest_load(loads, 50) == 64.0  # |64-50| = 14 < |32-50| = 18
    assert nearest_load(loads, 100) == 128.0  # 28 < 36
    assert nearest_load([40.0, 60.0], 50) == 40.0  # a tie goes to the lower load
    assert nearest_load([], 10) is None
