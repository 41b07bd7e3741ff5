"""Hardening of `inferboard build` and `inferboard validate` (issue 15), through real CLI processes: a site
folder that is not ours, two builds into one site, Ctrl-C during a build, a full disk, links out of runs/,
invisible characters, deeply nested JSON, duplicate run ids."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.render.safe import clean_text, html_text
from tests.helpers.gen_factories import make_run, record_dict, standard_runs, write_run

ENTRY = "from collector.cli import main; main()"


def inferboard(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args], capture_output=True, text=True, timeout=600, cwd=cwd
    )


def spawn_build(runs: Path, site: Path, docs: Path, *extra: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-c", ENTRY, "build", "--runs", str(runs), "--site", str(site), *extra]
    return subprocess.Popen(
        [*cmd, "--docs-dir", str(docs)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(predicate: object, proc: subprocess.Popen[str], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        assert proc.poll() is None, f"process ended first: {proc.communicate()}"
        time.sleep(0.01)
    raise AssertionError("condition not reached")


def many_runs(folder: Path, count: int = 40) -> Path:
    for i in range(count):
        write_run(folder, make_run(f"run{i:09d}", backend=["vllm", "sglang", "llamacpp"][i % 3]))
    return folder


@pytest.mark.slow
def test_build_refuses_a_folder_it_did_not_build_and_replaces_its_own(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for record in standard_runs()[:2]:
        write_run(runs, record)
    precious = tmp_path / "docs"
    precious.mkdir()
    (precious / "guide.md").write_text("# my notes\n", encoding="utf-8")
    done = inferboard(
        "build", "--runs", str(runs), "--site", str(precious), "--docs-dir", str(tmp_path / "d")
    )
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "not built by inferboard" in done.stderr and "Traceback" not in done.stderr
    assert (precious / "guide.md").read_text(encoding="utf-8") == "# my notes\n"

    site = tmp_path / "site"
    site.mkdir()  # an empty folder is fine
    for _ in range(2):  # and so is a folder inferboard built (it carries the marker)
        done = inferboard(
            "build", "--runs", str(runs), "--site", str(site), "--docs-dir", str(tmp_path / "d")
        )
        assert done.returncode == 0, done.stderr
        assert (site / ".inferboard-site").is_file() and (site / "index.html").is_file()


@pytest.mark.slow
def test_concurrent_build_is_refused_and_ctrl_c_keeps_the_previous_site(tmp_path: Path) -> None:
    runs = many_runs(tmp_path / "runs")
    site = tmp_path / "site"
    first = inferboard("build", "--runs", str(runs), "--site", str(site), "--docs-dir", str(tmp_path / "d1"))
    assert first.returncode == 0, first.stderr
    before = (site / "index.html").read_bytes()

    # Without the cache the build makes a scratch one right after taking the site's lock: once it is there,
    # the build is stopped (SIGSTOP), so it is still under way, whatever the machine's speed, while a second
    # build is refused and Ctrl-C arrives; it goes on (SIGCONT) with SIGINT pending.
    proc = spawn_build(runs, site, tmp_path / "d2", "--no-cache")
    try:
        wait_for(lambda: any(tmp_path.glob(".site.scratch-cache-*")), proc)
        proc.send_signal(signal.SIGSTOP)
        second = inferboard(
            "build", "--runs", str(runs), "--site", str(site), "--docs-dir", str(tmp_path / "d3")
        )
        assert second.returncode == 1
        assert "another `inferboard build` is writing this site" in second.stderr
        assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGCONT)
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert err.strip().startswith("error: interrupted by SIGINT") and err.strip().count("\n") == 0, err
    assert (site / "index.html").read_bytes() == before
    assert not list(tmp_path.glob(".site.building-*")) and not list(tmp_path.glob(".site.scratch-cache-*"))


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.slow
def test_full_disk_during_build_is_one_line_and_keeps_the_previous_site(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for record in standard_runs()[:2]:
        write_run(runs, record)
    with tmpfs(tmp_path / "disk", "32m") as disk:
        site = disk / "site"
        first = inferboard(
            "build", "--runs", str(runs), "--site", str(site), "--docs-dir", str(tmp_path / "d")
        )
        assert first.returncode == 0, first.stderr
        before = (site / "index.html").read_bytes()
        with contextlib.suppress(OSError), (disk / "filler").open("wb") as f:
            while True:  # leave the disk full
                f.write(b"\0" * 65536)
                f.flush()
                os.fsync(f.fileno())
        again = inferboard(
            "build", "--runs", str(runs), "--site", str(site), "--docs-dir", str(tmp_path / "d")
        )
        assert again.returncode == 1
        assert "No space left on device" in again.stderr and again.stderr.count("\n") == 1, again.stderr
        assert (site / "index.html").read_bytes() == before
        assert not list(disk.glob(".site.building-*"))


@pytest.mark.slow
def test_links_out_of_the_runs_folder_are_skipped_with_a_warning(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    write_run(runs, make_run("inside000001"))
    secret = tmp_path / "elsewhere" / "private.json"
    write_run(secret.parent, make_run("outside00001"), name="private.json")
    (runs / "link.json").symlink_to(secret)
    (runs / "inner-link.json").symlink_to(
        runs / next(p.name for p in runs.glob("*.json") if p.name != "link.json")
    )
    site = tmp_path / "site"
    done = inferboard("build", "--runs", str(runs), "--site", str(site), "--docs-dir", str(tmp_path / "d"))
    assert done.returncode == 0, done.stderr
    assert "link.json: a symbolic link to outside the runs folder" in done.stderr
    assert not (site / "runs" / "outside00001").exists()
    assert (site / "runs" / "inside000001").is_dir()


def test_invisible_direction_and_zero_width_characters_are_neutralised() -> None:
    hostile = "llama\u202egnp.exe\u200b\u2066x\u2069\ufeff"
    for shown in (clean_text(hostile), html_text(hostile)):
        assert not any(ch in shown for ch in "\u202e\u200b\u2066\u2069\ufeff")
        assert shown.count("\ufffd") == 5


@pytest.mark.slow
def test_validate_reports_deep_nesting_and_duplicates_and_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    write_run(folder, make_run("dup000000001"), name="a.json")
    write_run(folder, make_run("dup000000001"), name="b.json")
    (folder / "c-deep.json").write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    deep_obj = record_dict(make_run("deep00000001"))
    deep_obj["notes"] = json.loads("[" * 900 + "]" * 900)
    (folder / "d-deep-field.json").write_text(json.dumps(deep_obj), encoding="utf-8")
    write_run(folder, make_run("good00000001"), name="e.json")
    done = inferboard("validate", str(folder))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "c-deep.json: JSON nested too deeply" in done.stderr
    assert "b.json: field 'run_id': duplicate run id 'dup000000001'" in done.stderr
    assert f"ok: {folder / 'e.json'}" in done.stdout  # it went on after the bad files


VLLM_SUMMARY = Path(__file__).parents[1] / "fixtures" / "imports" / "vllm" / "c2_summary_only.json"


@pytest.mark.slow
def test_import_of_impossible_or_deeply_nested_files_is_one_line(tmp_path: Path) -> None:
    negative = json.loads(VLLM_SUMMARY.read_text(encoding="utf-8"))
    negative["completed"] = -5
    (tmp_path / "negative.json").write_text(json.dumps(negative), encoding="utf-8")
    (tmp_path / "deep.json").write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    for name, expected in (("negative.json", "completed"), ("deep.json", "nested too deeply")):
        done = inferboard("import", "vllm", str(tmp_path / name), "--out", str(tmp_path / "runs"))
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert name in done.stderr and expected in done.stderr
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


@pytest.mark.slow
def test_validate_refuses_non_finite_and_impossible_values(tmp_path: Path) -> None:
    base = record_dict(make_run("neg000000001"))
    level = base["results"][0]
    cases = {
        "nan.json": ("output_throughput_tok_s", "NaN"),
        "neg-throughput.json": ("output_throughput_tok_s", -1.0),
        "neg-count.json": ("output_tokens_total", -3),
    }
    for name, (field, value) in cases.items():
        data = json.loads(json.dumps(base))
        data["results"][0][field] = value
        (tmp_path / name).write_text(json.dumps(data).replace('"NaN"', "NaN"), encoding="utf-8")
    if level.get("requests"):
        data = json.loads(json.dumps(base))
        data["results"][0]["requests"][0]["ttft_ms"] = -4.0
        (tmp_path / "neg-latency.json").write_text(json.dumps(data), encoding="utf-8")
    done = inferboard("validate", str(tmp_path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    invalid = [line for line in done.stderr.splitlines() if line.startswith("invalid:")]
    assert len(invalid) == len(list(tmp_path.glob("*.json"))), done.stderr
