"""A detected backend says in the run file what decided it (the detection evidence is recorded, not
dropped); a backend named by the user adds no such note."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from collector.config.collect import CollectConfig
from collector.run.runner import collect
from collector.schema import load_run
from tests.helpers.scripted_server import Script, ScriptedServer


@pytest.mark.parametrize("backend", ["auto", "openai"])
def test_the_detection_evidence_is_a_note_of_the_run(tmp_path: Path, backend: str) -> None:
    with ScriptedServer(Script(ttft_ms=2.0, itl_ms=1.0)) as srv:
        config = CollectConfig.model_validate(
            {
                "endpoint": srv.url,
                "backend": backend,
                "out": tmp_path,
                "input_tokens": 8,
                "output_tokens": 4,
                "warmup": 0,
                "concurrency": [1],
                "requests": 2,
                "quality": False,
            }
        )
        result = asyncio.run(collect(config))
    record = load_run(result.path)  # type: ignore[arg-type]
    detected = [n for n in record.notes if n.startswith("Backend detected as ")]
    if backend == "auto":
        (note,) = detected
        evidence = note.removeprefix(f"Backend detected as {record.backend.name}: ")
        assert evidence != note and len(evidence) > 1
    else:
        assert detected == []
