"""Bad and hostile run folders: skipped with one warning naming file and field, or (strict) a failed build."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.build.site import BuildError, build_site
from generator.cli import build
from generator.data.load import load_runs
from tests.helpers.gen_factories import HOSTILE, hostile_run, make_run, record_dict, write_run

# collector.schema re-exports a function named `upgrade`, which shadows the submodule as an attribute.
upgrade_module = importlib.import_module("collector.schema.upgrade")


def bad_folder(tmp_path: Path) -> Path:
    runs = tmp_path / "runs"
    write_run(runs, make_run("good00000001"))
    write_run(runs, make_run("good00000001", backend="sglang"), name="zz-duplicate.json")
    (runs / "invalid-json.json").write_text('{"run_id": "x",', encoding="utf-8")
    broken = record_dict(make_run("schema000001"))
    del broken["model"]["name"]
    (runs / "breaks-schema.json").write_text(json.dumps(broken), encoding="utf-8")
    newer = record_dict(make_run("newer0000001"))
    newer["schema_version"] = 99
    (runs / "newer.json").write_text(json.dumps(newer), encoding="utf-8")
    (runs / "empty.json").write_bytes(b"")
    with (runs / "huge.json").open("wb") as f:  # sparse: over the size limit without using the disk
        f.truncate(65 * 1024 * 1024)
    (runs / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (runs / "latin1.json").write_bytes('{"model": "caf\xe9"}'.encode("latin-1"))
    (runs / "array.json").write_text("[1, 2]", encoding="utf-8")
    (runs / "folder.json").mkdir()
    return runs


EXPECTED = {
    "zz-duplicate.json": "field 'run_id': duplicate run id",
    "invalid-json.json": "invalid JSON",
    "breaks-schema.json": "field 'model.name'",
    "newer.json": "field 'schema_version': schema_version 99 is newer",
    "empty.json": "file is empty",
    "huge.json": "over the",
    "deep.json": "nested too deeply",
    "latin1.json": "not UTF-8",
    "array.json": "expected a JSON object",
    "folder.json": "not a regular file",
}


def test_each_bad_file_is_one_problem_naming_file_and_field(tmp_path: Path) -> None:
    result = load_runs(bad_folder(tmp_path))
    assert [r.record.run_id for r in result.runs] == ["good00000001"]
    assert len(result.problems) == len(EXPECTED)
    for name, needle in EXPECTED.items():
        [line] = [p for p in result.problems if name in p]
        assert needle in line and "\n" not in line


@pytest.mark.slow
def test_non_strict_build_skips_bad_files_with_warnings(tmp_path: Path) -> None:
    runs = bad_folder(tmp_path)
    result = CliRunner().invoke(
        build,
        ["--runs", str(runs), "--site", str(tmp_path / "site"), "--docs-dir", str(tmp_path / "docs")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: skipped")]
    assert len(warnings) == len(EXPECTED)
    assert "1 run(s) from 11 file(s), 10 skipped" in result.stdout
    assert (tmp_path / "site" / "runs" / "good00000001" / "index.html").is_file()


@pytest.mark.slow
def test_strict_build_fails_listing_every_bad_file_and_keeps_the_old_site(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    write_run(runs, make_run("good00000001"))
    site = tmp_path / "site"
    build_site(runs, site, strict=True, docs_dir=tmp_path / "docs")
    before = (site / "index.html").read_bytes()
    runs = bad_folder(tmp_path / "second")
    result = CliRunner().invoke(
        build, ["--runs", str(runs), "--site", str(site), "--strict", "--docs-dir", str(tmp_path / "docs")]
    )
    assert result.exit_code == 1
    assert f"error: {len(EXPECTED)} bad run file(s):" in result.stderr
    for name in EXPECTED:
        assert name in result.stderr
    assert (site / "index.html").read_bytes() == before


def test_older_schema_versions_are_upgraded_on_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pretend the current schema is one version newer with an upgrader from today's; a file written at
    # today's version must come through it.
    current = upgrade_module.SCHEMA_VERSION
    calls: list[int] = []

    def upgrade_one(data: dict) -> dict:  # type: ignore[type-arg]
        calls.append(data["schema_version"])
        data["notes"] = [*data.get("notes", []), f"upgraded from v{current}"]
        return data

    monkeypatch.setattr(upgrade_module, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(upgrade_module.UPGRADERS, current, upgrade_one)
    write_run(tmp_path / "runs", make_run("old000000001"))
    [run] = load_runs(tmp_path / "runs").runs
    assert calls == [current]
    assert run.record.schema_version == current + 1 and f"upgraded from v{current}" in run.record.notes


@pytest.mark.slow
def test_hostile_strings_never_reach_html_as_markup(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    write_run(runs, hostile_run())
    evil = make_run("evil00000001", model="**bold** _it_ <b>b</b>")
    data = record_dict(evil)
    data["ci"] = {"provider": "gha", "run_url": HOSTILE["js_link"]}
    (runs / "evil.json").write_text(json.dumps(data), encoding="utf-8")
    report = build_site(runs, tmp_path / "site", docs_dir=tmp_path / "docs")
    assert report.problems == []
    for page in (tmp_path / "site").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script>window" not in html and "<img src=x" not in html, page
        assert "<b>b</b>" not in html and "<strong>bold</strong>" not in html, page
        assert 'href="javascript' not in html.lower(), page
        assert "49" not in html.split("7&#42;7")[0][-20:]  # jinja never evaluated {{ 7*7 }}
    run_page = (tmp_path / "site" / "runs" / "bad0bad0bad0" / "index.html").read_text(encoding="utf-8")
    assert "&#123;&#123; 7&#42;7 &#125;&#125;" in run_page


@pytest.mark.slow
def test_empty_runs_folder_builds_a_site_that_says_how_to_add_runs(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    report = build_site(tmp_path / "runs", tmp_path / "site", docs_dir=tmp_path / "docs")
    assert report.runs_loaded == 0
    assert [w for w in report.mkdocs_warnings if "guide/" not in w] == []
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "There are no runs yet" in home and "inferboard collect" in home
    for page in ("leaderboard", "charts", "compare", "runs", "methodology", "data"):
        assert (tmp_path / "site" / page / "index.html").is_file()


def test_missing_runs_folder_and_dangerous_site_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="runs folder not found"):
        build_site(tmp_path / "nope", tmp_path / "site")
    (tmp_path / "runs").mkdir()
    with pytest.raises(BuildError, match="refusing"):
        build_site(tmp_path / "runs", tmp_path, docs_dir=tmp_path / "docs")
    other = tmp_path / "not-ours"
    other.mkdir()
    (other / "precious.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(BuildError, match="not made by inferboard"):
        build_site(tmp_path / "runs", tmp_path / "site", docs_dir=other)
    assert (other / "precious.txt").read_text(encoding="utf-8") == "keep"
