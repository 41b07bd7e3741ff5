"""`collect --cluster ray[://ADDRESS]`: each level's users (or arrivals) split across client actors on a Ray
cluster, one group of `--actors-per-host` actors per node (placement group, strict spread).

Setup, before any load: connect (or start a small local Ray), check that the nodes can hold the actors
(one line when they cannot), place them, wait for every actor to report ready, and measure each actor's
clock offset to this process (`collector.load.actors`). Per level: the driver picks a start instant, each
actor gets it on its own clock, and the returned outcomes are moved onto the driver's clock and merged in
send order, so the level goes through the same summary as a single-process one. An actor that dies keeps
the others' requests (the level is partial); a stop (Ctrl-C) stops every actor and keeps what was done.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import time
import uuid
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from collector.errors import InferboardError
from collector.load.actors import (
    ClientActor,
    ShareResult,
    merge_health,
    offset_from_pings,
    shift_outcome,
    start_skew_ms,
)
from collector.load.client import PreparedRequest
from collector.load.level import LevelSpec
from collector.load.scheduling import LevelState, ServerGone
from collector.load.workers import jobs_for_level
from collector.measure.metrics import RequestOutcome
from collector.schema import ClientHealth, Cluster, ClusterActor, ClusterLevel, Timeouts

INSTALL_HINT = "--cluster needs Ray, which is not installed here: pip install -e .[cluster]"
SKEW_LIMIT_MS = 5.0  # a level whose actors started further apart than this is flagged
PINGS = 32  # clock pings per actor (the offset comes from the fastest)
START_MARGIN_S = 0.5  # between handing out the start instant and the start: a Ray call can take a while
PLACE_TIMEOUT_S = 60.0
READY_TIMEOUT_S = 120.0
STOP_WAIT_S = 30.0  # after a stop, how long the actors get to send back what they did
LOCAL_OBJECT_STORE = 100 * 1024 * 1024  # a local Ray started by the collector keeps its memory small
NAME_PREFIX = "inferboard-client-"


class ClusterError(InferboardError):
    """The cluster cannot carry the load as asked (one line, before any load is sent)."""

    exit_code = 2


def import_ray() -> ModuleType:
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise ClusterError(INSTALL_HINT) from None


def _connect(ray: ModuleType, address: str) -> bool:
    """Connect to the cluster; True when this process started Ray (and must shut it down)."""
    if ray.is_initialized():
        return False
    if address != "ray":
        ray.init(address=address, logging_level="ERROR", log_to_driver=False)
        return True
    try:  # RAY_ADDRESS or a cluster already running on this host
        ray.init(address="auto", logging_level="ERROR", log_to_driver=False)
    except ConnectionError:
        ray.init(
            include_dashboard=False,
            object_store_memory=LOCAL_OBJECT_STORE,
            logging_level="ERROR",
            log_to_driver=False,
        )
    return True


def _check_room(ray: ModuleType, hosts: int, per_host: int) -> None:
    """One line, before placing anything, when too few nodes can hold a host's actors."""
    cpus = [float(n.get("Resources", {}).get("CPU", 0)) for n in ray.nodes() if n.get("Alive")]
    fit = sum(1 for c in cpus if c >= per_host)
    if fit < hosts:
        raise ClusterError(
            f"the Ray cluster cannot place {hosts * per_host} client actors: --client-hosts {hosts} needs "
            f"{hosts} nodes with {per_host} CPU(s) each, it has {fit} (of {len(cpus)} nodes)"
        )


@dataclasses.dataclass(frozen=True)
class LevelOutcome:
    """The cluster's part of a level's result."""

    record: ClusterLevel
    health: ClientHealth | None


