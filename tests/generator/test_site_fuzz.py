"""Property tests: arbitrary JSON never crashes the run loader, and any run the schema accepts renders."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.data.load import load_runs
from generator.data.tables import level_frame, run_frame
from generator.pages.common import SiteContext
from generator.pages.write import write_pages
from tests.helpers.gen_factories import make_run, record_dict

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
BASE = record_dict(make_run("fuzz00000001", levels=(1, 2)))
DELETE = object()


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value[:2]):
            out += _paths(child, (*prefix, i))
    return out


PATHS = _paths(BASE)


def _mutate(path: tuple[Any, ...], new: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(BASE))
    parent: Any = data
    for key in path[:-1]:
        parent = parent[key]
    if new is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return data


def _load_and_render(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        runs_dir = Path(tmp) / "runs"
        runs_dir.mkdir()
        (runs_dir / "fuzz.json").write_text(text, encoding="utf-8", errors="surrogatepass")
        result = load_runs(runs_dir)
        assert len(result.runs) + len(result.problems) == 1
        for problem in result.problems:
            assert "fuzz.json" in problem and "\n" not in problem
        ctx = SiteContext(
            runs=result.runs,
            runs_frame=run_frame(result.runs),
            levels=level_frame(result.runs),
            problems=result.problems,
            dir_urls=True,
            built_at=datetime.now(UTC),
        )
        write_pages(ctx, Path(tmp) / "docs")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
@pytest.mark.slow
def test_arbitrary_json_never_crashes_the_loader_or_pages(value: Any) -> None:
    _load_and_render(json.dumps(value))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), st.one_of(json_values, st.just(DELETE)))
@pytest.mark.slow
def test_any_mutation_of_a_valid_run_is_rejected_cleanly_or_renders(path: tuple[Any, ...], new: Any) -> None:
    _load_and_render(json.dumps(_mutate(path, new)))
