"""`inferboard upgrade`: rewrites run files to the current schema, repairs what older collectors wrote wrong
(a negative interval low bound), atomically and idempotently; display code no longer repairs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from collector.cli import main
from collector.schema import load_run, upgrade

ROOT = Path(__file__).resolve().parents[3]
OLD_RUN = sorted((ROOT / "runs").glob("*.json"))[0]


def _with_negative_low(data: dict[str, Any]) -> dict[str, Any]:
    level = data["results"][0]
    data["repeat_summaries"] = [
        {
            "concurrency": level["concurrency"],
            "request_rate": level["request_rate"],
            "trials": 2,
            "intervals": {
                # 2 noisy trials, 10 and 190: 100 +- 12.706 * 127.28 / sqrt(2) = 100 +- 1143.6
                "output_throughput_tok_s": {
                    "estimate": 100.0,
                    "low": -1043.6,
                    "high": 1243.6,
                    "method": "student-t",
                    "trials": 2,
                }
            },
        }
    ]
    return data


def test_upgrade_cuts_a_negative_low_bound_without_touching_its_input() -> None:
    data = _with_negative_low(json.loads(OLD_RUN.read_text()))
    before = copy.deepcopy(data["repeat_summaries"])
    out = upgrade(data, "x.json")
    ci = out["repeat_summaries"][0]["intervals"]["output_throughput_tok_s"]
    assert (ci["low"], ci["high"], ci["method"]) == (0.0, 1243.6, "student-t, low bound cut at 0")
    assert data["repeat_summaries"] == before  # the repair copies what it changes
    assert upgrade(out, "x.json") == out  # a repaired file needs no second repair


def test_the_command_rewrites_once_then_reports_current(tmp_path: Path) -> None:
    path = tmp_path / OLD_RUN.name
    path.write_text(json.dumps(_with_negative_low(json.loads(OLD_RUN.read_text()))))
    runner = CliRunner()
    first = runner.invoke(main, ["upgrade", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == f"upgraded: {path}"
    written = json.loads(path.read_text())
    assert written["schema_version"] == 2
    assert written["repeat_summaries"][0]["intervals"]["output_throughput_tok_s"]["low"] == 0.0
    assert load_run(path).run_id == written["run_id"]
    content = path.read_bytes()
    second = runner.invoke(main, ["upgrade", str(path)])
    assert second.exit_code == 0, second.output
    assert second.output.strip() == f"current: {path}"
    assert path.read_bytes() == content
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


def test_an_invalid_file_is_named_and_left_as_it_was(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 99}')
    result = CliRunner().invoke(main, ["upgrade", str(bad)])
    assert result.exit_code == 1
    assert f"invalid: {bad}: field 'schema_version'" in result.output
    assert bad.read_text() == '{"schema_version": 99}'


def test_no_files_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["upgrade", str(tmp_path)])
    assert result.exit_code == 1
    assert "no run files found" in result.output
