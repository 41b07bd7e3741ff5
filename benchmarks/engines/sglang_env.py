"""How the opt-in SGLang test starts SGLang's real server on a CPU host, and how its fixtures were recorded.

SGLang lives in its own virtualenv (benchmarks/engines/setup_sglang.sh, default /work/venvs/sglang) because
it runs here only with workarounds: torch-native attention and a stubbed `sgl_kernel` (the CPU build of that
package is not on any index). That is enough to check inferboard's adapter against SGLang's real HTTP
server and scheduler; it says nothing about SGLang's CPU performance.

    INFERBOARD_SGLANG_PYTHON=/work/venvs/sglang/bin/python \\
        .venv/bin/python benchmarks/engines/sglang_env.py record tests/fixtures/backends

launches the server on the SmolLM2 HF directory, records its answers to the endpoints the adapter reads
(tests/fixtures/backends/README.md lists them) and stops it.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import smollm2  # noqa: E402

from collector.server.launch import ManagedServer  # noqa: E402

DEFAULT_PYTHON = Path("/work/venvs/sglang/bin/python")
SERVED_NAME = "smollm2-135m"
# SGLANG_USE_CPU_ENGINE selects the CPU model runner; HF_HUB_OFFLINE keeps it off the network.
SERVER_ENV = {"SGLANG_USE_CPU_ENGINE": "1", "HF_HUB_OFFLINE": "1"}
PROMPT = "The capital of France is"
OUT_TOKENS = 12


def sglang_python() -> Path | None:
    """The Python of a virtualenv with sglang: $INFERBOARD_SGLANG_PYTHON (a python or a venv directory)."""
    value = os.environ.get("INFERBOARD_SGLANG_PYTHON", "").strip()
    if not value:
        return None
    path = Path(value)
    if path.is_dir():
        path = path / "bin" / "python"
    return path if path.exists() else None


def sglang_version(python: Path) -> str:
    """The installed sglang distribution's version, asked of that virtualenv's Python."""
    code = "import importlib.metadata as m; print(m.version('sglang'))"
    done = subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def server_argv(python: Path, model_dir: Path | str, port: int) -> list[str]:
    """The launch line: torch-native attention (the default intel_amx backend calls the stubbed kernels)."""
    return [
        str(python), "-m", "sglang.launch_server", "--model-path", str(model_dir),
        "--device", "cpu", "--attention-backend", "torch_native",
        "--host", "127.0.0.1", "--port", str(port), "--served-model-name", SERVED_NAME,
        "--context-length", "2048", "--max-total-tokens", "8192", "--enable-metrics",
    ]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stream(client: httpx.Client) -> list[Any]:
    """A streamed completion with ignore_eos and min_tokens; every SSE data line, decoded."""
    body = {
        "model": SERVED_NAME, "prompt": PROMPT, "max_tokens": OUT_TOKENS, "min_tokens": OUT_TOKENS,
        "ignore_eos": True, "temperature": 0, "stream": True, "stream_options": {"include_usage": True},
    }  # fmt: skip
    events: list[Any] = []
    with client.stream("POST", "/v1/completions", json=body, timeout=300) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                events.append(json.loads(line.removeprefix("data: ")))
    return events


def record(out: Path, python: Path) -> None:
    """Launch the server, write the fixture files into `out`, stop the server."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = out / "sglang_server.log.tmp"
    with (
        ManagedServer(
            server_argv(python, smollm2.hf_dir(), port),
            env=SERVER_ENV,
            log_path=log,
            ready_url=f"{base}/health",
            ready_timeout_s=900,
        ),
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        tokenize = {"model": SERVED_NAME, "prompt": PROMPT, "add_special_tokens": False}
        answers: dict[str, Any] = {
            "sglang_server_info.json": client.get("/server_info").json(),
            "sglang_model_info.json": client.get("/get_model_info").json(),
            "sglang_models.json": client.get("/v1/models").json(),
            "sglang_tokenize.json": client.post("/tokenize", json=tokenize).json(),
            "sglang_v1_tokenize.json": client.post("/v1/tokenize", json=tokenize).json(),
            "sglang_stream.json": _stream(client),
        }
        statuses = {p: client.get(p).status_code for p in ("/version", "/get_server_info", "/health")}
        answers["sglang_statuses.json"] = statuses
        metrics = client.get("/metrics").text
    for name, body in answers.items():
        (out / name).write_text(json.dumps(body, indent=1, sort_keys=True) + "\n")
    (out / "sglang_metrics.txt").write_text(metrics)
    log.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("what", choices=["record"], help="record the fixture files")
    parser.add_argument("out", type=Path, help="folder for the fixture files")
    args = parser.parse_args(argv)
    python = sglang_python() or DEFAULT_PYTHON
    if not python.exists():
        print(f"error: no sglang Python at {python}: run benchmarks/engines/setup_sglang.sh", file=sys.stderr)
        return 1
    record(args.out, python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
