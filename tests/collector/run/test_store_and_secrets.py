"""Reliability: the output folder cannot take the run (fault 7), and secrets never reach an artifact.

Disk-full and read-only folders are real: a tiny tmpfs (filled up) and a read-only tmpfs, mounted for the
test (needs root with mount rights; skipped otherwise). An --out path under a regular file needs nothing.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.schema import load_run
from tests.helpers.netutil import free_port
from tests.helpers.rel_support import FAST, cli, spawn
from tests.helpers.scripted_server import Script, ScriptedServer

HELPERS = Path(__file__).resolve().parents[2] / "helpers"


def _assert_kept_in_fallback(result_stderr: str, out: Path, fallback: Path) -> None:
    [kept] = fallback.glob("*.json")
    [line] = [ln for ln in result_stderr.splitlines() if ln.startswith("error:")]
    assert f"cannot write run file into {out}" in line and f"saved to {kept} instead" in line
    record = load_run(kept)  # a complete, valid run
    assert record.results[0].completed == 4


def test_out_path_under_a_regular_file_keeps_results_in_the_fallback(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be\n")
    out, fallback = blocker / "runs", tmp_path / "fallback"
    with ScriptedServer(Script(ttft_ms=5.0, itl_ms=1.0)) as srv:
        args = [*FAST, "--endpoint", srv.url, "--concurrency", "1", "--requests", "4"]
        result = cli(args, out, env={"INFERBOARD_FALLBACK_DIR": str(fallback)})
    assert result.exit_code == 1
    assert "Not a directory" in result.stderr
    _assert_kept_in_fallback(result.stderr, out, fallback)
    assert blocker.read_text() == "a file where a folder should be\n"


@contextlib.contextmanager
def _tmpfs(where: Path, options: str) -> Iterator[Path]:
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(folder: Path) -> None:
    """Take every free byte of the file system, leaving the folder itself in place."""
    (folder / "runs").mkdir()
    with contextlib.suppress(OSError), (folder / "filler").open("wb") as f:
        while True:
            f.write(b"\0" * 4096)
            f.flush()
            os.fsync(f.fileno())


@pytest.mark.parametrize(("options", "reason"), [("size=64k", "No space left"), ("ro,size=64k", "Read-only")])
def test_full_or_read_only_disk_leaves_no_partial_file(tmp_path: Path, options: str, reason: str) -> None:
    fallback = tmp_path / "fallback"
    with _tmpfs(tmp_path / "disk", options) as disk:
        if "ro" not in options.split(","):
            _fill(disk)
        out = disk / "runs"
        with ScriptedServer(Script(ttft_ms=5.0, itl_ms=1.0)) as srv:
            args = [*FAST, "--endpoint", srv.url, "--concurrency", "1", "--requests", "4"]
            result = cli(args, out, env={"INFERBOARD_FALLBACK_DIR": str(fallback)})
        assert result.exit_code == 1
        assert reason in result.stderr
        left = sorted(p.name for p in disk.rglob("*") if p.name != "filler")
        assert left in ([], ["runs"]), left  # no run file and no temp file behind
    _assert_kept_in_fallback(result.stderr, out, fallback)


# --- Secrets ------------------------------------------------------------------------------------------

SECRETS = {
    "flag": "sk-flag-5ec7e7-ABCDEF123456",
    "OPENAI_API_KEY": "sk-env-5ec7e7-GHIJKL789012",
    "HF_TOKEN": "hf_5ec7e7MNOPQRstuvwx",
    "INFERBOARD_TEST_DB_PASSWORD": "pw-5ec7e7-hunter2-long",
    "launch": "launch-5ec7e7-secret-value",
}


def _artifacts(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_secrets_never_reach_run_files_logs_or_output(tmp_path: Path) -> None:
    env = {k: v for k, v in SECRETS.items() if k.isupper()}
    outputs: list[str] = []
    # 1. A managed launch: the key arrives via OPENAI_API_KEY, the launch line carries its own --api-key,
    # and the server prints its argv and whole environment into the log the collector keeps.
    port = free_port()
    launch = (
        f"{sys.executable} {HELPERS / 'rel_launchable.py'} --port {port} --echo --api-key {SECRETS['launch']}"
    )
    args = [*FAST, "--launch", launch, "--endpoint", f"http://127.0.0.1:{port}", "--ready-timeout", "30"]
    proc = spawn(
        [*args, "--concurrency", "1", "--requests", "3"], tmp_path / "runs", tmp_path / "err1.txt", env
    )
    outputs.append(proc.communicate(timeout=120)[0])
    assert proc.returncode == 0, (tmp_path / "err1.txt").read_text()
    # 2. An external server, the key given as a flag (so it is on the collector's own command line).
    with ScriptedServer(Script(ttft_ms=5.0, itl_ms=1.0)) as srv:
        args = [*FAST, "--endpoint", srv.url, "--api-key", SECRETS["flag"], "--concurrency", "1"]
        proc = spawn([*args, "--requests", "3"], tmp_path / "runs", tmp_path / "err2.txt", env)
        outputs.append(proc.communicate(timeout=120)[0])
    assert proc.returncode == 0, (tmp_path / "err2.txt").read_text()

    artifacts = _artifacts(tmp_path)
    names = sorted(p.name for p in artifacts)
    assert sum(n.endswith(".json") for n in names) == 2 and any(n.startswith("server-") for n in names)
    log = next(data for p, data in artifacts.items() if p.name.startswith("server-"))
    assert b"env HF_TOKEN=" in log and b"argv:" in log  # the server did print them: scrubbed, not missing
    for label, secret in SECRETS.items():
        for path, data in artifacts.items():
            assert secret.encode() not in data, f"{label} secret found in {path.name}"
        for text in outputs:
            assert secret not in text, f"{label} secret found on stdout"
