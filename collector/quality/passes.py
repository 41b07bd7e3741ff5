"""`run_quality_pass`: the fixed prompt set sent once after the sweep, never inside a timed level.

Prompts go one at a time (no batching) so an answer cannot depend on what else the server was batching,
greedily (temperature 0, fixed seed) through the chat API so the server applies its own chat template.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

import httpx

from collector.quality.prompts import PROMPT_SET_VERSION, PROMPTS, QualityPrompt
from collector.quality.scoring import score_passage
from collector.schema import Quality, QualityAnswer

MAX_TOKENS = 48
SEED = 0
RANDOM_WEIGHTS_REASON = "random weights: answers would be meaningless"
DISABLED_REASON = "turned off (--no-quality)"

OnAnswer = Callable[[int, int], None]


def skipped(reason: str) -> Quality:
    """The record of a pass that was not run, with the reason."""
    return Quality(prompt_set_version=PROMPT_SET_VERSION, skipped_reason=reason, max_tokens=MAX_TOKENS)


def _failed(prompt: QualityPrompt, error: str) -> QualityAnswer:
    return QualityAnswer(id=prompt.id, category=prompt.category, prompt=prompt.text, error=error)


def parse_chat_answer(prompt: QualityPrompt, body: Any) -> QualityAnswer:
    """One non-streamed chat completion -> the recorded answer (a malformed answer is an error entry)."""
    choices = body.get("choices") if isinstance(body, dict) else None
    choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None
    message = choice.get("message") if choice else None
    text = message.get("content") if isinstance(message, dict) else None
    if not isinstance(text, str):
        return _failed(prompt, "answer has no message content")
    usage = body.get("usage")
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    finish = choice.get("finish_reason") if choice else None
    return QualityAnswer(
        id=prompt.id,
        category=prompt.category,
        prompt=prompt.text,
        text=text,
        completion_tokens=tokens if isinstance(tokens, int) and tokens >= 0 else None,
        finish_reason=finish if isinstance(finish, str) else None,
    )


async def _ask(client: httpx.AsyncClient, model: str, prompt: QualityPrompt) -> QualityAnswer:
    body = {
        "model": model,
        "messages": [{"role": "user", "content": prompt.text}],
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
        "seed": SEED,
        "stream": False,
    }
    try:
        resp = await client.post("/v1/chat/completions", json=body)
    except httpx.HTTPError as exc:
        return _failed(prompt, type(exc).__name__)
    if resp.status_code != 200:
        return _failed(prompt, f"HTTP {resp.status_code}")
    try:
        payload = resp.json()
    except ValueError:
        return _failed(prompt, "answer is not JSON")
    return parse_chat_answer(prompt, payload)


async def run_quality_pass(
    client: httpx.AsyncClient,
    model: str,
    *,
    weights: Literal["real", "random"],
    enabled: bool = True,
    on_answer: OnAnswer | None = None,
) -> Quality:
    """Send the built-in prompt set and score the reference passage; `client` has the server's base URL.

    Returns a skipped record (with the reason) when turned off or when the weights are random. Never
    raises for server trouble: a failed prompt is an answer with `error`, a missing score has a reason.
    """
    if not enabled:
        return skipped(DISABLED_REASON)
    if weights == "random":
        return skipped(RANDOM_WEIGHTS_REASON)
    began = time.perf_counter()
    answers: list[QualityAnswer] = []
    for prompt in PROMPTS:
        answers.append(await _ask(client, model, prompt))
        if on_answer is not None:
            on_answer(len(answers), len(PROMPTS))
        if len(answers) == 1 and answers[0].error is not None:
            # A server that cannot answer one plain chat request will not answer 29 more: stop after the
            # first instead of sending the rest into the same failure.
            return Quality(
                prompt_set_version=PROMPT_SET_VERSION,
                skipped_reason=f"the server failed the first prompt ({answers[0].error})",
                max_tokens=MAX_TOKENS,
                seed=SEED,
                answers=answers,
                duration_s=time.perf_counter() - began,
            )
    score = await score_passage(client, model)
    return Quality(
        prompt_set_version=PROMPT_SET_VERSION,
        max_tokens=MAX_TOKENS,
        seed=SEED,
        answers=answers,
        logprob=score,
        duration_s=time.perf_counter() - began,
    )
