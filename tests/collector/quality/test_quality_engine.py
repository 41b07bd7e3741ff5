"""The quality pass end to end against the real embedded llama.cpp engine serving real weights."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.load import aio
from collector.measure.version import MEASUREMENT_VERSION
from collector.quality import PROMPTS, run_quality_pass
from collector.quality.passes import RANDOM_WEIGHTS_REASON, _ask
from collector.schema import Quality, RunRecord, load_run
from collector.server.engine import EmbeddedEngine
from collector.server.ggufgen import cached_model
from generator.analysis.agreement import agreement_groups, answers, compare
from generator.data.load import LoadedRun
from tests.helpers.realmodel import smollm2_gguf

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
    assert capital.prompt == PROMPTS[0].text
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


SMALL_SWEEP = ["--requests", "2", "--input-tokens", "16", "--output-tokens", "4", "--concurrency", "1"]


def _collect(out: Path, *extra: str) -> RunRecord:
    result = CliRunner().invoke(main, ["collect", "--out", str(out), "--warmup", "0", *SMALL_SWEEP, *extra])
    assert result.exit_code == 0, result.output
    (path,) = out.glob("*.json")
    return load_run(path)


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> RunRecord:
    return _collect(tmp_path_factory.mktemp("real"), "--gguf", str(smollm2_gguf()))


def test_collect_records_quality_for_real_weights(real_run: RunRecord) -> None:
    assert real_run.collector.measurement_version == MEASUREMENT_VERSION
    quality = real_run.quality
    assert quality is not None and quality.skipped_reason is None
    assert len(quality.answers) == len(PROMPTS) and all(a.error is None for a in quality.answers)
    assert quality.logprob is not None and quality.logprob.absent_reason


def test_random_weights_named_like_the_real_model_are_flagged(real_run: RunRecord, tmp_path: Path) -> None:
    # A deliberately broken configuration: a random-weight model served under the real model's name by
    # an external server, so the collector cannot know and records the weights as real.
    name = real_run.model.name
    sibling = _collect(tmp_path / "sibling", "--gguf", str(smollm2_gguf()), "--engine-parallel", "1")
    with EmbeddedEngine(cached_model("tiny", "f32", seed=0).path, alias=name, n_parallel=2) as engine:
        broken = _collect(
            tmp_path / "broken", "--endpoint", engine.base_url, "--backend", "llama.cpp", "--model", name
        )
    assert broken.model.weights == "real" and broken.model.name == name
    runs = [
        LoadedRun(record, Path(f"{slug}.json"), slug)
        for slug, record in (("real", real_run), ("sibling", sibling), ("broken", broken))
    ]
    (group,) = agreement_groups(runs)
    by = {r.slug: r for r in group.runs}
    assert {s for s, r in by.items() if r.diverges} == {"broken"}
    # Same weights, same engine: greedy answers agree exactly whatever the slot count.
    assert compare(answers(real_run), answers(sibling))[0] == 1.0
    assert by["broken"].agreement is not None and by["broken"].agreement < 0.2


def test_collect_skips_quality_for_random_weights_and_when_turned_off(tmp_path: Path) -> None:
    quality = _collect(tmp_path / "a", "--random-weights").quality
    assert quality is not None and quality.skipped_reason == RANDOM_WEIGHTS_REASON and not quality.answers
    quality = _collect(tmp_path / "b", "--random-weights", "--no-quality").quality
    assert quality is not None and quality.skipped_reason is not None
    assert "--no-quality" in quality.skipped_reason
