"""Managed launch against real child processes: a toy HTTP server script and the embedded llama.cpp engine."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest

from collector.schema import Launch
from collector.secrets.redact import REDACTED
from collector.server.launch import LaunchError, ManagedServer, process_tree, to_launch_record, tree_rss_mib
from tests.helpers.netutil import free_port

TOY = str(Path(__file__).resolve().parents[2] / "helpers" / "prov_toy_server.py")
API_KEY = "sk-launchtest-4b8e1f0a9c2d7e6b"
HF_TOKEN = "hf_LaunchTestTokenAbCdEfGhIjKlMnOp"


def port_is_free(port: int) -> bool:
    """Nothing listens and a new server could bind (SO_REUSEADDR, as servers do: TIME_WAIT is fine)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def toy(port: int, *extra: str) -> list[str]:
    return [sys.executable, TOY, "--port", str(port), *extra]


def wait_gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_ready_startup_memory_redaction_and_clean_shutdown(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    argv = toy(port, "--ready-after", "0.5", "--echo-secrets", "--allocate-mib", "64", "--api-key", API_KEY)
    server = ManagedServer(
        argv,
        env={"HF_TOKEN": HF_TOKEN, "CUDA_VISIBLE_DEVICES": "0"},
        log_path=log,
        ready_url=f"http://127.0.0.1:{port}/health",
        ready_timeout_s=60,
        grace_s=5,
    )
    with server:
        pid = server.pid
        assert pid is not None and pid_alive(pid)
        assert server.startup_s is not None and server.startup_s >= 0.5
        assert server.host_rss_mib is not None and server.host_rss_mib >= 64
        record = to_launch_record(server, engine_settings={"note": "toy"})
    assert not pid_alive(pid)
    assert port_is_free(port)
    assert server.returncode is not None
    assert server.stop() == server.returncode  # idempotent

    Launch.model_validate(record.model_dump())
    assert record.mode == "managed" and record.startup_s == server.startup_s
    assert record.memory is not None and record.memory.host_rss_mib == server.host_rss_mib
    assert record.memory.gpu_used_mib is None  # no NVML here
    assert record.log_file == "server.log"
    assert record.argv is not None and "--api-key" in record.argv and REDACTED in record.argv
    assert record.env["HF_TOKEN"] == REDACTED and record.env["CUDA_VISIBLE_DEVICES"] == "0"
    assert "PATH" not in record.env

    text = log.read_text()
    assert "toy server ready" in text and "api_key=" in text
    for secret in (API_KEY, HF_TOKEN):
        assert secret not in text
        assert secret not in record.model_dump_json()


def test_early_exit_is_reported_with_the_log_tail(tmp_path: Path) -> None:
    port = free_port()
    argv = toy(port, "--exit-after", "0.2", "--exit-code", "3", "--echo-secrets", "--api-key", API_KEY)
    server = ManagedServer(
        argv, None, tmp_path / "s.log", f"http://127.0.0.1:{port}/health", ready_timeout_s=60
    )
    with pytest.raises(LaunchError) as caught, server:
        pytest.fail("must not get here")
    message = str(caught.value)
    first_line = message.splitlines()[0]
    assert "exited with status 3" in first_line and "before it became ready" in first_line
    assert "CUDA out of memory (toy)" in message
    assert "loading shard 29" in message and "loading shard 5" not in message  # only the last lines
    assert API_KEY not in message
    assert server.returncode == 3


@pytest.mark.slow
def test_never_ready_times_out_and_the_child_is_stopped(tmp_path: Path) -> None:
    port = free_port()
    server = ManagedServer(
        toy(port, "--never-ready"),
        None,
        tmp_path / "s.log",
        f"http://127.0.0.1:{port}/health",
        ready_timeout_s=1.5,
    )
    with pytest.raises(LaunchError, match=r"did not become ready .* within 1.5 s") as caught:
        server.start()
    assert "toy server ready" in str(caught.value)  # the tail shows what the server said
    assert server.pid is not None and wait_gone(server.pid)
    assert port_is_free(port)


def test_sigterm_ignored_means_sigkill_after_grace_with_the_whole_group(tmp_path: Path) -> None:
    port = free_port()
    server = ManagedServer(
        toy(port, "--ignore-sigterm", "--spawn-child"),
        None,
        tmp_path / "s.log",
        f"http://127.0.0.1:{port}/health",
        ready_timeout_s=60,
        grace_s=0.5,
    )
    server.start()
    assert server.pid is not None
    tree = process_tree(server.pid)
    assert len(tree) == 2  # the server and its grandchild
    began = time.monotonic()
    assert server.stop() == -9  # SIGKILL
    assert time.monotonic() - began < 30
    for pid in tree:
        assert wait_gone(pid), pid
    assert port_is_free(port)


def test_keyboard_interrupt_inside_the_block_stops_the_server(tmp_path: Path) -> None:
    port = free_port()
    server = ManagedServer(toy(port), None, tmp_path / "s.log", f"http://127.0.0.1:{port}/health")
    with pytest.raises(KeyboardInterrupt), server:
        raise KeyboardInterrupt
    assert server.pid is not None and wait_gone(server.pid)


def test_string_argv_is_split_without_a_shell(tmp_path: Path) -> None:
    port = free_port()
    line = f"'{sys.executable}' '{TOY}' --port {port}"
    with ManagedServer(line, None, tmp_path / "s.log", f"http://127.0.0.1:{port}/health") as server:
        assert server.argv == [sys.executable, TOY, "--port", str(port)]


def test_something_already_listening_is_refused_before_spawning(tmp_path: Path) -> None:
    port = free_port()
    with ManagedServer(toy(port), None, tmp_path / "a.log", f"http://127.0.0.1:{port}/health"):
        second = ManagedServer(toy(port), None, tmp_path / "b.log", f"http://127.0.0.1:{port}/health")
        with pytest.raises(LaunchError, match="already answers"):
            second.start()
        assert second.pid is None and not (tmp_path / "b.log").exists()


def test_missing_executable_and_empty_command(tmp_path: Path) -> None:
    port = free_port()
    server = ManagedServer(
        ["definitely-not-a-server-binary", "--token", "abc123secret"], None, tmp_path / "s.log",
        f"http://127.0.0.1:{port}/health",
    )  # fmt: skip
    with pytest.raises(LaunchError, match="cannot start 'definitely-not-a-server-binary'") as caught:
        server.start()
    assert "abc123secret" not in str(caught.value)
    with pytest.raises(LaunchError, match="empty launch command"):
        ManagedServer("  ", None, tmp_path / "s.log", "http://127.0.0.1:1/health")


def test_tree_rss_of_this_process() -> None:
    rss = tree_rss_mib(os.getpid())
    assert rss is not None and rss > 10
    assert process_tree(2**22 + 12345) == [] and tree_rss_mib(2**22 + 12345) is None


@pytest.mark.engine
@pytest.mark.slow
def test_managed_embedded_engine_subprocess(tmp_path: Path) -> None:
    from collector.server.ggufgen import generate_gguf

    model = tmp_path / "tiny.gguf"
    generate_gguf(model, shape="tiny", dtype="f32")
    port = free_port()
    argv = [sys.executable, "-m", "collector.server.engine", "--gguf", str(model), "--port", str(port),
            "--n-parallel", "2", "--ctx", "1024"]  # fmt: skip
    log = tmp_path / "engine.log"
    with ManagedServer(argv, None, log, f"http://127.0.0.1:{port}/health", ready_timeout_s=120) as server:
        assert server.startup_s is not None and server.startup_s > 0
        assert server.host_rss_mib is not None and server.host_rss_mib > 0
        pid = server.pid
        record = to_launch_record(server)
    assert pid is not None and wait_gone(pid)
    assert port_is_free(port)
    assert server.returncode == 0  # the engine exits cleanly on SIGTERM
    assert record.argv == argv and record.startup_s == server.startup_s
    assert f"http://127.0.0.1:{port}" in log.read_text()  # the engine printed its base URL
