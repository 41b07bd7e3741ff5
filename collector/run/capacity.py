"""`--find-capacity`: the capacity search (`collector.workloads.capacity`) driving real levels of the sweep.
Each probe is one normal level (it lands in `results`); the search's outcome becomes the run file's top-level
`capacity`, also when the search is interrupted or the server stops answering (the probes done are kept)."""

from __future__ import annotations

from collections.abc import Callable

from collector.errors import WorkloadError
from collector.run.progress import Progress
from collector.run.sweep import Stop, Sweep
from collector.schema import Capacity, CapacityProbe
from collector.workloads.capacity import CapacitySearch


class _Stopped(Exception):
    def __init__(self, stop: Stop) -> None:
        super().__init__(stop[1])
        self.stop = stop


def _reporter(progress: Progress, search: CapacitySearch) -> Callable[[CapacityProbe, str], None]:
    def report(probe: CapacityProbe, phase: str) -> None:
        level = f"c={int(probe.level)}" if search.mode == "concurrency" else f"{probe.level:g} req/s"
        verdict = "meets" if probe.passed else "misses"
        progress.info(
            f"  capacity probe {len(search.probes)} ({phase}): {level} attainment {probe.attainment:.3f} "
            f"{verdict} the target {search.attainment:g}"
        )

    return report


def _partial(search: CapacitySearch) -> Capacity | None:
    return search.result(interrupted=True) if search.probes else None


async def find_capacity(sweep: Sweep) -> tuple[Capacity | None, str, str | None]:
    """Run the search; (capacity, run status, reason). A search stopped before its first probe finished
    found nothing: no capacity (not "0 users", which would claim the lowest level missed the SLO)."""
    config = sweep.config
    assert config.find_capacity is not None and config.slo is not None
    search = CapacitySearch(
        mode=config.find_capacity,
        slo=config.slo,
        attainment=config.slo_attainment,
        maximum=config.capacity_max,
    )
    search.on_probe = _reporter(sweep.progress, search)

    async def probe(level: float) -> float:
        concurrency, rate = (int(level), None) if search.mode == "concurrency" else (None, level)
        stop = await sweep.level(concurrency, rate, prefix=f"capacity probe {len(search.probes) + 1}: ")
        if stop is not None:
            raise _Stopped(stop)
        goodput = sweep.results[-1].goodput
        assert goodput is not None  # --find-capacity requires --slo
        return goodput.fraction

    try:
        capacity = await search.run(probe)
    except _Stopped as exc:
        return _partial(search), exc.stop[0], exc.stop[1]
    except WorkloadError as exc:  # the next probe's prompts could not be made: keep the probes done
        return _partial(search), "incomplete", str(exc)
    sweep.progress.info(f"  capacity: {capacity.note}")
    return capacity, "complete", None
