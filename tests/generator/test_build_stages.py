"""The build's stage timers and the build benchmark's realistic replicas (issue 24)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

from collector.schema import parse_run
from generator.analysis.agreement import agreement_groups
from generator.build.stages import PROFILE_ENV, stage
from generator.data.load import load_runs

REPO = Path(__file__).resolve().parents[2]


def _replicas_module() -> Any:
    path = REPO / "benchmarks" / "build_replicas.py"
    spec = importlib.util.spec_from_file_location("build_replicas", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stage_prints_its_seconds_only_when_asked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(PROFILE_ENV, raising=False)
    with stage("quiet"):
        pass
    assert capsys.readouterr().err == ""
    monkeypatch.setenv(PROFILE_ENV, "1")
    with stage("load+validate"):
        pass
    assert re.fullmatch(r"inferboard-build-stage load\+validate \d+\.\d{3} \d+\n", capsys.readouterr().err)


def test_replicas_are_valid_labelled_realistic_and_share_one_models_weights(tmp_path: Path) -> None:
    replicas = _replicas_module()
    committed = sorted(p.name for p in (REPO / "runs").glob("*.json"))
    count = 4 * len(committed)
    replicas.make_replicas(tmp_path / "runs", count)
    assert sorted(p.name for p in (REPO / "runs").glob("*.json")) == committed  # runs/ untouched
    files = sorted((tmp_path / "runs").glob("*.json"))
    assert len(files) == count
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        parse_run(data, str(path))  # every replica, not only the ones the generator checks
        assert "benchmark-fixture" in data["labels"]
        assert sorted({r["concurrency"] for r in data["results"]}) == list(replicas.LEVELS)
    loaded = load_runs(tmp_path / "runs")
    assert not loaded.problems
    assert any(r.record.quality and r.record.quality.answers for r in loaded.runs)
    assert any(len({(x.concurrency, x.trial) for x in r.record.results}) > 8 for r in loaded.runs)
    biggest = max(agreement_groups(loaded.runs), key=lambda g: len(g.runs))
    assert len(biggest.runs) >= count // 8  # many runs of one model's weights in one group
    assert len({r.record.model.name for r in loaded.runs}) >= 10
