"""The quality pass end to end against the real embedded llama.cpp engine serving real weights."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from realmodel import smollm2_gguf

from collector import aio
from collector.cli import main
from collector.engine import EmbeddedEngine
from collector.quality import PROMPTS, run_quality_pass
from collector.quality.passes import RANDOM_WEIGHTS_REASON, _ask
from collector.schema import Quality, load_run

pytestmark = [pytest.mark.engine, pytest.mark.slow]


@pytest.fixture(scope="module")
def engine_url() -> Iterator[str]:
    with EmbeddedEngine(smollm2_gguf(), n_ctx=2048, n_parallel=1) as engine:
        yield engine.base_url


async def _model(client: httpx.AsyncClient) -> str:
    return str((await client.get("/v1/models")).json()["data"][0]["id"])


async def _pass(base_url: str) -> Quality:
    async with httpx.AsyncClient(base_url=base_url, timeout=120.0) as client:
        return await run_quality_pass(client, await _model(client), weights="real")


async def _again(base_url: str, ids: list[str]) -> list[str | None]:
    async with httpx.AsyncClient(base_url=base_url, timeout=120.0) as client:
        model = await _model(client)
        return [(await _ask(client, model, p)).text for p in PROMPTS if p.id in ids]


@pytest.fixture(scope="module")
def quality(engine_url: str) -> Quality:
    return aio.run(_pass(engine_url))


def test_pass_answers_every_prompt(quality: Quality) -> None:
    assert [a.id for a in quality.answers] == [p.id for p in PROMPTS]
    for answer in quality.answers:
        assert answer.error is None and answer.text, answer
        assert answer.completion_tokens is not None and 0 < answer.completion_tokens <= 48
        assert answer.finish_reason in ("stop", "length")
    # A real instruct model through its own chat template knows the capital of France.
    capital = next(a for a in quality.answers if a.id == "fact-capital-france")
    assert "Paris" in (capital.text or "")


def test_greedy_answers_repeat_on_the_same_server(engine_url: str, quality: Quality) -> None:
    ids = ["fact-capital-france", "arith-add", "code-py-add"]
    assert aio.run(_again(engine_url, ids)) == [a.text for a in quality.answers if a.id in ids]


def test_llama_cpp_log_probabilities_are_recorded_as_absent(quality: Quality) -> None:
    # llama.cpp ignores echo and prompt_logprobs: it returns log-probabilities of generated tokens only,
    # which are not a score of the passage. Recorded as absent, with the reason, never estimated.
    score = quality.logprob
    assert score is not None and score.method is None
    assert score.perplexity is None and score.mean_logprob is None
    assert score.absent_reason is not None and "echo ignored" in score.absent_reason


def test_collect_records_quality_for_real_weights(tmp_path: Path) -> None:
    args = ["collect", "--gguf", str(smollm2_gguf()), "--out", str(tmp_path), "--requests", "2"]
    args += ["--input-tokens", "16", "--output-tokens", "4", "--concurrency", "1", "--warmup", "0"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob("*.json")
    record = load_run(path)
    assert record.collector.measurement_version is not None
    assert record.quality is not None and record.quality.skipped_reason is None
    assert len(record.quality.answers) == len(PROMPTS)
    assert record.quality.logprob is not None


def test_collect_skips_quality_for_random_weights_and_when_turned_off(tmp_path: Path) -> None:
    common = ["--requests", "2", "--input-tokens", "16", "--output-tokens", "4", "--concurrency", "1"]
    random_run = CliRunner().invoke(main, ["collect", "--out", str(tmp_path / "a"), *common])
    assert random_run.exit_code == 0, random_run.output
    (path,) = (tmp_path / "a").glob("*.json")
    quality = load_run(path).quality
    assert quality is not None and quality.skipped_reason == RANDOM_WEIGHTS_REASON and not quality.answers
    off = CliRunner().invoke(main, ["collect", "--no-quality", "--out", str(tmp_path / "b"), *common])
    assert off.exit_code == 0, off.output
    (path,) = (tmp_path / "b").glob("*.json")
    quality = load_run(path).quality
    assert (
        quality is not None
        and quality.skipped_reason is not None
        and "--no-quality" in quality.skipped_reason
    )
