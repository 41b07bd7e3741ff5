"""The backend a managed-launch command starts, read from the command (for readiness with --backend auto)."""

from __future__ import annotations

import pytest

from collector.backends.launchline import backend_from_launch
from collector.config.collect import CollectConfig
from collector.server.server import launch_ready_url


@pytest.mark.parametrize(
    ("launch", "backend"),
    [
        (".venv-vllm/bin/python -m vllm.entrypoints.openai.api_server --model M --port 8000", "vllm"),
        ("vllm serve meta-llama/Llama-3.1-8B-Instruct --port 8000", "vllm"),
        ("env VLLM_CPU_KVCACHE_SPACE=2 taskset -c 0,1 python3 -m vllm.entrypoints.cli.main serve M", "vllm"),
        ("python -m sglang.launch_server --model-path M --port 30000", "sglang"),
        (["/opt/llama/bin/llama-server", "-m", "m.gguf", "--port", "8080"], "llama.cpp"),
        ("python -m collector.server.engine --shape tiny --port 18131", "llama.cpp"),
        ("transformers serve M --port 8000", "transformers"),
        ("lmdeploy serve api_server M", "lmdeploy"),
        ("text-generation-launcher --model-id M", "tgi"),
        ("./my-server --model vllm", None),  # 'vllm' as a value is not the vllm program
        ("python -m http.server 8000", None),
        ("", None),
    ],
)
def test_backend_from_launch(launch: str | list[str], backend: str | None) -> None:
    assert backend_from_launch(launch) == backend


def test_auto_backend_polls_the_launched_servers_health_path() -> None:
    def ready_url(launch: str) -> str:
        config = CollectConfig(endpoint="http://127.0.0.1:8000", launch=launch, backend="auto")
        return launch_ready_url(config)

    assert (
        ready_url("python -m vllm.entrypoints.openai.api_server --model M") == "http://127.0.0.1:8000/health"
    )
    assert ready_url("python -m http.server 8000") == "http://127.0.0.1:8000/v1/models"
