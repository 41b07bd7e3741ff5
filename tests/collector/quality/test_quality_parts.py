"""The quality pass's parsers, the schema object and the measurement-version guard, on fixed inputs."""

from __future__ import annotations

import asyncio
import hashlib
import math
from pathlib import Path

import pytest
from pydantic import ValidationError

from collector.config.collect import CollectConfig
from collector.measure.version import MEASUREMENT_VERSION, MEASURING_MODULES, measuring_digest
from collector.quality import PROMPT_SET_VERSION, PROMPTS, REFERENCE_PASSAGE
from collector.quality.passes import parse_chat_answer
from collector.quality.prompts import REFERENCE_PASSAGE_VERSION
from collector.quality.scoring import _NoLogprobs, parse_echo, parse_prompt_logprobs
from collector.run.runner import collect
from collector.schema import LogprobScore, Quality, load_run
from tests.helpers.scripted_server import Script, ScriptedServer

# Pinned digests: when a test below fails, read its message; do not just paste the new digest.
MEASURING_DIGEST = "ce38fb57e41f40736bc9e277950120b076103cc289efb3f494bd23aaa97abd0e"
PROMPTS_DIGEST = "f88eb79e9627e615d6daf81f7ac155f9d3f72e6403d03402e74728c8220579da"


def test_measurement_version_is_bumped_when_measuring_code_changes() -> None:
    digest = measuring_digest()
    assert digest == MEASURING_DIGEST, (
        f"the measuring code changed ({', '.join(MEASURING_MODULES)}). If this changes how any recorded "
        f"figure is measured, bump MEASUREMENT_VERSION in collector/measure/version.py (now "
        f"{MEASUREMENT_VERSION}); either way set MEASURING_DIGEST in this test to {digest!r}. A module "
        "moved or renamed: update its name in MEASURING_MODULES."
    )


def test_prompt_set_version_is_bumped_when_prompts_change() -> None:
    text = "\n".join(f"{p.id}|{p.category}|{p.text}" for p in PROMPTS) + "\n" + REFERENCE_PASSAGE
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert digest == PROMPTS_DIGEST, (
        "the quality prompts or the reference passage changed: bump PROMPT_SET_VERSION (and "
        f"REFERENCE_PASSAGE_VERSION for the passage) in collector/quality/prompts.py, then set "
        f"PROMPTS_DIGEST in this test to {digest!r}"
    )


def test_prompt_set_shape() -> None:
    assert 25 <= len(PROMPTS) <= 35
    assert len({p.id for p in PROMPTS}) == len(PROMPTS)
    assert {p.category for p in PROMPTS} == {"fact", "arithmetic", "instruction", "code"}


def _echo_body(values: list[float | None], prompt_tokens: int) -> dict[str, object]:
    return {
        "choices": [{"text": "x", "logprobs": {"tokens": ["t"] * len(values), "token_logprobs": values}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 1},
    }


def test_echo_scores_prompt_tokens_only() -> None:
    # 3 prompt tokens (first has no log-prob) + 1 generated token that must not count.
    assert parse_echo(_echo_body([None, -1.0, -3.0, -0.5], 3)) == [-1.0, -3.0]


def test_echo_ignored_by_the_server_is_not_a_score() -> None:
    with pytest.raises(_NoLogprobs, match="echo ignored"):
        parse_echo(_echo_body([-0.5], 3))
    with pytest.raises(_NoLogprobs, match="token_logprobs"):
        parse_echo({"choices": [{"text": "x"}], "usage": {"prompt_tokens": 3}})
    with pytest.raises(_NoLogprobs, match="finite"):
        parse_echo(_echo_body([None, 0.7, -1.0], 3))


def test_vllm_prompt_logprobs() -> None:
    body = {
        "choices": [
            {
                "text": "x",
                "prompt_logprobs": [
                    None,
                    {"791": {"logprob": -2.0, "rank": 3, "decoded_token": "The"}},
                    {"6437": {"logprob": -4.0, "rank": 9, "decoded_token": " river"}},
                ],
            }
        ],
        "usage": {"prompt_tokens": 3},
    }
    assert parse_prompt_logprobs(body) == [-2.0, -4.0]
    body["usage"] = {"prompt_tokens": 4}
    with pytest.raises(_NoLogprobs, match="entries for 4"):
        parse_prompt_logprobs(body)


def test_chat_answer_parsing() -> None:
    prompt = PROMPTS[0]
    body = {
        "choices": [{"message": {"role": "assistant", "content": "Paris"}, "finish_reason": "stop"}],
        "usage": {"completion_tokens": 2},
    }
    answer = parse_chat_answer(prompt, body)
    assert (answer.text, answer.completion_tokens, answer.finish_reason) == ("Paris", 2, "stop")
    assert answer.prompt == prompt.text
    broken = parse_chat_answer(prompt, {"choices": []})
    assert broken.text is None and broken.error


def test_quality_schema_refuses_impossible_scores() -> None:
    score = LogprobScore(
        passage_version=REFERENCE_PASSAGE_VERSION,
        method="completions-echo",
        tokens_scored=2,
        mean_logprob=-2.0,
        perplexity=math.exp(2.0),
    )
    Quality(prompt_set_version=PROMPT_SET_VERSION, logprob=score)
    with pytest.raises(ValidationError):
        LogprobScore(passage_version="x", mean_logprob=0.5)
    with pytest.raises(ValidationError):
        LogprobScore(passage_version="x", perplexity=0.5)


@pytest.mark.slow
def test_a_server_that_cannot_answer_plain_chat_gets_one_prompt_only(tmp_path: Path) -> None:
    # The scripted server streams SSE whatever is asked: the first non-streamed answer is not JSON, so the
    # pass stops there instead of sending 29 more prompts into the same failure.
    with ScriptedServer(Script(ttft_ms=1.0, itl_ms=1.0)) as srv:
        config = CollectConfig.model_validate(
            {
                "endpoint": srv.url,
                "backend": "openai",
                "out": tmp_path,
                "input_tokens": 8,
                "output_tokens": 4,
                "requests": 2,
                "concurrency": [1],
                "warmup": 0,
            }
        )
        result = asyncio.run(collect(config))
    quality = load_run(result.path).quality  # type: ignore[arg-type]
    assert quality is not None and quality.skipped_reason is not None
    assert quality.skipped_reason.startswith("the server failed the first prompt")
    assert [a.id for a in quality.answers] == [PROMPTS[0].id] and quality.answers[0].error
