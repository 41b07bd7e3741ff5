"""A small synthetic Mooncake-format trace, generated (not downloaded) for examples and tests.

Shape: `roots` shared system prompts of `root_blocks` blocks each; every request picks a root, adds 0 to
`max_unique_blocks` unique full blocks and one unique partial block, so ceil(input_length / block) equals
its number of hash ids (Mooncake's convention). New hash ids are consecutive integers, the roots' first.
Arrivals are Poisson at `rate_rps`, timestamps in whole ms from 0.

    python -m collector.workloads.trace_gen docs/examples/trace-small.jsonl
regenerates the shipped example (its defaults are the example's parameters).
"""

from __future__ import annotations

import random
from pathlib import Path

import click

from collector.workloads.trace import MOONCAKE_BLOCK_TOKENS, TraceRequest


def generate_trace(
    *,
    requests: int = 24,
    seed: int = 0,
    block_tokens: int = MOONCAKE_BLOCK_TOKENS,
    roots: int = 3,
    root_blocks: int = 2,
    max_unique_blocks: int = 2,
    rate_rps: float = 4.0,
    output_range: tuple[int, int] = (16, 64),
) -> list[TraceRequest]:
    if min(requests, block_tokens, roots, root_blocks) < 1 or max_unique_blocks < 0 or rate_rps <= 0:
        raise ValueError("trace generator: counts must be positive and the rate > 0")
    rng = random.Random(seed)
    root_ids = [tuple(range(r * root_blocks, (r + 1) * root_blocks)) for r in range(roots)]
    next_id = roots * root_blocks
    t_ms = 0.0
    out: list[TraceRequest] = []
    for i in range(requests):
        if i:
            t_ms += rng.expovariate(rate_rps) * 1000.0
        ids = list(root_ids[rng.randrange(roots)])
        extra = rng.randint(0, max_unique_blocks) + 1  # unique full blocks + the partial last one
        ids.extend(range(next_id, next_id + extra))
        next_id += extra
        length = (len(ids) - 1) * block_tokens + rng.randint(1, block_tokens)
        out.append(TraceRequest(float(round(t_ms)), length, rng.randint(*output_range), tuple(ids)))
    return out


def write_trace(path: Path, requests: list[TraceRequest]) -> None:
    path.write_text("".join(r.to_json() + "\n" for r in requests), encoding="utf-8")


@click.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--requests", default=24, show_default=True, help="Requests in the trace.")
@click.option("--seed", default=0, show_default=True, help="Seed of the generator.")
@click.option("--block-tokens", default=MOONCAKE_BLOCK_TOKENS, show_default=True, help="Tokens per hash id.")
@click.option("--rate", "rate_rps", default=4.0, show_default=True, help="Mean arrival rate (req/s).")
def main(out: Path, requests: int, seed: int, block_tokens: int, rate_rps: float) -> None:
    """Write a small synthetic Mooncake-format trace to OUT."""
    write_trace(
        out, generate_trace(requests=requests, seed=seed, block_tokens=block_tokens, rate_rps=rate_rps)
    )


if __name__ == "__main__":
    main()
