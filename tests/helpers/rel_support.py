"""Shared helpers of the reliability tests (docs/reliability.md lists them): run `inferboard collect` for
real (in-process through click, or as a subprocess for signal tests) and read back what it left on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from collector.cli.collect import collect
from collector.schema import RunRecord, load_run

# Small, fast workload defaults for the scripted server; tests override what they exercise.
FAST = ["--backend", "openai", "--input-tokens", "8", "--output-tokens", "8", "--warmup", "0"]


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    out: Path

    def run_files(self) -> list[Path]:
        return sorted(self.out.glob("*.json")) if self.out.is_dir() else []

    def record(self) -> RunRecord:
        files = self.run_files()
        assert len(files) == 1, f"expected one run file in {self.out}, found {files}"
        return load_run(files[0])

    def raw(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.run_files()[0].read_text())
        return data

    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]


def cli(args: list[str], out: Path, env: dict[str, str] | None = None) -> Outcome:
    """`inferboard collect ARGS --out OUT` in this process (click's runner): real client, real sockets."""
    result = CliRunner().invoke(collect, [*args, "--out", str(out)], env=env, catch_exceptions=False)
    return Outcome(result.exit_code, result.stdout, result.stderr, out)


def spawn(
    args: list[str], out: Path, stderr_path: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """`inferboard collect` as its own process (needed to send it real signals); progress lines go to a file
    the test can poll."""
    full_env = {**os.environ, **(env or {})}
    entry = "from collector.cli.main import main; main()"
    cmd = [sys.executable, "-c", entry, "collect", *args, "--out", str(out), "--progress"]
    with stderr_path.open("w") as err:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=full_env)


def wait_for_text(path: Path, text: str, timeout_s: float, proc: subprocess.Popen[str] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited ({proc.returncode}) before {text!r}: {path.read_text()}")
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not seen within {timeout_s} s in: {path.read_text()[-2000:]}")


def port_refuses(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) != 0
