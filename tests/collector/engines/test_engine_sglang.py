"""`inferboard collect --launch ... --backend auto` against SGLang's REAL server (opt-in, marker `sglang`).

SGLang runs on this CPU host only with workarounds (benchmarks/engines/setup_sglang.sh: torch-native
attention, `sgl_kernel` stubbed), so the test is opt-in: it runs when INFERBOARD_SGLANG_PYTHON names a
virtualenv (or its python) holding sglang, and skips saying so otherwise. It checks the adapter (detection,
version, exact lengths, metric deltas) against the real server and scheduler, not SGLang's speed.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import sglang_env
import smollm2
from click.testing import CliRunner

from collector.cli import main

PYTHON = sglang_env.sglang_python()
pytestmark = [
    pytest.mark.sglang,
    pytest.mark.slow,
    pytest.mark.skipif(
        PYTHON is None,
        reason="INFERBOARD_SGLANG_PYTHON unset or missing: point it at a venv made by "
        "benchmarks/engines/setup_sglang.sh (SGLang's real server on CPU)",
    ),
]
IN_TOKENS, OUT_TOKENS, REQUESTS = 24, 6, 2


@pytest.mark.parametrize("api", ["completions", "chat"])
def test_managed_launch_detects_sglang_with_exact_lengths_and_metric_deltas(tmp_path: Path, api: str) -> None:
    assert PYTHON is not None
    try:
        model_dir = smollm2.hf_dir()
    except smollm2.WeightsError as exc:
        pytest.skip(f"no SmolLM2 weights: {exc}")
    port = sglang_env.free_port()
    env = [f"{k}={v}" for k, v in sglang_env.SERVER_ENV.items()]
    launch = shlex.join(["env", *env, *sglang_env.server_argv(PYTHON, model_dir, port)])
    result = CliRunner().invoke(
        main,
        [
            "collect", "--endpoint", f"http://127.0.0.1:{port}", "--launch", launch, "--backend", "auto",
            "--api", api, "--concurrency", "1,2", "--requests", str(REQUESTS), "--warmup", "1",
            "--input-tokens", str(IN_TOKENS), "--output-tokens", str(OUT_TOKENS),
            "--out", str(tmp_path), "--no-progress", "--no-quality",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (run_file,) = tmp_path.glob("*.json")
    record: dict[str, Any] = json.loads(run_file.read_text())
    backend = record["backend"]
    assert backend["name"] == "sglang"
    assert backend["version"] == sglang_env.sglang_version(PYTHON)
    assert backend["version_source"] == "GET /server_info"
    assert backend["reported"]["attention_backend"] == "torch_native"
    assert backend["reported"]["context_length"] == 2048
    assert record["workload"]["input_length_method"] == "tokenize_endpoint"
    assert record["workload"]["request_params"]["ignore_eos"] is True
    assert record["workload"]["request_params"]["min_tokens"] == "= max_tokens"
    for level in record["results"]:
        assert (level["completed"], level["failed"], level["length_mismatches"]) == (REQUESTS, 0, 0)
        assert level["usage_fallbacks"] == 0
        observed = level["input_tokens_observed"]
        if api == "completions":
            assert observed["min"] == observed["max"] == IN_TOKENS
        else:  # the chat template wraps the prompt (system turn, role markers): the server counts more
            assert observed["min"] > IN_TOKENS
        assert level["output_tokens_total"] == REQUESTS * OUT_TOKENS
        metrics = level["server_metrics"]
        assert metrics["error"] is None
        deltas = metrics["deltas"]
        # SGLang's counters moved by exactly the counted requests' tokens (warm-up not included).
        assert deltas["prompt_tokens"] == level["input_tokens_total"]
        assert deltas["generation_tokens"] == level["output_tokens_total"]
        if api == "chat":  # every request repeats the template's system turn: the radix cache serves it
            assert 0 < deltas["prefix_cache_hits"] < level["input_tokens_total"]
        assert 0 <= metrics["peaks"]["running_requests"] <= level["concurrency"]
        assert 0 <= metrics["peaks"]["kv_cache_usage"] < 1
