"""An imported run's page header says what the import knows and names what it does not once ('not recorded:
...'), instead of 'vllm unknown, 0× GPU, unknown, completions ?→?' (issue 19, item 8)."""

from __future__ import annotations

import re
from pathlib import Path

from collector.importers import ImportOptions, import_files
from generator.data.load import LoadedRun
from generator.pages.runpage import run_page
from generator.pages.runsummary import subtitle
from generator.render.templates import FragmentStore
from tests.helpers.gen_factories import make_run

IMPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


def _header(record_path: Path, kind: str, options: ImportOptions) -> str:
    record = import_files(kind, [record_path], options)
    fragments = FragmentStore()
    text = run_page(LoadedRun(record, Path("imported.json"), "imported"), None, True, fragments)
    html = fragments.expand(text)
    (line,) = re.findall(r'<p class="ib-subtitle">(.*?)</p>', html)
    return re.sub(r"<[^>]+>", "", line)


def test_summary_only_import_names_the_unknowns_once() -> None:
    line = _header(IMPORTS / "vllm" / "c2_summary_only.json", "vllm", ImportOptions(backend="vllm"))
    assert "unknown" not in line and "?" not in line and "0×" not in line
    assert line.startswith("smollm2-135m on vllm, completions")
    assert line.count("not recorded") == 1
    for missing in ("backend version", "hardware", "quantization", "input length", "output length"):
        assert missing in line


def test_import_with_stated_facts_shows_them_and_nothing_missing_for_them() -> None:
    options = ImportOptions(backend="vllm", backend_version="0.6.3", gpu="H100 80GB", gpu_count=1)
    line = _header(IMPORTS / "guidellm" / "benchmarks.json", "guidellm", options)
    assert "vllm 0.6.3" in line and "H100 80GB" in line and "completions 32→16" in line
    assert "not recorded: quantization" in line
    assert "backend version" not in line and "hardware" not in line


def test_a_fully_described_run_has_no_not_recorded_note() -> None:
    sub = subtitle(make_run())
    assert sub["missing"] == []
