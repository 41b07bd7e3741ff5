"""THE column registry: every per-level figure the site shows, defined once.

Each column names its key (the frame column and the JSON key), its header, its unit, which direction is
better, how a cell is formatted, the field of a schema `LevelResult` it reads, and the schema metric whose
definition explains it (`collector.schema.definition`). The leaderboard, the charts, the run page, the
configuration pages and the downloads all read these; `level_values` is the one place a level's figures are
taken from a record, so a figure cannot differ between two pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from collector.schema import LevelResult, RunRecord, Summary, definition


def stat(summary: Summary | None, name: str) -> float | None:
    """One statistic of a summary; schema v2 lets any be absent (an import keeps what its tool reported)."""
    value = None if summary is None else getattr(summary, name)
    return None if value is None else float(value)


def _valid_joules(level: LevelResult) -> float | None:
    # An energy reading the collector marked invalid (idle-dominated, sampler gaps) is no figure at all.
    energy = level.energy
    return energy.joules_per_output_token if energy is not None and energy.valid else None


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    unit: str
    higher_is_better: bool
    source: str  # the LevelResult field it reads, as a dotted path
    metric: str  # the schema metric definition that explains it
    read: Callable[[LevelResult], float | None]
    on_board: bool = True  # a leaderboard column (else: charts and downloads only)
    fmt: str = ".4g"

    def format(self, value: float | None) -> str:
        return "—" if value is None else format(value, self.fmt)

    @property
    def heading(self) -> str:
        """The header with its unit, unless the header already says it ('TTFT p50 ms', 'Output tok/s')."""
        return self.header if self.unit.lower() in self.header.lower() else f"{self.header} {self.unit}"

    def definition_text(self) -> str:
        item = definition(self.metric)
        return f"{item.name}: {item.definition} ({item.formula})"


def _summary(field: str, name: str) -> Callable[[LevelResult], float | None]:
    return lambda level: stat(getattr(level, field), name)


COLUMNS: tuple[Column, ...] = (
    Column(
        "out_tok_s",
        "Output tok/s",
        "tok/s",
        True,
        "output_throughput_tok_s",
        "output_throughput_tok_s",
        lambda level: level.output_throughput_tok_s,
    ),
    Column(
        "out_tok_s_gpu",
        "tok/s per GPU",
        "tok/s",
        True,
        "output_throughput_per_gpu_tok_s",
        "output_throughput_per_gpu_tok_s",
        lambda level: level.output_throughput_per_gpu_tok_s,
    ),
    Column(
        "user_tok_s",
        "Per-user tok/s (p50)",
        "tok/s",
        True,
        "per_user_tok_s.p50",
        "per_user_tok_s",
        _summary("per_user_tok_s", "p50"),
    ),
    Column("ttft_p50", "TTFT p50", "ms", False, "ttft_ms.p50", "ttft_ms", _summary("ttft_ms", "p50")),
    Column("ttft_p99", "TTFT p99", "ms", False, "ttft_ms.p99", "ttft_ms", _summary("ttft_ms", "p99")),
    Column("tpot_p50", "TPOT p50", "ms", False, "tpot_ms.p50", "tpot_ms", _summary("tpot_ms", "p50")),
    Column("e2e_p50", "E2E p50", "ms", False, "e2e_ms.p50", "e2e_ms", _summary("e2e_ms", "p50")),
    # The rest of the latency distribution: charts and downloads, not leaderboard columns.
    *(
        Column(f"e2e_{s}", f"E2E {s}", "ms", False, f"e2e_ms.{s}", "e2e_ms", _summary("e2e_ms", s), False)
        for s in ("p90", "p95", "p99", "min", "max")
    ),
    Column(
        "rps",
        "Req/s",
        "req/s",
        True,
        "request_throughput_rps",
        "request_throughput_rps",
        lambda level: level.request_throughput_rps,
    ),
    Column(
        "goodput_rps",
        "Goodput",
        "req/s",
        True,
        "goodput.rate_rps",
        "goodput",
        lambda level: level.goodput.rate_rps if level.goodput else None,
    ),
    Column(
        "j_per_tok",
        "J/token",
        "J",
        False,
        "energy.joules_per_output_token (valid only)",
        "joules_per_output_token",
        _valid_joules,
    ),
)
BY_KEY = {column.key: column for column in COLUMNS}
BOARD_COLUMNS = tuple(column for column in COLUMNS if column.on_board)

# Leaderboard columns: key -> (header, unit, higher_is_better), the shape the page scripts read.
LEVEL_METRICS: dict[str, tuple[str, str, bool]] = {
    c.key: (c.header, c.unit, c.higher_is_better) for c in BOARD_COLUMNS
}
# Column -> its header with unit, for tables that name the unit in the header (the run page).
HEADINGS = {c.key: c.heading for c in COLUMNS}
# The leaderboard's column sets, one per question a reader brings (the switch above the table; the column
# picker still shows or hides any column): the columns each shows first, and the sort it opens on. Keys are
# registry columns plus the board's own: "run" (the configuration), "level", "n" (trials x requests),
# "cost" ($/M tokens from the price box) and "capacity". "all" is every column.
COLUMN_SETS: dict[str, dict[str, Any]] = {
    "latency": {
        "label": "Latency",
        # capacity (when any run searched for it) is the load a latency SLO allows: a latency answer too
        "columns": [
            *("run", "level", "n", "ttft_p50", "ttft_p99", "tpot_p50", "e2e_p50", "user_tok_s"),
            "capacity",
        ],
        "sort": "ttft_p50",
    },
    "throughput": {
        "label": "Throughput",
        "columns": [
            "run",
            "level",
            "n",
            "out_tok_s",
            "out_tok_s_gpu",
            "user_tok_s",
            "rps",
            "goodput_rps",
            "capacity",
        ],
        "sort": "out_tok_s",
    },
    "cost": {
        "label": "Cost and energy",
        "columns": ["run", "level", "n", "out_tok_s_gpu", "cost", "j_per_tok", "tpot_p50"],
        "sort": "cost",
    },
    "all": {"label": "All columns", "columns": None, "sort": "out_tok_s"},
}
DEFAULT_COLUMN_SET = "latency"
# Leaderboard column -> its schema definition, shown on hover.
COLUMN_DEFINITIONS = {c.key: c.definition_text() for c in BOARD_COLUMNS}


def level_values(level: LevelResult) -> dict[str, Any]:
    """One trial's figures for every column, plus the counts and status every page shows beside them."""
    values: dict[str, Any] = {column.key: column.read(level) for column in COLUMNS}
    values.update(
        completed=level.completed,
        failed=level.failed,
        saturated=bool(level.client and level.client.saturated),
        status=level.status,
    )
    return values


