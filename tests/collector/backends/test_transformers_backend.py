"""A second real engine: Hugging Face `transformers serve` (PyTorch, CPU) with a tiny random-weight model,
launched and measured by `inferboard collect --launch ... --backend transformers`.

Needs the `engine2` extra (torch CPU build + transformers[serving]); skipped with the reason otherwise.
"""

from __future__ import annotations

import importlib.util
import json
import shlex
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from collector.backends import get_adapter
from collector.cli.main import main
from tests.helpers.netutil import free_port

MISSING = [m for m in ("torch", "transformers", "fastapi", "uvicorn") if importlib.util.find_spec(m) is None]
SERVE = Path(sys.executable).parent / "transformers"
needs_engine2 = pytest.mark.skipif(
    bool(MISSING) or not SERVE.exists(),
    reason=f"transformers serve not installed ({', '.join(MISSING) or SERVE}); pip install -e .[engine2]",
)
BUILDER = Path(__file__).resolve().parents[2] / "helpers" / "engine2_build_model.py"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hf-tiny") / "tiny-llama"
    subprocess.run([sys.executable, str(BUILDER), str(out)], check=True, capture_output=True, timeout=300)
    return out


@pytest.mark.engine
@pytest.mark.slow
@needs_engine2
def test_transformers_serve_is_launched_measured_and_stopped(tiny_model: Path, tmp_path: Path) -> None:
    port = free_port()
    launch = shlex.join([str(SERVE), "serve", str(tiny_model), "--host", "127.0.0.1", "--port", str(port)])
    launch += " --device cpu"
    cache = tmp_path / "hf-cache"
    cache.mkdir()  # /v1/models scans the Hugging Face cache and fails without one
    out = tmp_path / "runs"
    result = CliRunner(env={"HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}).invoke(
        main,
        [
            "collect", "--launch", launch, "--endpoint", f"http://127.0.0.1:{port}",
            "--backend", "transformers", "--model", str(tiny_model), "--random-weights",
            "--concurrency", "1,2", "--requests", "3", "--warmup", "1",
            "--input-tokens", "16", "--output-tokens", "8", "--ready-timeout", "240",
            "--out", str(out), "--no-progress",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (run_file,) = out.glob("*.json")
    record: dict[str, Any] = json.loads(run_file.read_text())
    assert record["backend"]["name"] == "transformers"
    assert record["backend"]["version"] is None  # the server does not say; never guessed
    assert record["launch"]["mode"] == "managed" and record["launch"]["startup_s"] > 0
    assert record["launch"]["memory"]["host_rss_mib"] > 50
    assert record["launch"]["env"]["HF_HUB_OFFLINE"] == "1"
    assert record["model"]["weights"] == "random"
    assert "ignore_eos" not in record["workload"]["request_params"]  # the server would answer 422
    for level in record["results"]:
        assert level["completed"] == 3 and level["failed"] == 0
        assert level["usage_fallbacks"] == 0  # the final chunk carries usage
        assert level["output_tokens_total"] > 0 and level["ttft_ms"]["p50"] > 0
    # Stopped: nothing answers on the port any more.
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_adapter_facts() -> None:
    adapter = get_adapter("hf-transformers")
    assert adapter.name == "transformers" and adapter.readiness_paths == ("/health",)
    assert adapter.request_extras(ignore_eos=True, output_tokens=8) == {}
    assert adapter.launch_command(model="m") == "transformers serve m --host 127.0.0.1 --port 8000"
