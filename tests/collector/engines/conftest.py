"""One real vLLM server (CPU build, real SmolLM2-135M weights) shared by the whole test session.

vLLM needs ~2.5 min to start on two busy cores, so every vLLM test shares one server, started on first
use and stopped at the end of the session (collector.launch.ManagedServer: process group, SIGTERM then
SIGKILL); INFERBOARD_VLLM_ENDPOINT=URL reuses a server already running instead. Needs `.venv-vllm`
(bash benchmarks/engines/setup_vllm.sh); the tests skip, saying so, without it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import smollm2
import vllm_env

from collector.server.launch import ManagedServer
from tests.helpers.vllm_support import VllmServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def smollm2_hf() -> Path:
    """SmolLM2-135M-Instruct as an HF bf16 directory (dequantized from the Q4_1 GGUF), cached in .ib-cache."""
    try:
        return smollm2.hf_dir()
    except smollm2.WeightsError as exc:
        pytest.skip(f"no SmolLM2 weights: {exc}")


@pytest.fixture(scope="session")
def vllm_server(smollm2_hf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VllmServer]:
    reuse = os.environ.get("INFERBOARD_VLLM_ENDPOINT")
    if reuse:  # a server started by hand with vllm_env.server_argv: saves minutes when iterating
        yield VllmServer(reuse.rstrip("/"), vllm_env.SERVED_NAME, [], smollm2_hf, Path(os.devnull))
        return
    port = _free_port()
    argv = vllm_env.server_argv(smollm2_hf, port)
    log_path = tmp_path_factory.mktemp("vllm") / "server.log"
    base_url = f"http://127.0.0.1:{port}"
    server = ManagedServer(
        argv, env=vllm_env.SERVER_ENV, log_path=log_path, ready_url=f"{base_url}/health", ready_timeout_s=900
    )
    with server:
        yield VllmServer(base_url, vllm_env.SERVED_NAME, argv, smollm2_hf, log_path)
