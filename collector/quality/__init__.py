"""Quality fingerprint: greedy answers to a fixed prompt set and a reference-passage log-prob score."""

from collector.quality.passes import run_quality_pass, skipped
from collector.quality.prompts import PROMPT_SET_VERSION, PROMPTS, REFERENCE_PASSAGE
from collector.quality.scoring import score_passage

__all__ = [
    "PROMPTS",
    "PROMPT_SET_VERSION",
    "REFERENCE_PASSAGE",
    "run_quality_pass",
    "score_passage",
    "skipped",
]
