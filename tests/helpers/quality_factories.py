"""Hand-made run records for the agreement and history tests (answers and metrics chosen, not measured)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from collector.schema import (
    Collector,
    ConfidenceInterval,
    LogprobScore,
    Quality,
    QualityAnswer,
    Quantization,
    RepeatSummary,
    RunRecord,
)
from tests.helpers.gen_factories import make_run

PROMPT_IDS = [f"p{i:02d}" for i in range(10)]
GOOD = [f"answer number {i}" for i in range(10)]


def quality(texts: Sequence[str | None], version: str = "test-1", perplexity: float | None = None) -> Quality:
    answers = [
        QualityAnswer(
            id=pid,
            category="fact",
            prompt=f"question {pid}?",
            text=text,
            error=None if text is not None else "HTTP 500",
        )
        for pid, text in zip(PROMPT_IDS, texts, strict=True)
    ]
    if perplexity is None:
        score = LogprobScore(
            passage_version="t", absent_reason="the server returned no prompt log-probabilities"
        )
    else:
        score = LogprobScore(
            passage_version="t",
            method="completions-echo",
            tokens_scored=70,
            mean_logprob=-math.log(perplexity),
            perplexity=perplexity,
        )
    return Quality(prompt_set_version=version, answers=answers, logprob=score)


def answering_run(
    run_id: str,
    *,
    model: str,
    texts: Sequence[str | None],
    weights_dtype: str,
    backend: str = "vllm",
    fmt: str | None = None,
    created_day: int = 0,
    version: str = "test-1",
    perplexity: float | None = None,
) -> RunRecord:
    record = make_run(run_id, backend=backend, model=model, created_day=created_day, quant=fmt)
    record.quantization = Quantization(format=fmt, weights_dtype=weights_dtype, source="flag")
    record.quality = quality(texts, version, perplexity)
    return record


def history_run(
    run_id: str,
    version: str,
    day: int,
    speed: float,
    *,
    repeats: int = 1,
    ci: float | None = None,
    measurement: int | None = 1,
) -> RunRecord:
    """A vLLM run of one fixed configuration; `speed` scales throughput; `ci` (relative half-width)
    replaces the factory's intervals when given."""
    record = make_run(run_id, version=version, created_day=day, speed=speed, repeats=repeats, levels=(1, 4))
    record.collector = Collector(version="0.1.0", measurement_version=measurement)
    if ci is not None:
        record.repeat_summaries = [
            RepeatSummary(
                concurrency=s.concurrency,
                request_rate=None,
                trials=s.trials,
                intervals={
                    k: ConfidenceInterval(
                        estimate=v.estimate,
                        low=v.estimate * (1 - ci),
                        high=v.estimate * (1 + ci),
                        trials=v.trials,
                    )
                    for k, v in s.intervals.items()
                },
            )
            for s in record.repeat_summaries
        ]
    return record


SMOL = "SmolLM2-135M-Instruct"
GARBAGE = ["zq zq zq", "ok ok", "######", "!!", "a a a", "lorem", "1 1 1", "..", "xx", "??"]


def smol_family() -> list[RunRecord]:
    """bf16 reference, a Q4_1 that differs on two prompts, an F16 GGUF, and a broken 'real' model."""
    q4 = [*GOOD[:8], "answer number 8, roughly", "answer num 9"]
    return [
        answering_run(
            "ref0bf16", model=f"HuggingFaceTB/{SMOL}", texts=GOOD, weights_dtype="bf16", perplexity=9.5
        ),
        answering_run(
            "gguf0q41",
            model=f"{SMOL}.Q4_1.gguf",
            texts=q4,
            weights_dtype="q4_1",
            backend="llama.cpp",
            fmt="GGUF Q4_1",
            created_day=1,
        ),
        answering_run(
            "gguf0f16",
            model=f"{SMOL}-F16.gguf",
            texts=GOOD,
            weights_dtype="f16",
            backend="llama.cpp",
            fmt="GGUF F16",
            created_day=2,
        ),
        answering_run(
            "broken01", model=SMOL, texts=GARBAGE, weights_dtype="bf16", backend="sglang", created_day=3
        ),
    ]
