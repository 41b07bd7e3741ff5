"""Request bodies for the workload generators, built with the collector's own `build_body` (so every
workload sends the same parameters as the fixed-length one) and serialised once before the load starts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from collector import stop
from collector.load.client import PreparedRequest, api_path, build_body
from collector.workloads.shared_prefix import SharedPrefixPrompt


def body_for(
    *,
    api: str,
    model: str,
    max_tokens: int | None,
    extras: dict[str, Any],
    prompt: str = "",
    messages: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """build_body's request, with whole chat `messages` (history, system prompt) when given. A
    `min_tokens` key in extras means "min_tokens = max_tokens", as in the fixed-length workload."""
    base = {k: v for k, v in extras.items() if k != "min_tokens"}
    body = build_body(
        api=api,
        model=model,
        prompt=prompt,
        max_tokens=max_tokens,
        extras=base,
        min_tokens="min_tokens" in extras,
    )
    if messages is not None:
        if api != "chat":
            raise ValueError("whole message lists need the chat API")
        body["messages"] = messages
    return body


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def shared_prefix_requests(
    prompts: Sequence[SharedPrefixPrompt], *, api: str, model: str, extras: dict[str, Any]
) -> list[PreparedRequest]:
    """Completions: prefix + suffix as one prompt; chat: the prefix as the system message."""
    out = []
    for p in prompts:
        stop.check()
        if api == "chat":
            body = body_for(
                api=api, model=model, max_tokens=p.output_tokens, extras=extras, messages=p.messages()
            )
        else:
            body = body_for(api=api, model=model, max_tokens=p.output_tokens, extras=extras, prompt=p.text)
        out.append(PreparedRequest(api_path(api), encode(body), p.output_tokens))
    return out
