"""`inferboard runs merge DIR... --into runs/`: strict, idempotent, refuses one run id held by two different
files (naming both), never overwrites a committed run, writes atomically and never replaces a file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from collector.cli.main import main
from collector.schema import load_run
from collector.store import atomic_create_bytes, run_filename

RUNS = Path(__file__).resolve().parents[3] / "runs"


def _run(run_id: str, note: str = "") -> dict[str, Any]:
    """A valid run record (a committed one, re-identified); `note` changes its content, not its id."""
    data: dict[str, Any] = json.loads(sorted(RUNS.glob("*.json"))[0].read_text())
    data["run_id"] = run_id
    data["notes"] = [note] if note else []
    return data


def _put(folder: Path, name: str, data: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def _merge(*args: str) -> Result:
    return CliRunner().invoke(main, ["runs", "merge", *args])


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_merge_copies_every_run_once_and_a_second_merge_changes_nothing(tmp_path: Path) -> None:
    a = _put(tmp_path / "runs-a+chat", "a.json", _run("aaaa000011112222"))
    b = _put(tmp_path / "runs-b+chat", "b.json", _run("bbbb000011112222"))
    into = tmp_path / "runs"
    first = _merge(str(a.parent), str(b.parent), "--into", str(into))
    assert first.exit_code == 0, first.output
    assert "2 copied, 0 already there, 0 refused" in first.output
    # Each run lands under the collector's own file name, byte for byte, and validates.
    names = {run_filename(load_run(p)): p.read_bytes() for p in (a, b)}
    assert _contents(into) == names
    before = _contents(into)
    again = _merge(str(a.parent), str(b.parent), str(into), "--into", str(into))
    assert again.exit_code == 0, again.output
    assert "0 copied, 4 already there, 0 refused" in again.output
    assert _contents(into) == before


def test_two_different_files_with_one_run_id_are_refused_naming_both(tmp_path: Path) -> None:
    x1 = _put(tmp_path / "one", "x.json", _run("cccc000011112222", "first"))
    x2 = _put(tmp_path / "two", "x.json", _run("cccc000011112222", "second"))
    same = _put(tmp_path / "three", "x-copy.json", _run("cccc000011112222", "first"))
    fine = _put(tmp_path / "two", "y.json", _run("dddd000011112222"))
    into = tmp_path / "runs"
    result = _merge(str(x1.parent), str(x2.parent), str(same.parent), "--into", str(into))
    assert result.exit_code == 1
    refused = [line for line in result.output.splitlines() if line.startswith("refused:")]
    assert len(refused) == 1
    assert str(x1) in refused[0] and str(x2) in refused[0] and "'cccc000011112222'" in refused[0]
    # Neither version of the disputed run is merged; the unrelated run still is.
    assert [load_run(p).run_id for p in into.iterdir()] == ["dddd000011112222"]
    assert fine.read_bytes() in _contents(into).values()


def test_a_committed_run_is_never_overwritten(tmp_path: Path) -> None:
    into = tmp_path / "runs"
    committed = _put(into, "committed.json", _run("eeee000011112222", "as committed"))
    changed = _put(tmp_path / "cell", "changed.json", _run("eeee000011112222", "edited"))
    # Another run whose file name is already taken by something else in runs/.
    other = _put(tmp_path / "cell", "other.json", _run("ffff000011112222"))
    taken = into / run_filename(load_run(other))
    taken.write_text("not this run\n")
    before = _contents(into)
    result = _merge(str(changed.parent), "--into", str(into))
    assert result.exit_code == 1
    assert f"refused: {changed}: run id 'eeee000011112222' is already in {committed}" in result.output
    assert f"refused: {other}: {taken} already exists" in result.output
    assert _contents(into) == before


def test_an_invalid_file_is_refused_naming_it_and_the_others_still_merge(tmp_path: Path) -> None:
    cell = tmp_path / "cell"
    good = _put(cell, "good.json", _run("abab000011112222"))
    broken = cell / "broken.json"
    broken.write_text('{"run_id": ')
    wrong = _put(cell, "wrong.json", {**_run("cdcd000011112222"), "results": "none"})
    into = tmp_path / "runs"
    result = _merge(str(cell), "--into", str(into))
    assert result.exit_code == 1
    refused = sorted(line for line in result.output.splitlines() if line.startswith("refused:"))
    assert len(refused) == 2
    assert str(broken) in refused[0] and "invalid JSON" in refused[0]
    assert str(wrong) in refused[1] and "results" in refused[1]
    assert list(_contents(into).values()) == [good.read_bytes()]
    assert "1 copied, 0 already there, 2 refused (3 run file(s) found)" in result.output


def test_nothing_to_merge_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = _merge(str(tmp_path / "empty"), str(tmp_path / "missing"), "--into", str(tmp_path / "runs"))
    assert result.exit_code == 1
    assert f"refused: {tmp_path / 'missing'}: no such file or folder" in result.output
    assert "error: no run files found" in result.output
    assert not (tmp_path / "runs").exists()


def test_atomic_create_never_replaces_a_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "run.json"
    atomic_create_bytes(target, b"first\n")
    with pytest.raises(FileExistsError):
        atomic_create_bytes(target, b"second\n")
    assert target.read_bytes() == b"first\n"
    assert os.listdir(tmp_path) == ["run.json"]


def test_atomic_create_without_hard_links_still_never_replaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*_: object) -> None:
        raise PermissionError(1, "hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "run.json"
    atomic_create_bytes(target, b"first\n")
    with pytest.raises(FileExistsError):
        atomic_create_bytes(target, b"second\n")
    assert target.read_bytes() == b"first\n"
    assert os.listdir(tmp_path) == ["run.json"]
