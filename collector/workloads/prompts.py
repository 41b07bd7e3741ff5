"""Prompts: synthetic ones with exact token lengths (via the server's tokenizer), or a dataset file.

Synthetic prompts are ASCII words drawn from a seeded generator, salted by default (each starts with a unique
random salt, so prefix caches cannot turn a benchmark into a cache test), and sized with the server's own
tokenize endpoint when it has one.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collector import stop
from collector.errors import WorkloadError

Tokenize = Callable[[str], Awaitable[list[int] | None]]

# Common English words: realistic token boundaries on real BPE vocabularies, ASCII for the random models.
_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "they",
    "you",
    "were",
    "her",
    "she",
    "there",
    "been",
    "one",
    "all",
    "we",
    "their",
    "has",
    "would",
    "when",
    "if",
    "so",
    "no",
    "will",
    "more",
    "about",
    "can",
    "said",
    "up",
    "out",
    "what",
    "some",
    "into",
    "them",
    "time",
    "only",
    "new",
    "other",
    "could",
    "its",
    "then",
    "two",
    "may",
    "first",
    "any",
    "these",
    "like",
    "than",
    "over",
    "such",
    "our",
    "after",
    "most",
    "made",
    "also",
    "did",
    "many",
    "before",
    "must",
    "through",
    "back",
    "years",
    "where",
    "much",
    "way",
    "well",
    "down",
    "should",
    "because",
    "each",
    "just",
    "those",
    "people",
    "how",
    "too",
    "little",
    "state",
    "good",
    "very",
    "make",
    "world",
    "still",
    "own",
    "see",
    "men",
    "work",
    "long",
    "here",
    "get",
    "both",
    "between",
    "life",
    "being",
    "under",
    "never",
    "day",
    "same",
    "another",
    "know",
    "while",
    "last",
    "might",
    "us",
    "great",
    "old",
    "year",
    "off",
    "come",
    "since",
    "against",
    "go",
    "came",
    "right",
    "used",
    "take",
    "three",
    "himself",
    "few",
    "house",
    "use",
    "during",
    "without",
    "again",
    "place",
    "around",
    "however",
    "home",
    "small",
    "found",
    "thought",
    "went",
    "say",
    "part",
    "once",
    "general",
    "high",
    "upon",
    "school",
    "every",
    "does",
    "got",
    "united",
    "left",
    "number",
    "course",
    "war",
    "until",
    "always",
    "away",
    "something",
    "fact",
    "though",
    "water",
    "less",
    "public",
    "put",
    "think",
    "almost",
    "hand",
    "enough",
    "far",
    "took",
    "head",
    "yet",
    "government",
    "system",
    "better",
    "set",
    "told",
    "nothing",
    "night",
    "end",
    "why",
    "called",
    "didn't",
    "eyes",
    "find",
    "going",
    "look",
    "asked",
    "later",
    "knew",
    "point",
    "next",
    "program",
    "city",
    "business",
    "give",
    "group",
    "toward",
    "young",
    "days",
    "let",
    "room",
    "president",
    "side",
    "social",
    "given",
    "present",
    "several",
    "order",
    "national",
    "possible",
    "rather",
    "second",
    "face",
    "per",
    "among",
    "form",
    "important",
    "often",
    "things",
    "looked",
    "early",
    "white",
    "case",
    "john",
    "become",
    "large",
    "big",
    "need",
    "four",
    "within",
    "felt",
    "along",
    "children",
    "saw",
    "best",
    "church",
    "ever",
    "least",
    "power",
    "development",
    "light",
    "thing",
    "seemed",
    "family",
    "interest",
]

APPROX_CHARS_PER_TOKEN = 4.0
MAX_DATASET_BYTES = 1 << 30  # read whole into memory


@dataclass(frozen=True, slots=True)
class Prompt:
    text: str
    input_tokens: int | None  # tokens by the server's tokenizer, when it was asked
    output_tokens: int | None  # max_tokens for this request


def jittered(base: int, jitter: float, rng: random.Random) -> int:
    """Uniform in [base*(1-j), base*(1+j)], at least 1."""
    if jitter <= 0:
        return base
    lo, hi = max(1, round(base * (1 - jitter))), max(1, round(base * (1 + jitter)))
    return rng.randint(lo, hi)


_WORD_STEP = max(map(len, _WORDS)) + 1  # the most one word (and its separator) can add
_WORDS_PER_CHECK = 1 << 16  # a few ms of drawing between two looks at a pending signal


def _grow(text: str, min_chars: int, rng: random.Random, *, sep_first: bool) -> str:
    """`text` with random words added until it has at least `min_chars` characters (word + " ", or
    " " + word when `sep_first`). Draws exactly the words a one-at-a-time loop would draw (a batch never
    has more words than are surely still needed), so prompts do not depend on the batching, and looks for
    a pending Ctrl-C between batches (`stop.check`): a 40-million-character prompt stops within a second."""
    while len(text) < min_chars:
        batch = min(_WORDS_PER_CHECK, max(1, (min_chars - len(text)) // _WORD_STEP))
        words = [rng.choice(_WORDS) for _ in range(batch)]
        text += "".join(" " + w for w in words) if sep_first else "".join(w + " " for w in words)
        stop.check()
    return text


def salt_text(rng: random.Random) -> str:
    """A random start for a prompt: prompts that differ in their first tokens share no cacheable prefix,
    so a server's prefix cache cannot turn a throughput benchmark into a cache benchmark."""
    return f"{rng.getrandbits(32):08x} "


