"""`inferboard export --format llmd-br-0.2.1`: every committed run's reports validate against the vendored
llm-d JSON Schema (tests/fixtures/llmd, with its licence and source commit), and the CLI writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from collector.cli.main import main
from collector.schema import load_run
from collector.schema.llmd import level_report, run_reports, statistics
from collector.schema.models import Summary

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_FILE = ROOT / "tests" / "fixtures" / "llmd" / "br_v0_2_1_json_schema.json"
RUNS = sorted((ROOT / "runs").glob("*.json"))


def _validator() -> Any:
    schema = json.loads(SCHEMA_FILE.read_text())
    return jsonschema.Draft202012Validator(schema)


def _errors(report: dict[str, Any]) -> list[str]:
    # Through JSON text, as a reader of the written file sees it.
    doc = json.loads(json.dumps(report))
    return [f"{list(e.path)}: {e.message[:200]}" for e in _validator().iter_errors(doc)]


@pytest.mark.parametrize("path", RUNS, ids=[p.name[:40] for p in RUNS])
def test_every_committed_run_exports_valid_reports(path: Path) -> None:
    record = load_run(path)
    reports = run_reports(record)
    assert len(reports) == len(record.results)  # one report per level and trial
    for name, report in reports:
        assert _errors(report) == [], name


def test_units_and_figures_are_inferboards_own() -> None:
    record = load_run(RUNS[-1])
    level = record.results[0]
    report = level_report(record, 0)
    aggregate = report["results"]["request_performance"]["aggregate"]
    ttft = aggregate["latency"]["time_to_first_token"]
    assert ttft["units"] == "ms" and ttft["p50"] == level.ttft_ms.p50 and ttft["stddev"] == level.ttft_ms.std
    assert aggregate["latency"]["time_per_output_token"]["units"] == "ms/token"
    assert aggregate["throughput"]["output_token_rate"] == {
        "units": "tokens/s", "mean": level.output_throughput_tok_s,
    }  # fmt: skip
    assert aggregate["requests"]["total"] == level.completed + level.failed
    load = report["scenario"]["load"]["standardized"]
    assert load["concurrency"] == level.concurrency and load["stage"] == 0
    engine = report["scenario"]["stack"][0]
    assert engine["standardized"]["tool"] == record.backend.name
    assert engine["native"]["config"]["model"]["name"] == record.model.name


def test_statistics_without_a_mean_are_left_out() -> None:
    # The standard requires a mean; a summary that has none is not exported rather than invented.
    assert statistics(Summary(p50=3.0), "ms") is None
    assert statistics(Summary(mean=2.0, p99=5.0), "ms") == {"units": "ms", "mean": 2.0, "p99": 5.0}


def test_cli_writes_one_file_per_level(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["export", "--format", "llmd-br-0.2.1", str(RUNS[0]), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "out").glob("*.llmd-br-0.2.1.json"))
    assert len(files) == len(load_run(RUNS[0]).results)
    assert _errors(json.loads(files[0].read_text())) == []


def test_cli_bad_run_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    result = CliRunner().invoke(
        main, ["export", "--format", "llmd-br-0.2.1", str(bad), "--out", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "bad.json" in result.output and "Traceback" not in result.output


def test_rate_mode_gpu_energy_and_goodput_validate() -> None:
    from collector.schema import Energy, Goodput

    record = load_run(RUNS[-1])
    level = record.results[0].model_copy(
        update={
            "concurrency": None,
            "request_rate": 2.5,
            "goodput": Goodput(requests=5, fraction=5 / 6, rate_rps=0.2),
            "energy": Energy(method="nvml-energy-counter", joules=120.0, joules_per_output_token=0.5,
                             avg_power_w=300.0, avg_utilization_pct=87.5, samples=40, valid=True),
        }
    )  # fmt: skip
    workload = record.workload.model_copy(update={"mode": "rate", "max_concurrency": 16})
    record = record.model_copy(update={"results": [level], "workload": workload})
    report = level_report(record, 0)
    assert _errors(report) == []
    load = report["scenario"]["load"]["standardized"]
    assert load["rate_qps"] == 2.5 and load["concurrency"] == 16
    aggregate = report["results"]["observability"]["components"][0]["aggregate"]
    assert aggregate["power_consumption"] == {"units": "Watts", "mean": 300.0}
    extras = report["scenario"]["load"]["native"]["config"]["inferboard"]["level"]
    assert extras["goodput"]["requests"] == 5 and extras["energy"]["joules"] == 120.0
