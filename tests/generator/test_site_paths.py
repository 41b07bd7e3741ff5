"""The site lands where it was asked, with only its own runs (issue 23): relative paths from any current
folder, a relative --docs-dir, two builds at once into different sites. Real `inferboard build` processes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers.gen_factories import make_run, write_run

ENTRY = "from collector.cli import main; main()"
CHECKOUT = Path(__file__).resolve().parents[2]


def _build(cwd: Path, *args: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-c", ENTRY, "build", *args]
    return subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _runs(folder: Path, *ids: str) -> None:
    for run_id in ids:
        write_run(folder, make_run(run_id))


def _run_pages(site: Path) -> set[str]:
    return {p.parent.name if p.name == "index.html" else p.stem for p in (site / "runs").rglob("*.html")} - {
        "runs"
    }


def _leftovers() -> list[Path]:
    """Staging or generated folders a build could leave beside mkdocs.yml."""
    return [*CHECKOUT.glob(".*.building-*"), *CHECKOUT.glob("*.old-ib")]


def test_relative_paths_from_another_folder_and_a_relative_docs_dir(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    _runs(elsewhere / "runs", "aaaa11112222")
    before = _leftovers()
    proc = _build(elsewhere, "--runs", "runs", "--site", "site")
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert (elsewhere / "site" / "index.html").is_file()
    assert any("aaaa11112222" in name for name in _run_pages(elsewhere / "site"))
    assert _leftovers() == before and not list(elsewhere.glob(".site.building-*"))
    # A relative --docs-dir is taken from the current folder too, and holds the Markdown afterwards.
    proc = _build(elsewhere, "--runs", "runs", "--site", "site2", "--docs-dir", "md")
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert (elsewhere / "site2" / "index.html").is_file() and (elsewhere / "md" / "index.md").is_file()
    assert "Aborted" not in err


def test_two_builds_at_once_into_different_sites_keep_their_own_runs(tmp_path: Path) -> None:
    _runs(tmp_path / "runs-a", "aaaa00000001", "aaaa00000002")
    _runs(tmp_path / "runs-b", "bbbb00000001")
    procs = [_build(tmp_path, "--runs", f"runs-{x}", "--site", f"site-{x}") for x in "ab"]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    pages_a, pages_b = _run_pages(tmp_path / "site-a"), _run_pages(tmp_path / "site-b")
    assert pages_a and pages_b
    assert all("aaaa" in p for p in pages_a) and all("bbbb" in p for p in pages_b)


def test_sigterm_during_a_build_stops_it_like_ctrl_c(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    _runs(runs, *(f"term{i:08d}" for i in range(40)))
    proc = _build(tmp_path, "--runs", "runs", "--site", "site")
    try:
        deadline = time.monotonic() + 300
        while not any(tmp_path.glob(".site.building-*")):  # MkDocs is rendering into the staging folder
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert (
        err.strip()
        == f"error: interrupted by SIGTERM: the build stopped and {Path('site')} was left as it was"
    )
    assert not list(tmp_path.glob(".site.building-*")) and not (tmp_path / "site").exists()