async def exact_length_text(
    target: int, rng: random.Random, tokenize: Tokenize, chars_per_token: list[float], *, salt: bool = True
) -> str:
    """A text whose tokenization by the server has exactly `target` tokens (else the closest below).

    Searches the character length of a random word sequence: a secant step from the running
    chars-per-token estimate (shared across prompts in the one-element list), falling back to bisection,
    so a typical prompt costs one or two tokenize calls and the worst case is logarithmic. With `salt`
    (the default) the text starts with a unique salt; the workloads that share prefixes on purpose opt out."""
    prefix = salt_text(rng) if salt else ""
    text = prefix
    while True:
        text = _grow(text, math.ceil(target * chars_per_token[0] * 1.5 + 64), rng, sep_first=False)
        full = await tokenize(text)
        if full is None:
            raise WorkloadError("tokenize endpoint stopped answering")
        if len(full) >= target:
            break
        chars_per_token[0] = max(chars_per_token[0], len(text) / max(1, len(full))) * 1.5
    lo, hi = len(prefix), len(text)
    length = min(hi - 1, max(lo + 1, round(target * chars_per_token[0])))
    for _ in range(64):
        tokens = await tokenize(text[:length])
        if tokens is None:
            raise WorkloadError("tokenize endpoint stopped answering")
        n = len(tokens)
        if n == target:
            chars_per_token[0] = 0.7 * chars_per_token[0] + 0.3 * (length / target)
            return text[:length]
        if n < target:
            lo = length
        else:
            hi = length
        if hi - lo <= 1:
            break
        guess = length + round((target - n) * chars_per_token[0])
        length = guess if lo < guess < hi else (lo + hi) // 2
    return text[:lo]


def approximate_text(target: int, rng: random.Random, *, salt: bool = True) -> str:
    text = salt_text(rng).rstrip() if salt else rng.choice(_WORDS)
    text = _grow(text, math.ceil(target * APPROX_CHARS_PER_TOKEN), rng, sep_first=True)
    return text[: int(target * APPROX_CHARS_PER_TOKEN)]


async def synthetic_prompts(
    count: int,
    *,
    input_tokens: int,
    output_tokens: int | None,
    jitter: float,
    seed: int,
    tokenize: Tokenize | None,
    salt: bool = True,
) -> tuple[list[Prompt], str]:
    """`count` prompts and the method used ('tokenize_endpoint' or 'approximate'); salted (distinct in
    their first tokens) unless `salt` is False."""
    rng = random.Random(seed)
    method = "approximate"
    if tokenize is not None and await tokenize("hello world") is not None:
        method = "tokenize_endpoint"
    prompts: list[Prompt] = []
    ratio = [APPROX_CHARS_PER_TOKEN]
    for _ in range(count):
        stop.check()
        n_in = jittered(input_tokens, jitter, rng)
        n_out = None if output_tokens is None else jittered(output_tokens, jitter, rng)
        if method == "tokenize_endpoint" and tokenize is not None:
            text = await exact_length_text(n_in, rng, tokenize, ratio, salt=salt)
            prompts.append(Prompt(text, n_in, n_out))
        else:
            prompts.append(Prompt(approximate_text(n_in, rng, salt=salt), None, n_out))
    return prompts, method


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _prompt_from_item(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if not isinstance(item, dict):
        return None
    for key in ("prompt", "text", "input"):
        if isinstance(item.get(key), str):
            return str(item[key])
    turns = item.get("conversations") or item.get("messages")
    if isinstance(turns, list):
        for turn in turns:
            if isinstance(turn, dict):
                who = turn.get("from") or turn.get("role")
                text = turn.get("value") if "value" in turn else turn.get("content")
                if who in ("human", "user") and isinstance(text, str) and text.strip():
                    return text
    return None


def load_dataset(path: Path) -> tuple[list[str], str, str]:
    """Prompts from a ShareGPT-style JSON array or a JSONL file: (prompts, format, sha256)."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_DATASET_BYTES + 1)  # never all of /dev/zero
        if len(data) > MAX_DATASET_BYTES:
            raise WorkloadError(
                f"dataset {path} is over {MAX_DATASET_BYTES >> 20} MiB (it is read whole into memory); cut it"
            )
        raw = data.decode("utf-8")
    except OSError as exc:
        raise WorkloadError(f"cannot read dataset {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise WorkloadError(f"dataset {path} is not UTF-8 text") from None
    items: list[Any]
    stripped = raw.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise WorkloadError(f"dataset {path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
        except RecursionError:
            raise WorkloadError(f"dataset {path}: JSON nested too deeply") from None
        except ValueError as exc:  # an integer of more than 4,300 digits
            raise WorkloadError(f"dataset {path}: {exc}") from None
        fmt = "sharegpt-json"
    else:
        items = []
        for lineno, line in enumerate(raw.splitlines(), 1):
            stop.check()
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise WorkloadError(f"dataset {path}: line {lineno} is not JSON: {exc.msg}") from None
            except RecursionError:
                raise WorkloadError(f"dataset {path}: line {lineno}: JSON nested too deeply") from None
            except ValueError as exc:  # an integer of more than 4,300 digits
                raise WorkloadError(f"dataset {path}: line {lineno}: {exc}") from None
        fmt = "jsonl"
    prompts = [p for p in (_prompt_from_item(i) for i in items) if p]
    if not prompts:
        raise WorkloadError(
            f"dataset {path}: no prompts found (expected ShareGPT conversations or 'prompt' keys)"
        )
    return prompts, fmt, sha256_file(path)
