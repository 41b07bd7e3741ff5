"""Process start -> first served token of a server the collector started (`launch.first_token_s`).

Right after readiness and the model listing, before anything else is asked of the server, one streamed
request for one token of a fixed short prompt is sent with the run's API and sampling; the arrival of its
first content chunk, on the same clock as the process start (collector.server.startup), gives the figure.
It is the server's first generation request: the time still spent after "ready" (lazy initialisation,
first-request compilation, a cold cache) shows here. The probe is no part of any level; a probe that fails
leaves the figure unmeasured (None), never 0. External servers are not probed: their start was not seen.
"""

from __future__ import annotations

import json
import time

import httpx

from collector.config.collect import CollectConfig
from collector.load.client import PreparedRequest, api_path, build_body, sampling_params, stream_request
from collector.server.server import ServerHandle

FIRST_TOKEN_PROMPT = "Hello"


async def measure_first_token(
    client: httpx.AsyncClient, config: CollectConfig, handle: ServerHandle, model: str
) -> None:
    """Set `handle.launch.first_token_s` for a launched server (see the module's docstring)."""
    if handle.clock is None:
        return
    extras = {**sampling_params(config.sampling), **config.request_params}
    body = build_body(api=config.api, model=model, prompt=FIRST_TOKEN_PROMPT, max_tokens=1, extras=extras)
    request = PreparedRequest(api_path(config.api), json.dumps(body).encode(), 1)
    outcome = await stream_request(
        client, request, scheduled_ns=time.perf_counter_ns(), total_timeout_s=config.timeouts.total_s
    )
    if outcome.ok and outcome.chunk_ns:
        handle.launch.first_token_s = handle.clock.since_start_s(outcome.chunk_ns[0])
