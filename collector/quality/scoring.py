"""Log-probability score of the reference passage, from whatever prompt log-probabilities a server offers.

Two request shapes are tried in order; the first that returns one log-probability per passage token wins
and is recorded as the method. A server that ignores the request fields (answers, but without prompt
log-probabilities) is recorded as not offering them: nothing is estimated from generated tokens.
"""

from __future__ import annotations

import math
from typing import Any

import httpx

from collector.quality.prompts import REFERENCE_PASSAGE, REFERENCE_PASSAGE_VERSION
from collector.schema import LogprobScore

ECHO = "completions-echo"
PROMPT_LOGPROBS = "prompt-logprobs"


class _NoLogprobs(Exception):
    """This request shape gave no usable prompt log-probabilities (the message says why)."""


def _prompt_tokens(body: dict[str, Any]) -> int:
    usage = body.get("usage")
    count = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    if not isinstance(count, int) or count < 2:
        raise _NoLogprobs("no usage.prompt_tokens in the answer")
    return count


def _first_choice(body: Any) -> dict[str, Any]:
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise _NoLogprobs("answer has no choices")
    return choices[0]


def _numbers(values: list[Any]) -> list[float]:
    # The first prompt token has no context and therefore no log-probability (null); every other must
    # be a finite number, otherwise the answer is not a per-token score of the passage.
    out: list[float] = []
    for i, v in enumerate(values):
        if v is None and i == 0:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v > 1e-6:
            raise _NoLogprobs(f"log-probability #{i} is not a finite number <= 0: {v!r}")
        out.append(min(float(v), 0.0))
    return out


def parse_echo(body: Any) -> list[float]:
    """Passage log-probabilities from an OpenAI completions answer with echo=true, logprobs=N."""
    choice = _first_choice(body)
    logprobs = choice.get("logprobs")
    values = logprobs.get("token_logprobs") if isinstance(logprobs, dict) else None
    if isinstance(logprobs, dict) and isinstance(logprobs.get("content"), list) and values is None:
        # llama.cpp's shape: it ignores echo and scores only the generated tokens.
        raise _NoLogprobs("echo ignored: log-probabilities of generated tokens only")
    if not isinstance(values, list):
        raise _NoLogprobs("echo: no logprobs.token_logprobs in the answer")
    n = _prompt_tokens(body)
    if len(values) < n:
        raise _NoLogprobs(f"echo ignored: {len(values)} log-probabilities for {n} prompt tokens")
    return _numbers(values[:n])


def parse_prompt_logprobs(body: Any) -> list[float]:
    """Passage log-probabilities from a vLLM completions answer with prompt_logprobs=0."""
    choice = _first_choice(body)
    entries = choice.get("prompt_logprobs")
    if not isinstance(entries, list):
        raise _NoLogprobs("prompt_logprobs: field absent from the answer")
    n = _prompt_tokens(body)
    if len(entries) != n:
        raise _NoLogprobs(f"prompt_logprobs: {len(entries)} entries for {n} prompt tokens")
    values: list[Any] = []
    for entry in entries:
        if entry is None:
            values.append(None)
            continue
        # With prompt_logprobs=0 each entry holds exactly the prompt token; more would be ambiguous.
        if not isinstance(entry, dict) or len(entry) != 1:
            raise _NoLogprobs("prompt_logprobs: an entry does not hold exactly the prompt token")
        (item,) = entry.values()
        values.append(item.get("logprob") if isinstance(item, dict) else item)
    return _numbers(values)


def _score(method: str, values: list[float]) -> LogprobScore:
    if not values:
        raise _NoLogprobs("no scored tokens")
    mean = math.fsum(values) / len(values)
    return LogprobScore(
        passage_version=REFERENCE_PASSAGE_VERSION,
        method=method,
        tokens_scored=len(values),
        mean_logprob=mean,
        perplexity=math.exp(-mean),
    )


async def _try(client: httpx.AsyncClient, body: dict[str, Any]) -> Any:
    try:
        resp = await client.post("/v1/completions", json=body)
    except httpx.HTTPError as exc:
        raise _NoLogprobs(f"request failed ({type(exc).__name__})") from None
    if resp.status_code != 200:
        raise _NoLogprobs(f"HTTP {resp.status_code}")
    try:
        return resp.json()
    except ValueError:
        raise _NoLogprobs("answer is not JSON") from None


async def score_passage(client: httpx.AsyncClient, model: str) -> LogprobScore:
    """Score REFERENCE_PASSAGE, or return the reasons why this server cannot be scored."""
    base = {"model": model, "prompt": REFERENCE_PASSAGE, "max_tokens": 1, "temperature": 0, "stream": False}
    attempts = (
        (ECHO, {**base, "echo": True, "logprobs": 1}, parse_echo),
        (PROMPT_LOGPROBS, {**base, "prompt_logprobs": 0}, parse_prompt_logprobs),
    )
    reasons: list[str] = []
    for method, body, parse in attempts:
        try:
            return _score(method, parse(await _try(client, body)))
        except _NoLogprobs as exc:
            reasons.append(f"{method}: {exc}")
    return LogprobScore(
        passage_version=REFERENCE_PASSAGE_VERSION,
        absent_reason="the server returned no prompt log-probabilities (" + "; ".join(reasons) + ")",
    )
