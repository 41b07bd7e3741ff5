"""The built-in quality prompt set and reference passage.

Both are part of the measurement: changing a prompt, its wording or the passage changes every answer, so
any edit must bump PROMPT_SET_VERSION (answers of different versions are never compared) and the digest
pinned in tests/collector/test_quality_prompts.py fails until it is bumped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PROMPT_SET_VERSION = "2026.11-1"
REFERENCE_PASSAGE_VERSION = "2026.11-1"

# Short, unambiguous tasks whose answers a working model of any size reproduces almost verbatim under
# greedy decoding; small models may be wrong, but every correct serving of the same weights is wrong the
# same way, which is what the agreement view compares.
Category = Literal["fact", "arithmetic", "instruction", "code"]


@dataclass(frozen=True)
class QualityPrompt:
    id: str
    category: Category
    text: str


PROMPTS: tuple[QualityPrompt, ...] = (
    QualityPrompt("fact-capital-france", "fact", "What is the capital of France? Answer in one word."),
    QualityPrompt("fact-capital-japan", "fact", "What is the capital of Japan? Answer in one word."),
    QualityPrompt("fact-water-formula", "fact", "What is the chemical formula of water?"),
    QualityPrompt("fact-largest-planet", "fact", "Which planet is the largest in the solar system?"),
    QualityPrompt("fact-days-week", "fact", "How many days are there in a week?"),
    QualityPrompt("fact-author-hamlet", "fact", "Who wrote the play Hamlet?"),
    QualityPrompt("fact-freezing-point", "fact", "At what temperature in Celsius does water freeze?"),
    QualityPrompt("fact-continents", "fact", "How many continents are there on Earth?"),
    QualityPrompt("arith-add", "arithmetic", "What is 17 + 25? Reply with the number only."),
    QualityPrompt("arith-sub", "arithmetic", "What is 100 - 37? Reply with the number only."),
    QualityPrompt("arith-mul", "arithmetic", "What is 12 * 11? Reply with the number only."),
    QualityPrompt("arith-div", "arithmetic", "What is 144 divided by 12? Reply with the number only."),
    QualityPrompt("arith-square", "arithmetic", "What is the square of 9? Reply with the number only."),
    QualityPrompt(
        "arith-word", "arithmetic", "Tom has 3 apples and buys 4 more. How many apples does he have?"
    ),
    QualityPrompt("arith-percent", "arithmetic", "What is 10 percent of 250? Reply with the number only."),
    QualityPrompt("instr-uppercase", "instruction", "Write the word 'hello' in capital letters."),
    QualityPrompt("instr-reverse", "instruction", "List the numbers from 5 down to 1, separated by commas."),
    QualityPrompt("instr-colors", "instruction", "Name three primary colors, separated by commas."),
    QualityPrompt("instr-synonym", "instruction", "Give one synonym for the word 'happy'."),
    QualityPrompt("instr-opposite", "instruction", "What is the opposite of 'cold'? Answer in one word."),
    QualityPrompt("instr-translate", "instruction", "Translate 'thank you' into French."),
    QualityPrompt("instr-yes-no", "instruction", "Is the sun a star? Answer yes or no."),
    QualityPrompt("instr-sentence", "instruction", "Write one short sentence about a cat."),
    QualityPrompt("code-py-add", "code", "Write a Python function add(a, b) that returns the sum."),
    QualityPrompt("code-py-len", "code", "In Python, which built-in function returns the length of a list?"),
    QualityPrompt("code-py-print", "code", "Write the Python statement that prints Hello, World!"),
    QualityPrompt("code-sql-select", "code", "Write an SQL query that selects all rows from a table users."),
    QualityPrompt("code-js-array", "code", "In JavaScript, how do you get the number of items in array arr?"),
    QualityPrompt("code-bash-list", "code", "Which shell command lists the files in a directory?"),
    QualityPrompt("code-py-even", "code", "Write a Python expression that is True when n is even."),
)

# Plain, public-domain-style prose (written for inferboard) scored token by token where the server
# returns prompt log-probabilities; lower perplexity = the served weights predict ordinary English better.
REFERENCE_PASSAGE = (
    "The river runs through the middle of the old town. In the morning, people walk along its banks to "
    "the market, where farmers sell bread, cheese, apples and fresh vegetables. Children cross the stone "
    "bridge on their way to school, and in the evening the lamps along the water are lit one by one. "
    "Visitors often say that the town is quiet, but the people who live there know every sound of it."
)
