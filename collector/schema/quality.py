"""Run-record models of the quality fingerprint (the `quality` object of a run record).

A fixed prompt set answered greedily after the sweep, plus an optional log-probability score of a fixed
reference passage. Definitions of every figure: `collector.schema.definitions.QUALITY_DEFINITIONS`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class QualityAnswer(_Strict):
    """The server's answer to one prompt of the built-in set."""

    id: str = Field(description="Stable id of the prompt within its prompt set, e.g. 'arith-add'.")
    category: str = Field(description="'fact', 'arithmetic', 'instruction' or 'code'.")
    prompt: str | None = Field(None, description="The prompt as sent (the user message).")
    text: str | None = Field(
        None, description="The answer exactly as returned (message content); null when the request failed."
    )
    completion_tokens: int | None = Field(
        None, description="usage.completion_tokens reported by the server; null when not reported.", ge=0
    )
    finish_reason: str | None = Field(
        None, description="finish_reason reported by the server ('stop', 'length', ...); null if absent."
    )
    error: str | None = Field(None, description="Why the request failed (HTTP status or transport error).")


class LogprobScore(_Strict):
    """How well the served weights predict a fixed reference passage, or why that was not measured."""

    passage_version: str = Field(description="Version of the built-in reference passage that was scored.")
    method: str | None = Field(
        None,
        description="How the per-token log-probabilities were obtained: 'completions-echo' (OpenAI "
        "completions with echo=true and logprobs) or 'prompt-logprobs' (vLLM's prompt_logprobs); null "
        "when absent.",
    )
    tokens_scored: int | None = Field(
        None, description="Passage tokens with a log-probability (the first token has none).", ge=1
    )
    mean_logprob: float | None = Field(
        None, description="Mean natural-log probability per scored token (<= 0).", le=0
    )
    perplexity: float | None = Field(None, description="exp(-mean_logprob) (>= 1).", ge=1)
    absent_reason: str | None = Field(
        None, description="Why no score was measured (the server offers no prompt log-probabilities, ...)."
    )


class Quality(_Strict):
    """The quality fingerprint of a run: greedy answers to a fixed prompt set, sent after the sweep."""

    prompt_set_version: str = Field(description="Version of the built-in prompt set that was sent.")
    skipped_reason: str | None = Field(
        None,
        description="Why the pass was not run (e.g. random weights: answers would be meaningless); "
        "answers is empty then.",
    )
    api: str = Field("chat", description="API used: chat completions, with the server's own chat template.")
    max_tokens: int = Field(48, description="max_tokens of every prompt.", ge=1)
    temperature: float = Field(0.0, description="Sampling temperature (0 = greedy).", ge=0)
    seed: int | None = Field(None, description="Seed sent with every request (servers may ignore it).")
    answers: list[QualityAnswer] = Field(default_factory=list, description="One entry per prompt, in order.")
    logprob: LogprobScore | None = Field(
        None, description="Log-probability score of the reference passage, or why it is absent."
    )
    duration_s: float | None = Field(None, description="Wall time of the whole pass in seconds.", ge=0)
