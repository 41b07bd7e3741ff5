"""`inferboard collect --backend auto` against vLLM's real server: what a user gets in the run file.

Shares the session's vLLM server (conftest.py). Small levels: the figures are not the point, the record is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from collector.cli import main
from tests.helpers.vllm_support import VllmServer, needs_vllm

pytestmark = [pytest.mark.vllm, pytest.mark.slow, needs_vllm]
IN_TOKENS, OUT_TOKENS, REQUESTS = 48, 12, 4


def collect(server: VllmServer, out: Path, api: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        main,
        [
            "collect", "--endpoint", server.base_url, "--backend", "auto", "--api", api,
            "--concurrency", "1,2", "--requests", str(REQUESTS), "--warmup", "1",
            "--input-tokens", str(IN_TOKENS), "--output-tokens", str(OUT_TOKENS),
            "--out", str(out), "--no-progress",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (run_file,) = out.glob("*.json")
    record: dict[str, Any] = json.loads(run_file.read_text())
    return record


def test_completions_run_is_exact_and_metrics_match_tokens(vllm_server: VllmServer, tmp_path: Path) -> None:
    record = collect(vllm_server, tmp_path, "completions")
    backend = record["backend"]
    assert (backend["name"], backend["version"]) == ("vllm", "0.32.0")
    assert backend["version_source"] == "GET /version"
    assert backend["reported"]["max_model_len"] == 2048
    assert record["workload"]["input_length_method"] == "tokenize_endpoint"
    assert record["workload"]["request_params"]["ignore_eos"] is True
    assert record["workload"]["request_params"]["min_tokens"] == "= max_tokens"  # per request
    for level in record["results"]:
        assert (level["completed"], level["failed"], level["length_mismatches"]) == (REQUESTS, 0, 0)
        assert level["usage_fallbacks"] == 0
        # Prompts sized with vLLM's own tokenizer are exactly as long as asked; outputs too (ignore_eos).
        observed = level["input_tokens_observed"]
        assert observed["min"] == observed["max"] == IN_TOKENS
        assert level["output_tokens_total"] == REQUESTS * OUT_TOKENS
        metrics = level["server_metrics"]
        assert metrics["error"] is None
        deltas = metrics["deltas"]
        # The server's counters moved by exactly the counted requests' tokens (warm-up not included).
        assert deltas["prompt_tokens"] == level["input_tokens_total"] == REQUESTS * IN_TOKENS
        assert deltas["generation_tokens"] == level["output_tokens_total"]
        assert deltas["prefix_cache_queries"] == level["input_tokens_total"]
        assert deltas["preemptions"] == 0
        # Gauges are sampled every 2 s: a short level may see only idle scrapes, never more than C.
        assert 0 <= metrics["peaks"]["running_requests"] <= level["concurrency"]
        assert 0 <= metrics["peaks"]["kv_cache_usage"] < 1
        assert level["ttft_ms"]["p50"] > 0 and level["tpot_ms"]["p50"] > 0


def test_chat_run_counts_template_tokens_and_stays_exact(vllm_server: VllmServer, tmp_path: Path) -> None:
    record = collect(vllm_server, tmp_path, "chat")
    assert record["workload"]["api"] == "chat"
    for level in record["results"]:
        assert (level["completed"], level["failed"], level["length_mismatches"]) == (REQUESTS, 0, 0)
        # The chat template wraps the prompt (system turn, role markers): the server counts more tokens.
        assert level["input_tokens_observed"]["min"] > IN_TOKENS
        deltas = level["server_metrics"]["deltas"]
        assert deltas["prompt_tokens"] == level["input_tokens_total"]
        assert deltas["generation_tokens"] == level["output_tokens_total"] == REQUESTS * OUT_TOKENS
