"""Secrets in names and fragments (issue 23): scrubbed before anything cuts them, their cut-short starts
scrubbed too, never in a run file's name, an error of `models fetch` or a suite's `--dry-run`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.cli import models as models_cli
from collector.cli.main import main
from collector.load.sse import summarize_bytes
from collector.models.cache import ModelSourceError
from collector.schema import load_run
from collector.secrets.redact import PREFIX_SCRUB_LENGTH
from collector.secrets.scrub import register, scrub
from collector.store import run_filename

KEY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
SECRET = st.text(alphabet=KEY_CHARS, min_size=12, max_size=64)
FILLER = st.text(alphabet=' {}":,abcxyz0123', max_size=120)
RUNS = Path(__file__).resolve().parents[3] / "runs"


@settings(max_examples=300, deadline=None)
@given(secret=SECRET, before=FILLER, after=FILLER, limit=st.integers(1, 200))
def test_a_secret_cut_anywhere_leaves_none_of_its_start(
    secret: str, before: str, after: str, limit: int
) -> None:
    register([secret])
    line = (before + secret + after).encode()
    for shown in (summarize_bytes(line, limit), scrub(line.decode()[:limit])):
        assert secret[:PREFIX_SCRUB_LENGTH] not in shown, shown


def test_a_key_in_the_model_id_never_reaches_the_run_file_name() -> None:
    key = "sk-Ab12Cd34Ef56Gh78Ij90"
    register([key])
    record = load_run(sorted(RUNS.glob("*.json"))[0])
    for name in (f"org/Model-{key}", f"{key}", f"org/{key.upper()}-instruct", f"org/x-{key[:14]}"):
        record.model.name = name
        record.backend.name = f"vllm-{key}"
        file_name = run_filename(record)
        assert key.lower()[:PREFIX_SCRUB_LENGTH] not in file_name.lower(), file_name


def test_models_fetch_never_prints_an_endpoint_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "https://bob:Hunter2Hunter2@mirror.example")

    def failing(source: str) -> None:
        raise ModelSourceError(
            f"{source}: 401 for https://bob:Hunter2Hunter2@mirror.example/api "
            "(password Hunter2Hunter2 refused)"
        )

    monkeypatch.setattr(models_cli, "resolve_served", failing)
    got = CliRunner().invoke(main, ["models", "fetch", "hf:o/r"])
    assert got.exit_code == 1 and "401 for https://<redacted>@mirror.example" in got.output
    assert "Hunter2" not in got.output


def test_dry_run_never_prints_an_endpoint_password(tmp_path: Path) -> None:
    suite = tmp_path / "s.yaml"
    suite.write_text('name: x\nservers:\n  - {name: a, endpoint: "http://bob:Sup3rS3cret99@h:8000"}\n')
    got = CliRunner().invoke(main, ["collect", str(suite), "--dry-run"])
    assert got.exit_code == 0, got.output
    assert "Sup3rS3cret99" not in got.output and "endpoint: http://<redacted>@h:8000" in got.output
