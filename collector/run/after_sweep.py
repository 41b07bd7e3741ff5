"""The quality pass as `inferboard collect` runs it: after the sweep, with its own progress line, and
stoppable by Ctrl-C without losing the measured levels."""

from __future__ import annotations

import asyncio
from typing import Literal

import httpx

from collector.quality.passes import run_quality_pass, skipped
from collector.run.interrupts import Interrupt
from collector.run.progress import Progress
from collector.schema import Quality


def _describe(quality: Quality) -> str:
    if quality.skipped_reason:
        return f"quality pass skipped: {quality.skipped_reason}"
    failed = sum(1 for a in quality.answers if a.error)
    score = quality.logprob
    tail = (
        f", reference perplexity {score.perplexity:.2f} ({score.method})"
        if score is not None and score.perplexity is not None
        else ", no log-probability score (server offers none)"
    )
    return f"quality pass: {len(quality.answers)} answers, {failed} failed{tail}"


async def quality_after_sweep(
    client: httpx.AsyncClient,
    model: str,
    *,
    weights: Literal["real", "random"],
    enabled: bool,
    sweep_status: str,
    interrupt: Interrupt,
    progress: Progress,
) -> Quality:
    """Run the pass unless the sweep did not complete; an interrupt during the pass records why."""
    if enabled and weights == "real" and sweep_status != "complete":
        quality = skipped(f"the sweep did not complete ({sweep_status})")
        progress.info(_describe(quality))
        return quality

    def on_answer(done: int, total: int) -> None:
        if progress.enabled:
            progress.stream.write(f"\r  quality: {done}/{total} prompts".ljust(40))
            progress.stream.flush()

    task = asyncio.create_task(
        run_quality_pass(client, model, weights=weights, enabled=enabled, on_answer=on_answer)
    )
    interrupt.current = task
    try:
        quality = await task
    except asyncio.CancelledError:
        if not interrupt.fired:
            raise
        quality = skipped(f"interrupted by {interrupt.signal_name} during the quality pass")
    finally:
        interrupt.current = None
    if progress.enabled and quality.answers:
        progress.stream.write("\r" + " " * 40 + "\r")
    progress.info(_describe(quality))
    return quality