class ClusterLoad:
    """The placed actors of one collection; `start` sets them up, `run_level` runs one level on them."""

    def __init__(
        self,
        ray: ModuleType,
        owns_ray: bool,
        group: Any,
        actors: list[Any],
        record: Cluster,
        offsets: list[int],
    ) -> None:
        self._ray = ray
        self._owns_ray = owns_ray
        self._group = group
        self.actors = actors
        self.record = record
        self.offsets_ns = offsets  # each actor's clock minus this process's, ns
        self.last: LevelOutcome | None = None

    @classmethod
    def start(cls, address: str, client_hosts: int, actors_per_host: int) -> ClusterLoad:
        """Connect, place and ready every actor and measure its clock; ClusterError when it cannot."""
        ray = import_ray()
        try:
            owns = _connect(ray, address)
        except Exception as exc:  # Ray's own errors are many and long: the user gets one line
            raise ClusterError(f"cannot reach the Ray cluster {address}: {_first_line(exc)}") from None
        group = None
        try:
            _check_room(ray, client_hosts, actors_per_host)
            from ray.util.placement_group import placement_group
            from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

            group = placement_group([{"CPU": actors_per_host}] * client_hosts, strategy="STRICT_SPREAD")
            if not group.wait(PLACE_TIMEOUT_S):
                raise ClusterError(
                    f"the Ray cluster did not place {client_hosts} client hosts x {actors_per_host} actors "
                    f"(one host per node) within {PLACE_TIMEOUT_S:g} s"
                )
            remote = ray.remote(num_cpus=1, max_restarts=0, max_concurrency=16)(ClientActor)
            token = uuid.uuid4().hex[:8]
            actors = [
                remote.options(
                    name=f"{NAME_PREFIX}{token}-{host * actors_per_host + k}",
                    scheduling_strategy=PlacementGroupSchedulingStrategy(
                        group, placement_group_bundle_index=host
                    ),
                ).remote()
                for host in range(client_hosts)
                for k in range(actors_per_host)
            ]
            described = ray.get([a.describe.remote() for a in actors], timeout=READY_TIMEOUT_S)
            clocks = [
                _measure_clock(ray, actor, index, node, host)
                for index, (actor, (node, host, _pid)) in enumerate(zip(actors, described, strict=True))
            ]
        except BaseException as exc:
            if group is not None:
                ray.util.remove_placement_group(group)
            if owns:
                ray.shutdown()
            if isinstance(exc, Exception) and not isinstance(exc, ClusterError):
                raise ClusterError(f"Ray cluster {address}: {_first_line(exc)}") from None
            raise
        members = [member for member, _ in clocks]
        record = Cluster(
            address=None if address == "ray" else address,
            ray_version=ray.__version__,
            nodes=len({m.node_id for m in members}),
            client_hosts=client_hosts,
            actors_per_host=actors_per_host,
            actors=members,
            skew_limit_ms=SKEW_LIMIT_MS,
        )
        return cls(ray, owns, group, actors, record, [offset for _, offset in clocks])

    async def run_level(
        self,
        spec: LevelSpec,
        state: LevelState,
        *,
        base_url: str,
        api_key: str | None,
        timeouts: Timeouts,
        requests: list[PreparedRequest],
    ) -> None:
        """Run one level on the actors and merge their outcomes into `state` (driver clock, send order).
        Raises ServerGone when an actor found the server gone; CancelledError after a stop (with what the
        actors did merged)."""
        jobs = jobs_for_level(
            spec,
            workers=len(self.actors),
            base_url=base_url,
            api_key=api_key,
            timeouts=timeouts,
            requests=requests,
        )
        start = time.perf_counter_ns() + int(START_MARGIN_S * 1e9)
        state.started_ns = start
        refs = [
            self.actors[j.worker].run.remote(
                dataclasses.replace(j, start_ns=start + self.offsets_ns[j.worker])
            )
            for j in jobs
        ]
        waiting = asyncio.gather(*(asyncio.wrap_future(r.future()) for r in refs), return_exceptions=True)
        try:
            results = list(await asyncio.shield(waiting))
        except asyncio.CancelledError:
            for j in jobs:
                self.actors[j.worker].stop.remote()
            done, _ = await asyncio.wait([waiting], timeout=STOP_WAIT_S)
            results = list(waiting.result()) if done else [TimeoutError("no answer after stop")] * len(jobs)
            self._merge([j.worker for j in jobs], results, state)
            raise
        self._merge([j.worker for j in jobs], results, state)
        gone = [r.server_gone for r in results if isinstance(r, ShareResult) and r.server_gone]
        if gone:
            raise ServerGone(gone[0])

    def _merge(
        self, workers: list[int], results: Sequence[ShareResult | BaseException], state: LevelState
    ) -> None:
        outcomes: list[RequestOutcome] = []
        starts: list[int] = []
        counts: list[int] = []
        lost: list[int] = []
        reasons: list[str] = []
        healths: list[ClientHealth | None] = []
        cpu: list[float | None] = []
        saturated: list[int] = []
        for w, result in zip(workers, results, strict=True):
            if not isinstance(result, ShareResult):
                lost.append(w)
                counts.append(0)
                cpu.append(None)
                member = self.record.actors[w]
                reasons.append(f"client actor {w} on {member.host} died: {_first_line(result)}")
                continue
            delta = -self.offsets_ns[w]
            outcomes.extend(shift_outcome(o, delta) for o in result.outcomes)
            counts.append(len(result.outcomes))
            if result.began_ns:
                starts.append(result.began_ns + delta)
            healths.append(result.health)
            cpu.append(None if result.health is None else result.health.cpu_percent)
            if result.health is not None and result.health.saturated:
                saturated.append(w)
        for outcome in sorted(outcomes, key=lambda o: o.sent_ns):
            state.add(outcome)
        skew = start_skew_ms(starts)
        record = ClusterLevel(
            actors=len(workers),
            requests_per_actor=counts,
            actor_cpu_percent=cpu,
            start_skew_ms=None if skew is None else round(skew, 3),
            skew_flagged=skew is not None and skew > SKEW_LIMIT_MS,
            saturated_actors=saturated,
            lost_actors=lost,
            partial=bool(lost),
            reason="; ".join(reasons) or None,
        )
        self.last = LevelOutcome(record, merge_health(healths))

    def close(self) -> None:
        """Kill the actors, free their placement, and stop Ray if this process started it."""
        # Runs after the run file is written: a cluster that went away meanwhile must not lose the run.
        with contextlib.suppress(Exception):
            for actor in self.actors:
                self._ray.kill(actor)
            self._ray.util.remove_placement_group(self._group)
        if self._owns_ray:
            with contextlib.suppress(Exception):
                self._ray.shutdown()


def _measure_clock(ray: ModuleType, actor: Any, index: int, node: str, host: str) -> tuple[ClusterActor, int]:
    pings = []
    for _ in range(PINGS):
        sent = time.perf_counter_ns()
        at_actor = ray.get(actor.clock.remote())
        pings.append((sent, at_actor, time.perf_counter_ns()))
    offset, rtt = offset_from_pings(pings)
    member = ClusterActor(
        index=index,
        node_id=node,
        host=host,
        cpus=1.0,
        clock_offset_ms=round(offset / 1e6, 4),
        clock_rtt_ms=round(rtt / 1e6, 4),
        pings=len(pings),
    )
    return member, offset


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__
