"""The All runs index (generator/pages/runsindex.py) and Compare's level points (generator/pages/compare.py):
compact, every distinct text stored once, intervals and reasons carried."""

from __future__ import annotations

import math

from generator.pages.compare import POINT_COLS, level_points
from generator.pages.runsindex import LOOKUP_COLS, runs_index_payload


def _row(slug: str, model: str, backend: str) -> dict[str, object]:
    return {
        "slug": slug,
        "created": "2026-11-01 18:29 UTC",
        "model": model,
        "backend": backend,
        "backend_version": "0.6.3",
        "hardware": "1× H100",
        "quant": "FP8",
        "workload": "chat 256→128",
        "levels": 3,
        "badges": ["CPU"],
    }


def test_index_stores_each_distinct_text_once() -> None:
    rows = [_row(f"run{i}", "m-a" if i % 2 else "m-b", "vllm") for i in range(10)]
    payload = runs_index_payload(rows, dir_urls=True, per_page=100)
    assert payload["values"]["model"] == ["m-b", "m-a"]
    assert payload["values"]["backend"] == ["vllm 0.6.3"]
    cols = payload["cols"]
    first = dict(zip(cols, payload["rows"][0], strict=True))
    assert first["slug"] == "run0" and payload["values"]["model"][first["model"]] == "m-b"
    assert set(LOOKUP_COLS) <= set(cols) and payload["run_url"] == "runs/{slug}/"


def test_level_points_carry_intervals_and_reasons_in_load_order() -> None:
    series = {
        "load": [1, 4],
        "devices": [2, 2],
        "out_tok_s": [100.0, float("nan")],
        "ttft_p50": [20.0, 40.0],
        "tpot_p50": [5.0, 6.0],
        "user_tok_s": [50.0, 30.0],
        "out_tok_s_lo": [90.0, None],
        "out_tok_s_hi": [110.0, None],
        "unclean": ["", "client busy"],
    }
    first, second = level_points(series)  # type: ignore[arg-type]
    point = dict(zip([*POINT_COLS, "unclean"], first, strict=True))
    assert point["per_device"] == 50.0 and point["out_tok_s_lo"] == 90.0 and point["ttft_p50_lo"] is None
    assert point["unclean"] == ""
    assert second[1] is None and second[-1] == "client busy"  # a NaN figure travels as null
    assert not any(isinstance(v, float) and math.isnan(v) for v in second[:-1])
