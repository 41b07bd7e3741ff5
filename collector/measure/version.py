"""The measurement version: which way of measuring produced a run's figures.

Bump MEASUREMENT_VERSION whenever a change alters how any recorded figure is measured (timing points,
token counting, the HTTP transport, load generation, statistics, the quality pass). The site never
connects or ranks runs of different measurement versions without saying so.

So that a bump cannot be forgotten, `measuring_digest()` hashes the code of MEASURING_MODULES (looked up
by module name, so a move into a package only needs the name updated here) and a test pins the digest:
any change to those modules fails the test with a message asking whether to bump.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect

# 1: the first published way of measuring.
# 2: greedy sampling (temperature 0) sent with every request by default, and an engine on the collector's host
#    on its own CPUs, the client on the others (issue 18): runs of 1 did other work under other contention.
# 3: the load client stamps a read when the event loop receives it (an asyncio.Protocol, no task switch per
#    chunk), and a closed loop opens every user's connection before the level's clock starts (issue 24), so a
#    user's first request no longer includes the TCP connect; at 512 users the old client's TTFT p99 was
#    138 ms late against the floor client.
MEASUREMENT_VERSION = 3

MEASURING_MODULES: tuple[str, ...] = (
    "collector.load.actors",
    "collector.load.aio",
    "collector.load.client",
    "collector.load.cluster",
    "collector.load.framing",
    "collector.load.scheduling",
    "collector.load.sse",
    "collector.load.transport",
    "collector.load.workers",
    "collector.workloads.prompts",
    "collector.server.isolation",
    "collector.measure.hostload",
    "collector.measure.metrics",
    "collector.measure.plausibility",
    "collector.measure.selfcheck",
    "collector.measure.servermetrics",
    "collector.measure.stats",
    "collector.measure.telemetry",
    "collector.quality.passes",
    "collector.quality.prompts",
    "collector.quality.scoring",
    "collector.schema.tdist",
)


def _code_only(source: str) -> str:
    """The module's syntax tree without docstrings: comments, formatting and prose do not count."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body[0] = ast.Pass()
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def measuring_digest() -> str:
    """SHA-256 over the code of MEASURING_MODULES, in their listed order (keyed by module name)."""
    digest = hashlib.sha256()
    for name in MEASURING_MODULES:
        source = inspect.getsource(importlib.import_module(name))
        digest.update(_code_only(source).encode() + b"\0")
    return digest.hexdigest()
