"""Load from many client hosts: the Ray cluster a run's load came from, and how each level started on it.

Every actor's clock is compared with the driver's (the process that writes the run file) before the first
level: the offset is taken from the ping with the smallest round trip, so it is known to within half that
round trip. Request times are moved onto the driver's clock with it before a level's records are merged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from collector.schema.base import Strict


class ClusterActor(Strict):
    """One client actor: where it ran and how its clock relates to the driver's."""

    index: int = Field(description="Actor number (0-based); level shares are dealt out in this order.", ge=0)
    node_id: str = Field(description="Ray node id of the node the actor ran on.")
    host: str = Field(description="Host name of that node.")
    cpus: float = Field(description="CPUs reserved for the actor (its load client's event loop).", ge=0)
    clock_offset_ms: float = Field(
        description="Actor clock minus driver clock (monotonic clocks), from the ping with the smallest "
        "round trip; subtracted from the actor's request times before merging."
    )
    clock_rtt_ms: float = Field(
        description="Round trip of that ping: the offset is accurate to within half of it.", ge=0
    )
    pings: int = Field(description="Pings the offset was chosen from.", ge=1)


class Cluster(Strict):
    """The cluster that generated the load (`collect --cluster`); absent for a single client host."""

    engine: Literal["ray"] = Field("ray", description="The cluster engine.")
    address: str | None = Field(None, description="Cluster address given to --cluster; null: Ray's default.")
    ray_version: str = Field(description="Ray version of the driver.")
    nodes: int = Field(description="Distinct nodes that ran client actors.", ge=1)
    client_hosts: int = Field(description="Client hosts asked for (one per node: strict spread).", ge=1)
    actors_per_host: int = Field(description="Client actors on each client host.", ge=1)
    actors: list[ClusterActor] = Field(description="Every client actor, in share order.")
    skew_limit_ms: float = Field(description="Start skew above which a level is flagged.", ge=0)


class ClusterLevel(Strict):
    """How one level ran across the client actors."""

    actors: int = Field(description="Actors that were given a share of the level.", ge=0)
    requests_per_actor: list[int] = Field(
        default_factory=list, description="Requests each actor returned (in actor order; 0 when it died)."
    )
    actor_cpu_percent: list[float | None] = Field(
        default_factory=list,
        description="Each actor's own CPU use over its share, percent of its one core (in actor order; null "
        "when it died or did not measure).",
    )
    start_skew_ms: float | None = Field(
        None,
        description="Spread of the instants the actors started sending, on the driver's clock (max - min); "
        "null when fewer than two actors started.",
        ge=0,
    )
    skew_flagged: bool = Field(False, description="True when the start skew exceeded the cluster's limit.")
    saturated_actors: list[int] = Field(
        default_factory=list, description="Actors whose own client self-check found them saturated."
    )
    lost_actors: list[int] = Field(
        default_factory=list, description="Actors that died during the level; their requests are not in it."
    )
    partial: bool = Field(
        False, description="True when actors died: the level holds only the other actors' requests."
    )
    reason: str | None = Field(None, description="Why the level is partial (which actor died, and how).")
