"""The column registry (generator/data/columns.py): each column once, and one path per figure."""

from __future__ import annotations

from pathlib import Path

from collector.schema import LevelResult, definition
from generator.analysis.configs import POOLED_METRICS
from generator.data.columns import (
    BOARD_COLUMNS,
    BY_KEY,
    COLUMN_DEFINITIONS,
    COLUMNS,
    LEVEL_METRICS,
    level_values,
)
from generator.data.load import LoadedRun
from generator.data.tables import level_rows
from generator.pages.runpage import level_table
from tests.helpers.gen_factories import level, make_run


def test_every_column_is_defined_once_with_a_schema_definition() -> None:
    keys = [c.key for c in COLUMNS]
    assert len(keys) == len(set(keys))
    for column in COLUMNS:
        assert definition(column.metric).definition  # a KeyError here: a column without a definition
    assert list(LEVEL_METRICS) == [c.key for c in BOARD_COLUMNS]
    assert set(COLUMN_DEFINITIONS) == set(LEVEL_METRICS)


def test_pooled_metrics_take_headers_and_directions_from_the_registry() -> None:
    for key in ("user_tok_s", "ttft_p50", "tpot_p50", "ttft_p99"):
        header, unit, higher, _ = POOLED_METRICS[key]
        assert (header, unit, higher) == (BY_KEY[key].header, BY_KEY[key].unit, BY_KEY[key].higher_is_better)


def test_format_is_the_columns_own() -> None:
    assert BY_KEY["out_tok_s"].format(1234.5678) == "1235"
    assert BY_KEY["out_tok_s"].format(None) == "—"


def _invalid_energy_level() -> LevelResult:
    lvl = level(4, 1.0, 1)
    assert lvl.energy is not None
    return lvl.model_copy(update={"energy": lvl.energy.model_copy(update={"valid": False})})


def test_an_invalid_energy_reading_has_no_joules_per_token() -> None:
    assert level_values(_invalid_energy_level())["j_per_tok"] is None
    assert level_values(level(4, 1.0, 1))["j_per_tok"] == 0.5


def test_the_run_page_and_the_leaderboard_drop_the_same_invalid_energy() -> None:
    record = make_run("aaaa00000001", levels=(1, 4), gpus=1)
    levels = [_invalid_energy_level() if lvl.concurrency == 4 else lvl for lvl in record.results]
    record = record.model_copy(update={"results": levels})
    loaded = LoadedRun(record=record, path=Path("aaaa00000001.json"), slug="aaaa00000001")
    board = {row["level"]: row["j_per_tok"] for row in level_rows(loaded)}
    page = {row["level"]: row["j_per_tok"] for row in level_table(record)}
    assert board["c=4"] is None and page["c=4"] == "—"
    assert board["c=1"] is not None and page["c=1"] != "—"


def test_headings_carry_the_unit_once() -> None:
    assert BY_KEY["ttft_p50"].heading == "TTFT p50 ms"
    assert BY_KEY["out_tok_s"].heading == "Output tok/s"
    assert BY_KEY["goodput_rps"].heading == "Goodput req/s"
