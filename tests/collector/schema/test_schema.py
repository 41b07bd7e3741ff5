"""The run schema contract: golden fixtures per version, upgrades of older files, refusal of newer ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from collector.schema import SCHEMA_VERSION, UPGRADERS, RunFileError, load_run, parse_run, upgrade

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def golden(version: int) -> list[Path]:
    return sorted((FIXTURES / f"v{version}").glob("*.json"))


def test_golden_fixtures_of_every_version_load() -> None:
    for version in range(1, SCHEMA_VERSION + 1):
        files = golden(version)
        assert files, f"no golden fixtures for schema v{version}"
        for f in files:
            record = load_run(f)
            assert record.schema_version == SCHEMA_VERSION


def _data() -> dict[str, Any]:
    return json.loads(golden(1)[0].read_text())


def test_newer_schema_version_is_refused_with_a_clear_message() -> None:
    data = _data()
    data["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(RunFileError) as exc:
        parse_run(data, "x.json")
    assert "newer than this inferboard understands" in str(exc.value) and "x.json" in str(exc.value)


def test_older_versions_are_upgraded(monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulate the day schema v2 exists: a v1 file goes through UPGRADERS[1].
    import sys

    up = sys.modules["collector.schema.upgrade"]  # the package re-exports a function of the same name
    monkeypatch.setattr(up, "SCHEMA_VERSION", 2)
    seen = []

    def one_to_two(d: dict[str, Any]) -> dict[str, Any]:
        seen.append(d["schema_version"])
        return d

    monkeypatch.setitem(UPGRADERS, 1, one_to_two)
    assert upgrade(_data())["schema_version"] == 2
    assert seen == [1]


def test_bad_field_is_named() -> None:
    data = _data()
    data["results"][0]["completed"] = -1
    with pytest.raises(RunFileError) as exc:
        parse_run(data, "run.json")
    assert exc.value.field == "results.0.completed"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"{not json", "invalid JSON"),
        (b"[1,2]", "expected a JSON object"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_unusable_files(tmp_path: Path, content: bytes, message: str) -> None:
    p = tmp_path / "r.json"
    p.write_bytes(content)
    with pytest.raises(RunFileError) as exc:
        load_run(p)
    assert message in str(exc.value) and str(p) in str(exc.value)


def test_every_field_has_a_description() -> None:
    from collector.schema import models

    missing = []
    for name in dir(models):
        cls = getattr(models, name)
        if isinstance(cls, type) and issubclass(cls, models.Strict) and cls is not models.Strict:
            missing += [f"{name}.{f}" for f, info in cls.model_fields.items() if not info.description]
    # Small structural models (SourceFile etc.) are documented too; nothing may be left bare.
    assert not missing, missing
