"""The prose of docs/benchmarks-peer-vllm.md that depends on the figures: whether a level agrees within 3%,
and where it does not, how far each tool's own trials spread (benchmarks/peer_vllm.py renders the page)."""

from __future__ import annotations

from typing import Any

AGREEMENT_PCT = 3.0  # the target: TTFT p50, TPOT p50 and output throughput within 3% of vLLM's client
AGREEMENT_KEYS = ("TTFT p50 (ms)", "TPOT p50 (ms)", "output throughput (tok/s)")


def agreement(by_name: dict[str, str]) -> str:
    """'within 3%' or which headline figures are not (from the difference column's text)."""
    outside = []
    for key in AGREEMENT_KEYS:
        text = by_name.get(key, "—")
        if text == "—" or abs(float(text.rstrip("%"))) > AGREEMENT_PCT:
            outside.append(f"{key.split(' (')[0]} {text}")
    return f"within {AGREEMENT_PCT:g}%" if not outside else "outside 3%: " + ", ".join(outside)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _spread_pct(values: list[float]) -> float:
    return (max(values) - min(values)) / (sum(values) / len(values)) * 100 if values else 0.0


def remainder(levels: dict[int, list[list[str]]], runs: list[dict[str, Any]]) -> list[str]:
    """Where a level misses the 3% target: how far each tool's own trials lie apart, and how far apart the
    two tools were in the back-to-back pair (the second trial of ABBA order: vLLM, then inferboard at once),
    from the runs' own figures; the gap is called explained only when a tool's own trials spread as wide."""
    lines: list[str] = []
    for concurrency, rows in levels.items():
        diffs = {row[0]: row[4] for row in rows}
        if agreement(diffs).startswith("within"):
            continue
        mine = [r for r in runs if r["concurrency"] == concurrency]
        parts, verdicts = [], []
        for key, label, row in (
            ("tpot_p50_ms", "TPOT p50", "TPOT p50 (ms)"),
            ("output_tok_s", "output throughput", "output throughput (tok/s)"),
        ):
            spreads = {
                tool: _spread_pct([float(r[key]) for r in mine if r["tool"] == tool])
                for tool in ("inferboard", "vllm")
            }
            pair = {r["tool"]: float(r[key]) for r in mine if r["trial"] == 1}
            gap = (pair["inferboard"] - pair["vllm"]) / pair["vllm"] * 100 if len(pair) == 2 else None
            parts.append(
                f"{label}: vllm bench serve's own trials lie {spreads['vllm']:.1f}% apart, inferboard's "
                f"{spreads['inferboard']:.1f}%"
                + (f"; in the back-to-back pair inferboard reads {gap:+.1f}%" if gap is not None else "")
            )
            text = diffs.get(row, "—")
            if text != "—" and abs(float(text.rstrip("%"))) > AGREEMENT_PCT:
                widest = max(spreads.values())
                verdicts.append(
                    f"the {label} gap ({text}) is within the {widest:.1f}% a tool's own trials spread"
                    if widest >= abs(float(text.rstrip("%")))
                    else f"the {label} gap ({text}) is wider than either tool's own trials spread: not "
                    "explained here"
                )
        lines += [
            f"**Concurrency {concurrency}, the remainder.** "
            + "; ".join(parts)
            + ". "
            + _sentence("; ".join(verdicts))
            + ". The third column (inferboard's math on vLLM's own "
            "per-request data) equals vLLM's figures, so both tools compute the same thing; what differs is "
            "what they measured, run after run, on a server whose speed drifts between runs.",
            "",
        ]
    return lines


EXPLANATIONS = """\
## Why the columns differ (by definition, not by error)

Both clients use the same definitions on the completions API (see the Methodology page, and vLLM 0.32.0's
vllm/benchmarks/serve.py and vllm/benchmarks/lib/endpoint_request_func.py):
TTFT to the first chunk with generated text (vLLM: first chunk carrying `choices`, which on this API is the
first token), TPOT = (E2E − TTFT)/(n − 1), ITL = every gap between consecutive chunks pooled over the
level, E2E to the last such chunk, population std, linear-interpolated percentiles. What remains:

- **Start of the clock.** vLLM starts `st = perf_counter()` in its request coroutine right before
  `session.post` (aiohttp builds and sends the request after it). inferboard's `t0` is taken when the
  prepared request bytes are handed to the connection. Differences of this kind shift TTFT and E2E by the
  same small amount and leave TPOT/ITL unchanged.
- **When a chunk "arrives".** vLLM takes its timestamp while iterating the decoded SSE messages of each
  `iter_any()` read, after aiohttp's buffering; inferboard stamps each socket read before parsing. On a busy
  2-core machine, where the server and both clients share cores, a client that is descheduled stamps late:
  this shows up in the tails (p90/p99) more than in the medians.
- **Measurement window.** vLLM's `duration` runs from the start of its benchmark loop to the end of the
  last request; inferboard's window runs from the first counted send to the last completion. Throughputs
  divide the same token count by these windows.
- **Not the same run.** The two columns are two separate runs one after the other; the server's speed on
  shared cores drifts between them. The third column ("inferboard math on vLLM's data") takes vLLM's
  own per-request arrays and summarises them with inferboard's code: where it equals the vLLM column,
  the two tools *compute* identically and any gap to the inferboard column is a measurement difference.
- **The request body.** Both clients now ask for greedy decoding (`temperature: 0`: inferboard's default
  `--sampling greedy`, and `--temperature 0` here) and `ignore_eos`; inferboard adds `min_tokens`, vLLM's
  client `repetition_penalty: 1.0` (a no-op). Before inferboard sent explicit sampling, it left SmolLM2's
  sampling generation config in force, which is not the same work per token.
- **Where each process runs.** The server is pinned to its own CPUs (with `VLLM_CPU_OMP_THREADS_BIND` set to
  them) and both clients to the others, one client at a time, as `inferboard collect` does for a server it
  launches itself (see the isolation line above). Without it, the server's OpenMP threads and the client
  took turns on the same cores and the client stamped chunks late.
- **A starved client.** inferboard checks its own event loop while it measures; the last table says
  where it found itself saturated (its timestamps then include its own scheduling delay: late chunk
  stamps inflate E2E and TPOT, and at concurrency 1 the gap before the next request lowers throughput).
  vLLM's client has no such check, so nothing says whether it was starved too.

Where the columns disagree beyond these, this page does not explain it: rerun on a quiet machine
(`benchmarks/peer_vllm.py --trials 4`) before drawing conclusions.
"""
