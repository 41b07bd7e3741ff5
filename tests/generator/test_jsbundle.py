"""The page script's modules (generator/assets/js/) and the one bundle the build joins them into."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from generator.build.jsbundle import BUNDLE_NAME, JS_DIR, MODULES, bundle_text, module_marker, write_bundle

MAX_LINES = 300


def test_every_module_file_is_in_the_join_order_and_every_listed_one_exists() -> None:
    on_disk = sorted(p.name for p in JS_DIR.glob("*.js"))
    assert on_disk == sorted(MODULES)
    assert len(set(MODULES)) == len(MODULES)
    assert MODULES[0] == "core.js" and MODULES[-1] == "main.js"


@pytest.mark.parametrize("name", MODULES)
def test_no_module_is_over_300_lines(name: str) -> None:
    lines = (JS_DIR / name).read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name}: {lines} lines"


def test_the_bundle_holds_every_module_exactly_once_in_order() -> None:
    text = bundle_text()
    positions = []
    for name in MODULES:
        body = (JS_DIR / name).read_text(encoding="utf-8").rstrip("\n")
        assert text.count(module_marker(name)) == 1, name
        assert text.count(body) == 1, name
        marker_at = text.index(module_marker(name))
        assert text.index(body) > marker_at, name
        positions.append(marker_at)
    assert positions == sorted(positions)
    assert text.startswith("/* inferboard page script") and text.endswith("})();\n")


def test_the_banner_names_the_sources_in_join_order() -> None:
    banner = bundle_text().split("*/", 1)[0]
    named = re.findall(r"[a-z-]+\.js", banner.replace("inferboard.js", ""))
    assert named == list(MODULES)


def test_the_bundle_is_deterministic_and_written_where_the_pages_load_it(tmp_path: Path) -> None:
    path = write_bundle(tmp_path)
    assert path == tmp_path / BUNDLE_NAME
    assert path.read_text(encoding="utf-8") == bundle_text()


def test_no_two_modules_declare_the_same_top_level_name() -> None:
    # The modules share one closure: a second top-level `function x` or `var x` would silently replace
    # the first.
    seen: dict[str, str] = {}
    for name in MODULES:
        source = (JS_DIR / name).read_text(encoding="utf-8")
        for declared in re.findall(r"^(?:function|var) (\w+)", source, flags=re.MULTILINE):
            assert declared not in seen, f"{declared} in {name} and {seen[declared]}"
            seen[declared] = name


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_bundle_parses(tmp_path: Path) -> None:
    path = write_bundle(tmp_path)
    done = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