# ---- per-run launch figures (issue 25): startup, memory footprint, deployment complexity ----------------


@dataclass(frozen=True)
class LaunchColumn:
    """A figure of one run's launch (not of a load level), from `RunRecord.launch`; None: not measured."""

    key: str
    header: str
    unit: str
    higher_is_better: bool
    source: str  # the RunRecord field it reads, as a dotted path
    metric: str  # the schema metric definition that explains it ("" when the field's description does)
    read: Callable[[RunRecord], float | None]
    fmt: str = ".3g"

    def format(self, value: float | None) -> str:
        return NOT_MEASURED if value is None else f"{format(value, self.fmt)} {self.unit}"

    @property
    def heading(self) -> str:
        return f"{self.header} ({self.unit})"


NOT_MEASURED = "not measured"


def _memory(field: str) -> Callable[[RunRecord], float | None]:
    def read(record: RunRecord) -> float | None:
        memory = record.launch.memory
        return None if memory is None else getattr(memory, field)

    return read


def _install_mib(record: RunRecord) -> float | None:
    install = record.launch.engine_install
    return None if install is None else install.size_mib


def _flags(record: RunRecord) -> float | None:
    flags = record.launch.launch_flags
    return None if flags is None else float(flags)


LAUNCH_COLUMNS: tuple[LaunchColumn, ...] = (
    LaunchColumn(
        "startup_s", "Startup", "s", False, "launch.startup_s", "startup_s", lambda r: r.launch.startup_s
    ),
    LaunchColumn(
        "first_token_s",
        "Startup to first token",
        "s",
        False,
        "launch.first_token_s",
        "first_token_s",
        lambda r: r.launch.first_token_s,
    ),
    LaunchColumn(
        "host_rss_mib",
        "Host RSS",
        "MiB",
        False,
        "launch.memory.host_rss_mib",
        "",
        _memory("host_rss_mib"),
        ".4g",
    ),
    LaunchColumn(
        "gpu_used_mib",
        "GPU memory",
        "MiB",
        False,
        "launch.memory.gpu_used_mib",
        "",
        _memory("gpu_used_mib"),
        ".4g",
    ),
    LaunchColumn(
        "engine_install_mib",
        "Engine install size",
        "MiB",
        False,
        "launch.engine_install.size_mib",
        "engine_install_mib",
        _install_mib,
        ".4g",
    ),
    LaunchColumn(
        "launch_flags", "Launch options", "options", False, "launch.launch_flags", "launch_flags", _flags, "g"
    ),
)
LAUNCH_BY_KEY = {column.key: column for column in LAUNCH_COLUMNS}
